from collections import defaultdict

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models.functions import Length
from django.shortcuts import render

from core.figures import kept
from core.numbers import percent_value

from .access import access_grid
from .coverage import annotate_coverage, level_of, measures_for, shortfalls, target
from .models import Community, Grid, Street
from .monthly import matrix
from .sections import sections_for
from .snapshots import snapshot_taken_at

GRIDS_PER_PAGE = 25


@login_required
def coverage(request):
    """The coverage tree street → community → grid of the user's grids, and the buildings of one grid."""
    user = request.user
    grids = Grid.objects.visible_to(user)
    if user.sees_everything:
        scope, scope_key, streets, communities = None, None, Street.objects.all(), Community.objects.all()
        scope_label = ""
    else:
        # The user's grids as literal ids: a handful of numbers the planner can estimate, where the OR of
        # assignment subqueries made PostgreSQL hash whole tables (120 ms → 7 ms for a grid worker).
        scope_key = sorted(grids.values_list("pk", flat=True))
        scope = grids = Grid.objects.filter(pk__in=scope_key)
        streets = Street.objects.filter(pk__in=grids.values("community__street"))
        communities = Community.objects.filter(pk__in=grids.values("community"))
        # A street's figures then count only the user's nodes: say whose they are ("金色嘉苑社区合计 2402 户").
        scope_label = "、".join(str(a.node) for a in user.assignments.select_related("street", "community", "grid"))
    # The grids a page at a time (a street has hundreds): their ids first, then the figures of those only.
    grid_order = ("community_id", "name")
    grid_page = Paginator(grids.order_by(*grid_order).values_list("pk", flat=True), GRIDS_PER_PAGE).get_page(
        request.GET.get("page")
    )

    def tree_figures():
        # Street, community and grid figures from last night's count when it covers the user's grids
        # (grids.snapshots), else counted live.
        taken_at = snapshot_taken_at(scope)
        nightly = {"grids": scope, "snapshot": taken_at is not None}
        return (
            taken_at,
            list(annotate_coverage(streets, **nightly)),
            list(annotate_coverage(communities, **nightly)),
            list(annotate_coverage(grids.filter(pk__in=list(grid_page)).order_by(*grid_order), **nightly)),
        )

    (taken_at, streets, communities, grid_rows), counted_at = kept(
        ("coverage", scope_key, list(grid_page)), tree_figures
    )

    selected, buildings = None, None
    if "grid" in request.GET:
        selected = access_grid(user, request.GET["grid"])
        buildings = list(annotate_coverage(selected.buildings.order_by(Length("number"), "number")))

    grids_by_community = defaultdict(list)
    for grid in grid_rows:
        grids_by_community[grid.community_id].append(_row(grid))
    first_pages = _first_grid_pages(communities)
    communities_by_street = defaultdict(list)
    for community in communities:
        communities_by_street[community.street_id].append(
            {**_row(community), "grids": grids_by_community[community.pk], "grids_page": first_pages[community.pk]}
        )
    tree = [{**_row(street), "communities": communities_by_street[street.pk]} for street in streets]

    if buildings is not None:
        compared = buildings
    elif len(communities) > 1:
        compared = communities
    else:
        compared = grid_rows
    return render(
        request,
        "grids/coverage.html",
        {
            "tree": tree,
            "grid_page": grid_page,
            "figures_taken_at": taken_at,
            "counted_at": counted_at,
            # What the tree's kept markup depends on besides the language (templates/grids/coverage.html).
            "tree_key": repr(
                (scope_key, list(grid_page), counted_at.isoformat(), selected and selected.pk, scope_label)
            ),
            "figures_seconds": settings.FIGURES_CACHE_SECONDS,
            "scope_label": scope_label,
            "selected": selected,
            "buildings": [_row(building) for building in buildings or []],
            "measures": {level: measures_for(level) for level in ("street", "community", "grid", "building")},
            "chart": _chart_data(compared),
            "sections": sections_for(user, grids),
            "matrix": matrix(
                user,
                grids,
                community=request.GET.get("matrix"),
                grid=request.GET.get("matrix_grid"),
                grouping=request.GET.get("group"),
            ),
        },
    )


def _row(node):
    return {"node": node, "shortfalls": shortfalls(node)}


def _first_grid_pages(communities):
    """{community id: the page of the grid list where its grids begin}, from the communities' grid counts (the grid
    list is ordered by community, then name)."""
    pages, listed = {}, 0
    for community in sorted(communities, key=lambda c: c.pk):
        pages[community.pk] = listed // GRIDS_PER_PAGE + 1
        listed += community.grid_count
    return pages


def _chart_data(nodes):
    measures = measures_for(level_of(type(nodes[0]))) if nodes else []
    return {
        "labels": [str(node) for node in nodes],
        "target": round(target() * 100, 1),
        "datasets": [
            {
                "label": str(measure.label),
                "data": [percent_value(getattr(node, measure.share)) for node in nodes],
            }
            for measure in measures
        ],
    }
