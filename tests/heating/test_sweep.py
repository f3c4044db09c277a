"""The pre-season sweep: one check task per household of the chosen buildings, set-based and idempotent; the
tasks neither block nor satisfy routine scheduling, escalate once, and show as progress per building."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from heating.kinds import SEASON_CHECK
from heating.models import BuildingSupply, HeatingSeason
from heating.sweep import schedule_season_check, with_check_progress
from tests.factories import HouseholdFactory
from visits import kinds, reminders, scheduling
from visits.models import Visit, VisitTask
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def due():
    return timezone.localdate() + datetime.timedelta(days=10)


def test_one_check_task_per_household_of_the_chosen_buildings(household, other_household, grid_worker):
    neighbour = HouseholdFactory(building=household.building, unit=1, floor=2, room="201")

    assert schedule_season_check(buildings=[household.building], due_on=due()) == 2

    tasks = VisitTask.objects.filter(kind=SEASON_CHECK)
    assert set(tasks.values_list("household", flat=True)) == {household.pk, neighbour.pk}
    assert set(tasks.values_list("assignee", "state", "due_on")) == {(grid_worker.pk, "open", due())}


def test_running_the_sweep_again_creates_nothing(household, grid_worker):
    schedule_season_check(buildings=[household.building], due_on=due())
    log_visit(household=household, by=grid_worker, outcome="met", purposes=[Visit.Purpose.HEATING])

    assert schedule_season_check(buildings=[household.building], due_on=due()) == 0
    assert VisitTask.objects.filter(kind=SEASON_CHECK).count() == 1
    assert VisitTask.objects.get(kind=SEASON_CHECK).state == VisitTask.State.DONE


def test_the_sweep_costs_the_same_queries_for_one_household_or_thirty(
    household, grid_worker, django_assert_max_num_queries
):
    for room in range(30):
        HouseholdFactory(building=household.building, unit=1, floor=1, room=f"1{room:02}")
    with django_assert_max_num_queries(8):
        assert schedule_season_check(buildings=[household.building], due_on=due()) == 31


def test_an_open_sweep_task_does_not_block_routine_scheduling(household, grid_worker):
    schedule_season_check(buildings=[household.building], due_on=due())

    assert scheduling.schedule_visits() == 1
    assert set(VisitTask.objects.open().values_list("kind", flat=True)) == {SEASON_CHECK, kinds.ROUTINE}


def test_a_heating_visit_completes_the_sweep_task_and_not_the_routine_one(household, grid_worker):
    schedule_season_check(buildings=[household.building], due_on=due())
    scheduling.schedule_visits()

    log_visit(household=household, by=grid_worker, outcome="met", purposes=[Visit.Purpose.HEATING])

    states = dict(VisitTask.objects.values_list("kind", "state"))
    assert states == {SEASON_CHECK: VisitTask.State.DONE, kinds.ROUTINE: VisitTask.State.OPEN}


def test_an_overdue_sweep_task_escalates_once(household, grid, grid_worker, cadre):
    grid.leader = cadre
    grid.save()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    schedule_season_check(buildings=[household.building], due_on=yesterday, earliest_on=yesterday)
    VisitTask.objects.update(assigned_at=timezone.now() - datetime.timedelta(days=3))

    first = reminders.escalate_overdue()
    second = reminders.escalate_overdue(now=timezone.now() + datetime.timedelta(minutes=30))

    assert first["visit_tasks"] == 1 and second["visit_tasks"] == 0
    assert Notification.objects.filter(user=cadre).count() == 1


def test_progress_counts_open_and_done_checks_per_building(household, other_household, grid_worker):
    HouseholdFactory(building=household.building, unit=1, floor=2, room="201")
    schedule_season_check(buildings=[household.building, other_household.building], due_on=due())
    log_visit(household=household, by=grid_worker, outcome="met", purposes=[Visit.Purpose.HEATING])

    progress = {b.pk: (b.check_open, b.check_done) for b in with_check_progress(type(household.building).objects.all())}

    assert progress == {household.building_id: (1, 1), other_household.building_id: (1, 0)}


def test_admin_action_sweeps_the_chosen_buildings_before_the_season(
    client_for, admin_user, company, household, other_household, community
):
    start = timezone.localdate() + datetime.timedelta(days=30)
    HeatingSeason.objects.create(
        community=community, name="下个供暖季", starts_on=start, ends_on=start.replace(year=start.year + 1)
    )
    client = client_for(admin_user)
    url = reverse("admin:heating_buildingsupply_changelist")

    response = client.post(url, {"action": "sweep_buildings", "_selected_action": [household.building_id]}, follow=True)

    assert "生成供暖季前检查任务 1 条" in response.content.decode()
    task = VisitTask.objects.get(kind=SEASON_CHECK)
    assert (task.household, task.due_on) == (household, start - datetime.timedelta(days=1))
    page = client.get(url).content.decode()
    assert "季前检查待办" in page
    assert BuildingSupply.objects.count() == 2
