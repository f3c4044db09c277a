"""VisitStatus: kept by log_visit and the nightly scheduler, and counted as "visited within policy" coverage."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from grids.coverage import annotate_coverage, below_target_q, measures_for, on_target_q, shortfalls
from grids.models import Community, Grid
from households.models import Household, PriorityGroup
from tests.factories import (
    BuildingFactory,
    GridFactory,
    HouseholdFactory,
    LeadHouseholdFactory,
    ResidentFactory,
    assign,
)
from tests.visits.factories import VisitFactory
from visits import scheduling
from visits.coverage import VISITED
from visits.models import Visit, VisitStatus, VisitTask
from visits.services import log_visit

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


# The households these tests visit were registered before the visits they log (`validate_visit_time`).
REGISTERED_AT = NOW - datetime.timedelta(days=365)
REGISTERED_ON = TODAY - datetime.timedelta(days=365)


@pytest.fixture
def household(household):
    Household.objects.filter(pk=household.pk).update(created_at=REGISTERED_AT)
    household.refresh_from_db()
    return household


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def tag(household, code):
    resident = household.residents.first() or ResidentFactory(household=household)
    resident.priority_groups.add(PriorityGroup.objects.get(code=code))


def status_of(household):
    return VisitStatus.objects.get(household=household)


def test_meeting_the_household_sets_due_on_to_visit_date_plus_interval(household, grid_worker):
    visited_at = days_ago(10)

    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=visited_at)

    status = status_of(household)
    assert status.interval_days == 182
    assert status.last_visited_at == visited_at
    assert status.due_on == TODAY - datetime.timedelta(days=10) + datetime.timedelta(days=182)


def test_logged_visit_uses_the_tightest_priority_group_interval(household, grid_worker):
    tag(household, "living_alone")

    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.REFUSED)

    status = status_of(household)
    assert (status.interval_days, status.due_on) == (30, TODAY + datetime.timedelta(days=30))


def test_not_at_home_leaves_the_status_unchanged(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(50))
    before = status_of(household)

    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)

    after = status_of(household)
    assert (after.last_visited_at, after.due_on, after.refreshed_at) == (
        before.last_visited_at,
        before.due_on,
        before.refreshed_at,
    )


def test_not_at_home_creates_no_status_for_a_household_never_met(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)

    assert not VisitStatus.objects.filter(household=household).exists()


def test_back_entered_older_visit_does_not_move_the_last_visit_back(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(2))
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(40))

    status = status_of(household)
    assert status.last_visited_at == days_ago(2)
    assert status.due_on == TODAY - datetime.timedelta(days=2) + datetime.timedelta(days=182)


def test_schedule_visits_twice_keeps_one_status_per_household(building, grid_worker):
    ordinary, vacant, busy = HouseholdFactory.create_batch(3, created_at=REGISTERED_AT, building=building)
    Household.objects.filter(pk=vacant.pk).update(status=Household.Status.VACANT)
    log_visit(household=busy, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)  # leaves an open re-visit task

    scheduling.schedule_visits(chunk_size=2)
    scheduling.schedule_visits(chunk_size=2)

    assert VisitStatus.objects.count() == 3
    assert set(VisitStatus.objects.values_list("household", flat=True)) == {ordinary.pk, vacant.pk, busy.pk}
    never = status_of(ordinary)
    # Never visited: due since the day it was registered, so its lateness grows night after night.
    assert (never.last_visited_at, never.due_on, never.interval_days) == (None, REGISTERED_ON, 182)


def test_nightly_run_picks_up_a_priority_group_added_since(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(20))
    scheduling.schedule_visits()
    assert status_of(household).interval_days == 182

    tag(household, "living_alone")
    scheduling.schedule_visits()

    status = status_of(household)
    assert status.interval_days == 30
    assert status.due_on == TODAY + datetime.timedelta(days=10)


def test_nightly_run_agrees_with_log_visit(household, grid_worker):
    tag(household, "disabled")
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(7))
    logged = status_of(household)

    scheduling.schedule_visits()

    nightly = status_of(household)
    assert (nightly.interval_days, nightly.last_visited_at, nightly.due_on) == (
        logged.interval_days,
        logged.last_visited_at,
        logged.due_on,
    )


def test_nightly_run_leaves_a_status_logged_since_it_started_and_corrects_it_the_next_night(household, grid_worker):
    later = NOW + datetime.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        visit, _created = log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET)
    Visit.objects.filter(pk=visit.pk).delete()  # the run read its figures before the visit existed

    scheduling.schedule_visits()
    assert status_of(household).last_visited_at == later

    with time_machine.travel(later + datetime.timedelta(hours=1), tick=False):
        scheduling.schedule_visits()
    assert status_of(household).last_visited_at is None


def test_refresh_visit_statuses_picks_up_visits_loaded_in_bulk(building, grid_worker):
    visited, never = HouseholdFactory.create_batch(2, created_at=REGISTERED_AT, building=building)
    VisitFactory(household=visited, visited_at=days_ago(3), logged_by=grid_worker)  # not through log_visit
    assert not VisitStatus.objects.exists()

    assert scheduling.refresh_visit_statuses(chunk_size=1) == 2

    assert status_of(visited).due_on == TODAY - datetime.timedelta(days=3) + datetime.timedelta(days=182)
    assert (status_of(never).last_visited_at, status_of(never).due_on) == (None, REGISTERED_ON)
    assert not VisitTask.objects.exists()


@pytest.fixture
def visited_grid(community, grid, grid_worker):
    """`grid`: 3 households, one visited within policy, one overdue, one never visited (status from the nightly
    run). A second grid of the community: 1 household visited within policy."""
    within, overdue, _never = HouseholdFactory.create_batch(
        3, created_at=REGISTERED_AT, building=BuildingFactory(grid=grid, number="1")
    )
    second = GridFactory(community=community, name="东区第二网格")
    (elsewhere,) = HouseholdFactory.create_batch(
        1, created_at=REGISTERED_AT, building=BuildingFactory(grid=second, number="2")
    )
    log_visit(household=within, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(30))
    log_visit(household=overdue, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(200))
    log_visit(household=elsewhere, by=grid_worker, outcome=Visit.Outcome.MET, visited_at=days_ago(1))
    scheduling.schedule_visits()
    return second


def test_visited_measure_is_registered_for_every_level():
    for level in ("street", "community", "grid", "building"):
        assert "visited" in [measure.key for measure in measures_for(level)]


def test_coverage_counts_households_visited_within_policy(visited_grid, grid, community):
    first = annotate_coverage(Grid.objects.filter(pk=grid.pk)).get()
    whole = annotate_coverage(Community.objects.filter(pk=community.pk)).get()

    assert (first.visited_count, first.household_count) == (1, 3)
    assert first.visited_share == pytest.approx(1 / 3)
    assert (whole.visited_count, whole.household_count) == (2, 4)
    assert whole.visited_share == pytest.approx(2 / 4)


def test_coverage_narrowed_to_visible_grids(visited_grid, grid, community):
    mine = annotate_coverage(Community.objects.filter(pk=community.pk), grids=Grid.objects.filter(pk=grid.pk)).get()

    assert (mine.visited_count, mine.household_count) == (1, 3)


def test_household_without_status_counts_as_not_visited(grid):
    HouseholdFactory.create_batch(2, created_at=REGISTERED_AT, building=BuildingFactory(grid=grid))

    node = annotate_coverage(Grid.objects.filter(pk=grid.pk)).get()

    assert (node.visited_count, node.household_count, node.visited_share) == (0, 2, 0.0)


def test_household_stays_within_policy_up_to_its_due_date(household, grid_worker, grid):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET)

    def visited_count(on):
        with time_machine.travel(datetime.datetime.combine(on, datetime.time(12), tzinfo=datetime.UTC), tick=False):
            return annotate_coverage(Grid.objects.filter(pk=grid.pk)).get().visited_count

    assert visited_count(TODAY + datetime.timedelta(days=182)) == 1
    assert visited_count(TODAY + datetime.timedelta(days=183)) == 0


@pytest.fixture
def visited_measure_only(monkeypatch):
    """Coverage judged on 按期走访 alone (the grids' own measures would put both grids below target)."""
    monkeypatch.setattr("grids.coverage.MEASURES", [VISITED])


def test_low_visit_coverage_puts_the_grid_below_target(visited_grid, grid, visited_measure_only):
    nodes = annotate_coverage(Grid.objects.all())

    assert [m.key for m in shortfalls(nodes.get(pk=grid.pk))] == ["visited"]
    assert list(nodes.filter(below_target_q("grid"))) == [grid]
    assert list(nodes.filter(on_target_q("grid"))) == [visited_grid]


def test_admin_changelists_show_the_visited_column(client_for, admin_user, visited_grid, grid):
    client = client_for(admin_user)

    grid_page = client.get(reverse("admin:grids_grid_changelist")).text
    community_page = client.get(reverse("admin:grids_community_changelist")).text
    building_page = client.get(reverse("admin:grids_building_changelist")).text
    street_page = client.get(reverse("admin:grids_street_changelist")).text

    assert "按期走访" in grid_page
    assert '<span class="coverage-low">33.3%（1/3）</span>' in grid_page
    assert "100.0%（1/1）" in grid_page
    assert "50.0%（2/4）" in community_page
    assert "33.3%（1/3）" in building_page
    assert "50.0%（2/4）" in street_page


def test_admin_below_target_filter_uses_visit_coverage(client_for, admin_user, visited_grid, grid, grid_worker):
    # Both grids meet the grids' own targets (linked, party group, staffed): only 按期走访 tells them apart.
    lead = LeadHouseholdFactory(party_member__resident__household=Household.objects.filter(building__grid=grid)[0])
    Household.objects.update(lead_household=lead)
    assign(grid_worker, visited_grid)
    client = client_for(admin_user)

    below = client.get(reverse("admin:grids_grid_changelist"), {"coverage": "below"})
    met = client.get(reverse("admin:grids_grid_changelist"), {"coverage": "met"})

    assert list(below.context["cl"].result_list) == [grid]
    assert list(met.context["cl"].result_list) == [visited_grid]


def test_coverage_page_shows_visited_within_policy(client_for, cadre, visited_grid, grid):
    response = client_for(cadre).get(reverse("coverage"), {"grid": grid.pk})

    assert response.status_code == 200
    text = response.text
    assert "按期走访" in text
    assert "1 / 3 · 33.3%" in text
    assert "2 / 4 · 50.0%" in text
    assert "按期走访" in [dataset["label"] for dataset in response.context["chart"]["datasets"]]
