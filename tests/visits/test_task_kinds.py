"""Task kinds: a visit completes only the tasks its purposes match; other apps' kinds neither block nor satisfy
routine scheduling; one open task per (household, kind)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.factories import HouseholdFactory
from tests.visits.factories import VisitTaskFactory
from visits import kinds, scheduling
from visits.kinds import TaskKind
from visits.models import Visit, VisitTask
from visits.services import log_visit, open_visit_task

pytestmark = pytest.mark.django_db

HEATING_CHECK = "test_heating_check"


@pytest.fixture
def heating_kind():
    """A stand-in for a kind the heating app registers: completed by heating visits, not routine."""
    kinds.register_kind(TaskKind(HEATING_CHECK, "供暖检查（测试）", purposes=(Visit.Purpose.HEATING,)))
    yield HEATING_CHECK
    kinds.registry.unregister(HEATING_CHECK)


def test_visits_registers_its_routine_kinds():
    assert set(kinds.routine_keys()) == {"routine", "priority_group", "revisit", "follow_up", "request_check"}


def test_heating_visit_completes_the_heating_task_and_leaves_the_routine_task_open(
    household, grid_worker, heating_kind
):
    routine = VisitTaskFactory(household=household, assignee=grid_worker)
    heating = VisitTaskFactory(household=household, assignee=grid_worker, kind=heating_kind)

    visit, _created = log_visit(household=household, by=grid_worker, outcome="met", purposes=[Visit.Purpose.HEATING])

    heating.refresh_from_db()
    routine.refresh_from_db()
    assert (heating.state, heating.visit) == (VisitTask.State.DONE, visit)
    assert routine.state == VisitTask.State.OPEN


def test_routine_visit_leaves_another_apps_task_open(household, grid_worker, heating_kind):
    heating = VisitTaskFactory(household=household, assignee=grid_worker, kind=heating_kind)
    log_visit(household=household, by=grid_worker, outcome="met", purposes=[Visit.Purpose.ROUTINE])
    heating.refresh_from_db()
    assert heating.state == VisitTask.State.OPEN


def test_not_at_home_heating_visit_creates_no_routine_revisit(household, grid_worker, heating_kind):
    log_visit(household=household, by=grid_worker, outcome="not_home", purposes=[Visit.Purpose.HEATING])
    assert not VisitTask.objects.filter(kind=kinds.REVISIT).exists()


def test_another_apps_open_task_does_not_block_routine_scheduling(household, grid_worker, heating_kind):
    VisitTaskFactory(household=household, assignee=grid_worker, kind=heating_kind)
    assert scheduling.schedule_visits() == 1
    assert set(VisitTask.objects.open().values_list("kind", flat=True)) == {heating_kind, kinds.ROUTINE}


def test_open_visit_task_keeps_one_open_task_per_household_and_kind(household, grid_worker, heating_kind):
    due_on = timezone.localdate() + datetime.timedelta(days=2)
    first, created_first = open_visit_task(household=household, kind=heating_kind, due_on=due_on)
    second, created_second = open_visit_task(household=household, kind=heating_kind, due_on=due_on)
    assert (created_first, created_second) == (True, False)
    assert first == second and first.assignee == grid_worker


def test_open_visit_task_refuses_an_unregistered_kind(household):
    with pytest.raises(ValueError, match="Unregistered"):
        open_visit_task(household=household, kind="no_such_kind", due_on=timezone.localdate())


def test_task_of_an_unregistered_kind_fails_validation(household):
    task = VisitTask(
        household=household, kind="no_such_kind", earliest_on=timezone.localdate(), due_on=timezone.localdate()
    )
    with pytest.raises(ValidationError) as error:
        task.full_clean()
    assert "kind" in error.value.message_dict


def test_task_shows_its_registered_label(household, heating_kind):
    assert VisitTaskFactory(household=household, kind=heating_kind).kind_label == "供暖检查（测试）"
    assert VisitTaskFactory(household=HouseholdFactory()).kind_label == "例行走访"


def test_task_overdue_annotation_sorts_tasks_into_buckets(household):
    today = timezone.localdate()
    late = VisitTaskFactory(household=household, due_on=today - datetime.timedelta(days=1))
    now = VisitTaskFactory(household=HouseholdFactory(), due_on=today)
    later = VisitTaskFactory(household=HouseholdFactory(), due_on=today + datetime.timedelta(days=3))
    done = VisitTaskFactory(household=HouseholdFactory(), due_on=today - datetime.timedelta(days=3), state="done")
    rows = {t.pk: (t.is_overdue, t.bucket) for t in VisitTask.objects.with_overdue(today)}
    assert rows[late.pk] == (True, "overdue")
    assert rows[now.pk] == (False, "today")
    assert rows[later.pk] == (False, "upcoming")
    assert rows[done.pk][0] is False
    assert list(VisitTask.objects.overdue(today)) == [late]
