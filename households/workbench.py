"""The households app's workbench card: browsing my grid's buildings without typing.

A worker with one grid sees its buildings (one tap to a building); anyone with more grids a link to the list.
"""

from accounts.workbench import WorkbenchSection
from grids.models import Building, Grid

CARD_BUILDINGS = 60


def browse_card(request):
    grids = list(Grid.objects.visible_to(request.user).values_list("pk", "name")[:2])
    if not grids:
        return None
    buildings = None
    if len(grids) == 1:
        buildings = list(Building.objects.filter(grid_id=grids[0][0])[: CARD_BUILDINGS + 1])
    return WorkbenchSection(
        template="households/_workbench_browse.html",
        order=5,
        context={
            "grid": grids[0] if len(grids) == 1 else None,
            "buildings": buildings[:CARD_BUILDINGS] if buildings else buildings,
            "more": buildings is not None and len(buildings) > CARD_BUILDINGS,
        },
    )
