"""The coverage matrix (buildings × the last six months) on /grids/coverage/ and in the admin, on the hand-built
month of tests/reports/conftest.py read on 15 March 2026.

Building 3: end of December 0/4 (no visit yet), end of January 2/4 (h2, h3), end of February 2/4 (h1, h3),
15 March 1/5 (h1; h5 registered on the 2nd). Building 12: end of February 1/2 (o1), 15 March 2/2.
Before December no household was registered: nothing to count.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Building
from grids.monthly import matrix, month_days, month_end_counts, month_end_measure
from tests.factories import BuildingFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def shares(building, days):
    return month_end_counts(Building, month_end_measure(), days)[building.pk]


def test_the_last_six_months_are_read_at_each_months_end(frozen):
    days = month_days()
    assert [f"{first:%Y-%m}" for first, _day in days] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert [f"{day:%m-%d}" for _first, day in days][-3:] == ["01-31", "02-28", "03-15"]


def test_each_cell_counts_the_households_visited_within_policy_at_that_months_end(
    month_world, building, other_building
):
    days = [day for _first, day in month_days()]
    assert shares(building, days) == [(0, 0), (0, 0), (0, 4), (2, 4), (2, 4), (1, 5)]
    assert shares(other_building, days)[-2:] == [(1, 2), (2, 2)]


def test_both_ways_of_reading_the_rule_agree_for_every_building_and_month(month_world, leader):
    """The counts (a page of nodes, six months, one query) and the households picked one by one (the drill-down)
    agree, with
    a second group policy (90 days): n1 in it alone (met 20 Dec: within at the end of February), h1 in both
    groups (the tighter 30 days applies)."""
    from households.models import PriorityGroup
    from tests.factories import ResidentFactory
    from visits.models import VisitPolicy
    from visits.month_end import MonthEnd
    from visits.report_sections import households_under
    from visits.scheduling import refresh_visit_statuses

    elderly, other = PriorityGroup.objects.order_by("order")[:2]
    VisitPolicy.objects.create(priority_group=other, interval_days=90)
    ResidentFactory(household=month_world["n1"], relation="other").priority_groups.add(other)
    ResidentFactory(household=month_world["h1"], relation="other").priority_groups.add(elderly, other)
    refresh_visit_statuses()
    days = month_days()
    assert shares(month_world["building7"], [day for _first, day in days])[4] == (2, 2)
    counts = month_end_counts(Building, month_end_measure(), [day for _first, day in days])
    for building in Building.objects.all():
        for (first, day), (visited, registered) in zip(days, counts.get(building.pk, [(0, 0)] * 6), strict=True):
            month_end = MonthEnd.on(day)
            households = households_under(building, leader)
            assert month_end.visited(households).count() == visited, (building, first)
            assert month_end.unvisited(households).count() == registered - visited, (building, first)


def test_the_matrix_groups_buildings_by_grid_or_by_party_group(month_world, cadre, community, building, other_building):
    from grids.models import Grid

    grids = Grid.objects.visible_to(cadre)
    by_grid = matrix(cadre, grids)
    assert [group["label"] for group in by_grid["groups"]] == ["东区第一网格", "西区第一网格"]
    february = by_grid["groups"][0]["rows"][0]["cells"][4]
    assert (february.numerator, february.denominator, february.tone) == (2, 4, "low")
    assert february.url == f"/reports/rows/visit_coverage/unvisited/?node=building%3A{building.pk}&month=2026-02"
    other_building.party_group_name = "西区党小组"
    other_building.save()
    by_party = matrix(cadre, grids, grouping="party")
    assert [group["label"] for group in by_party["groups"]] == ["楼宇党小组", "西区党小组"]


def test_a_cell_leads_to_as_many_unvisited_households_as_it_is_short(month_world, client_for, cadre, building):
    client = client_for(cadre)
    page = client.get("/grids/coverage/").content.decode()
    assert 'id="coverage-matrix-table"' in page
    url = f"/reports/rows/visit_coverage/unvisited/?node=building%3A{building.pk}&amp;month=2026-02"
    assert url in page
    rows = client.get(url.replace("&amp;", "&"))
    assert rows.context["page"].paginator.count == 4 - 2


def test_the_leader_picks_the_community_of_the_matrix(month_world, client_for, leader):
    silver = month_world["silver"]
    page = client_for(leader).get(f"/grids/coverage/?matrix={silver.pk}").content.decode()
    assert f'data-building="{month_world["building7"].pk}"' in page


def test_a_grid_worker_sees_only_their_grids_buildings(month_world, client_for, grid_worker, building, other_building):
    page = client_for(grid_worker).get("/grids/coverage/").content.decode()
    assert f'data-building="{building.pk}"' in page
    assert f'data-building="{other_building.pk}"' not in page


def test_the_matrix_costs_the_same_queries_for_3_and_30_buildings(month_world, client_for, cadre, grid):
    client = client_for(cadre)
    client.get("/grids/coverage/")
    caches["figures"].clear()  # counted afresh each time, as FIGURES_CACHE_SECONDS later
    with CaptureQueriesContext(connection) as few:
        client.get("/grids/coverage/")
    for i in range(27):
        HouseholdFactory(building=BuildingFactory(grid=grid, number=f"{100 + i}"))
    caches["figures"].clear()
    with CaptureQueriesContext(connection) as many:
        page = client.get("/grids/coverage/").content.decode()
    assert page.count("data-building=") == 2 + 27
    assert len(many) == len(few)


def test_a_big_community_shows_one_grid_at_a_time(month_world, client_for, cadre, grid, other_grid, monkeypatch):
    from grids import monthly

    monkeypatch.setattr(monthly, "MATRIX_BUILDINGS", 1)
    client = client_for(cadre)
    page = client.get("/grids/coverage/").content.decode()
    assert 'id="coverage-matrix-narrowed"' in page
    assert page.count("data-building=") == 1  # 东区第一网格's building 3
    other = client.get(f"/grids/coverage/?matrix_grid={other_grid.pk}").content.decode()
    assert f'<option value="{other_grid.pk}" selected>' in other
    assert 'id="coverage-matrix-narrowed"' not in other


def test_the_admin_shows_the_months_of_one_grid(month_world, client, admin_user, grid, building):
    client.force_login(admin_user)
    page = client.get(f"/admin/grids/building/?grid__id__exact={grid.pk}").content.decode()
    assert "2026年2月" in page
    assert "50.0%（2/4）" in page
    assert f"node=building%3A{building.pk}&amp;month=2026-02" in page
    unfiltered = client.get("/admin/grids/building/").content.decode()
    assert "2026年2月" not in unfiltered


def test_the_coverage_page_keeps_its_tree_and_matrix_markup_as_long_as_their_figures(
    month_world, client_for, cadre, grid
):
    client = client_for(cadre)
    first = client.get("/grids/coverage/").content.decode()
    HouseholdFactory(building=BuildingFactory(grid=grid, number="99"))

    kept = client.get("/grids/coverage/").content.decode()
    assert kept.count("data-building=") == first.count("data-building=")  # the same minutes-old markup

    caches["figures"].clear()  # FIGURES_CACHE_SECONDS later
    fresh = client.get("/grids/coverage/").content.decode()
    assert fresh.count("data-building=") == first.count("data-building=") + 1
