"""The nightly coverage snapshot (grids/snapshots.py): the same figures as counting live, read only when it covers
the user's grids and is recent, and the coverage page's grid list a page at a time."""

import datetime

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grids import snapshots
from grids.coverage import annotate_coverage, count_names, level_of, measures_for
from grids.models import Community, CoverageSnapshot, Grid, Street
from grids.views import GRIDS_PER_PAGE
from tests.factories import GridFactory
from tests.grids.conftest import build_grids, households_in

URL = reverse("coverage")


def figures(nodes):
    """{pk: every count and share} of annotated nodes."""
    nodes = list(nodes)
    if not nodes:
        return {}
    level = level_of(type(nodes[0]))
    names = count_names(level) + [measure.share for measure in measures_for(level)]
    return {node.pk: {name: getattr(node, name) for name in names} for node in nodes}


@pytest.mark.parametrize("model", [Street, Community, Grid])
def test_snapshot_figures_equal_the_live_count(coverage_street, model):
    snapshots.take_snapshot()

    live = figures(annotate_coverage(model.objects.all()))
    assert figures(annotate_coverage(model.objects.all(), snapshot=True)) == live
    assert live  # the street has nodes at every level


@pytest.mark.parametrize("model", [Street, Community, Grid])
def test_snapshot_figures_count_only_the_grids_in_scope(coverage_street, model):
    snapshots.take_snapshot()
    scope = Grid.objects.filter(pk__in=[coverage_street.grid.pk, coverage_street.west_grid.pk])

    live = figures(annotate_coverage(model.objects.all(), grids=scope))
    assert figures(annotate_coverage(model.objects.all(), grids=scope, snapshot=True)) == live


def test_a_grid_worker_of_two_grids_counts_once_above_the_grid(coverage_street, grid_worker):
    """The number of grid workers does not add up across grids: above the grid it is counted live."""
    from tests.factories import assign

    assign(grid_worker, coverage_street.other_grid)
    snapshots.take_snapshot()

    community = annotate_coverage(Community.objects.filter(pk=coverage_street.community.pk), snapshot=True).get()
    assert community.grid_worker_count == 1


def test_snapshot_is_used_only_when_it_covers_every_grid_and_is_recent(coverage_street):
    assert snapshots.snapshot_taken_at() is None  # none taken yet

    snapshots.take_snapshot()
    taken_at = snapshots.snapshot_taken_at()
    assert taken_at is not None
    assert snapshots.snapshot_taken_at(Grid.objects.filter(pk=coverage_street.grid.pk)) == taken_at

    late = GridFactory(community=coverage_street.community, name="新网格")
    assert snapshots.snapshot_taken_at() is None  # a grid added since: count live
    assert snapshots.snapshot_taken_at(Grid.objects.filter(pk=coverage_street.grid.pk)) == taken_at

    late.delete()
    assert snapshots.snapshot_taken_at(now=timezone.now() + snapshots.MAX_AGE + datetime.timedelta(minutes=1)) is None


def test_taking_the_snapshot_twice_replaces_the_rows(coverage_street):
    snapshots.take_snapshot()
    first = dict(CoverageSnapshot.objects.values_list("grid_id", "counts"))
    households_in(coverage_street.b3, 2)

    assert snapshots.take_snapshot() == Grid.objects.count()

    second = dict(CoverageSnapshot.objects.values_list("grid_id", "counts"))
    assert CoverageSnapshot.objects.count() == Grid.objects.count()
    assert second[coverage_street.other_grid.pk]["household_count"] == (
        first[coverage_street.other_grid.pk]["household_count"] + 2
    )


def test_runjob_takes_the_snapshot(coverage_street):
    call_command("runjob", "snapshot_coverage")

    assert CoverageSnapshot.objects.count() == Grid.objects.count()


def test_coverage_page_reads_last_nights_figures_and_says_so(client_for, admin_user, coverage_street):
    client = client_for(admin_user)
    assert "figures-taken-at" not in client.get(URL).text  # no snapshot: counted live
    snapshots.take_snapshot()
    caches["figures"].clear()  # the next morning: the figures kept from the live count have expired
    households_in(coverage_street.b3, 6)  # after the snapshot: not in the street's figures until the next one

    text = client.get(URL).text

    assert "figures-taken-at" in text
    assert "9 户" in text  # the street as the snapshot found it
    assert "15 户" not in text


def test_coverage_page_query_count_with_a_snapshot_does_not_grow_with_grids(client_for, admin_user, community):
    client = client_for(admin_user)
    build_grids(community, 3)
    snapshots.take_snapshot()

    def count_queries():
        caches["figures"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    few = count_queries()
    build_grids(community, 40)
    snapshots.take_snapshot()

    assert count_queries() == few


def test_coverage_page_lists_the_grids_a_page_at_a_time(client_for, admin_user, community, street):
    from tests.factories import CommunityFactory

    client = client_for(admin_user)
    grids = build_grids(community, GRIDS_PER_PAGE + 2)
    west = CommunityFactory(street=street, name="西城社区")
    (west_grid,) = build_grids(west, 1)
    grids.sort(key=lambda grid: grid.name)

    first = client.get(URL).text
    assert f'href="?grid={grids[0].pk}#grid-detail"' in first
    assert f'href="?grid={grids[-1].pk}#grid-detail"' not in first
    assert f'href="?grid={west_grid.pk}#grid-detail"' not in first
    west_page = (GRIDS_PER_PAGE + 2) // GRIDS_PER_PAGE + 1
    assert f'href="?page={west_page}#community-{west.pk}"' in first  # where the other community's grids are

    second = client.get(URL, {"page": 2}).text
    assert f'href="?grid={grids[-1].pk}#grid-detail"' in second
    assert f'href="?grid={west_grid.pk}#grid-detail"' in second
    assert f'href="?grid={grids[0].pk}#grid-detail"' not in second
