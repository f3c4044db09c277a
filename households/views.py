from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.paging import CappedPaginator
from grids.access import access_building, access_grid
from grids.models import Grid

from .access import access_household, access_resident
from .actions import actions_for
from .models import Household, in_priority_group
from .rows import with_people
from .search import MAX_QUERY_LENGTH, query_words
from .services import reveal_id_number
from .timeline import timeline_for

PAGE_SIZE = 20
GRIDS_PER_PAGE = 50


@login_required
def household_list(request):
    return household_search(request)


def household_search(request, *, title=None, target_url=None):
    """The household search page (its results fragment for htmx) over the user's households, for ?q=.

    `household_list` links each result to the household page; a form opened without ?household= (log a visit,
    register a request …) passes its own `target_url` and `title`, and each result links to
    `<target_url>?household=<id>`.
    """
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    words = query_words(query)
    households = Household.objects.none()
    if words:
        households = Household.objects.visible_to(request.user).search(query).listing()
    # A common surname matches thousands: counted up to a cap ("1000+"), as a search is refined, not paged through.
    page = CappedPaginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "households/_results.html" if request.htmx else "households/household_list.html"
    return render(
        request,
        template,
        {
            "query": query,
            "page": page,
            "households": with_people(page, words=words),
            "title": title,
            "target_url": target_url,
        },
    )


def _household_count(outer_filter):
    """A subquery counting households whose `outer_filter` field equals the outer row's pk (per page row)."""
    households = Household.objects.filter(**{outer_filter: OuterRef("pk")}).order_by()
    counted = households.values(outer_filter).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@login_required
def grid_list(request):
    """The grids I may see, to browse their buildings; with one grid, straight to its buildings."""
    grids = (
        Grid.objects.visible_to(request.user)
        .select_related("community")
        .annotate(household_count=_household_count("building__grid"))
        .order_by("community__name", "name")
    )
    page = Paginator(grids, GRIDS_PER_PAGE).get_page(request.GET.get("page"))
    if page.paginator.count == 1:
        return redirect("building_list", page[0].pk)
    return render(request, "households/grid_list.html", {"page": page})


@login_required
def building_list(request, pk):
    """A grid's buildings in natural order (2号楼 before 10号楼), with their households counted."""
    grid = access_grid(request.user, pk)
    buildings = grid.buildings.annotate(household_count=_household_count("building"))
    return render(request, "households/building_list.html", {"grid": grid, "buildings": buildings})


@login_required
def building_detail(request, pk):
    """A building's units, each with its households and how many of them have a priority-group resident."""
    building = access_building(request.user, pk)
    in_group = in_priority_group()
    counts = {
        row["unit"]: row
        for row in Household.objects.visible_to(request.user)
        .filter(building=building)
        .values("unit")
        .annotate(household_count=Count("pk"), priority_count=Count("pk", filter=in_group))
        .order_by("unit")
    }
    units = [
        {"unit": unit, "household_count": 0, "priority_count": 0, **counts.get(unit, {})}
        for unit in sorted(set(range(1, building.units + 1)) | set(counts))
    ]
    return render(request, "households/building_detail.html", {"building": building, "units": units})


@login_required
def unit_detail(request, pk, unit):
    """A unit's households floor by floor: head, members, priority tags and the registered figures."""
    building = access_building(request.user, pk)
    households = with_people(Household.objects.visible_to(request.user).filter(building=building, unit=unit).listing())
    if not households and not 1 <= unit <= building.units:
        raise Http404
    return render(
        request, "households/unit_detail.html", {"building": building, "unit": unit, "households": households}
    )


@login_required
def household_detail(request, pk):
    household = access_household(request.user, pk)
    residents = household.residents.select_related("party_member").prefetch_related("priority_groups")
    linked = None
    if hasattr(household, "lead_role"):
        linked = household.lead_role.linked_households.select_related("building").with_head_name()
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "residents": residents,
            "linked": linked,
            "can_reveal": request.user.has_perm("households.reveal_id_number"),
            "timeline": timeline_for(household, request.user),
            "actions": actions_for(household, request.user),
        },
    )


@require_POST
@login_required
@permission_required("households.reveal_id_number", raise_exception=True)
def resident_reveal_id(request, pk):
    resident = access_resident(request.user, pk)
    return render(
        request,
        "households/_id_number.html",
        {"resident": resident, "id_number": reveal_id_number(user=request.user, resident=resident, request=request)},
    )
