import datetime
import importlib

import pytest
from django.utils import timezone

from households.models import Household, PriorityGroup
from tests.factories import HouseholdFactory, ResidentFactory
from tests.visits.factories import VisitFactory, VisitTaskFactory
from visits import kinds
from visits.models import Visit, VisitPolicy, VisitTask
from visits.policy import annotate_last_visit, policy_for
from visits.scheduling import _VisitFacts
from visits.services import RaisedRequest, log_visit

pytestmark = pytest.mark.django_db


def tag(resident, *codes):
    resident.priority_groups.add(*PriorityGroup.objects.filter(code__in=codes))


def interval_of(household):
    return policy_for(household).interval_days


def test_default_policies_come_from_the_migration():
    intervals = dict(VisitPolicy.objects.values_list("priority_group__code", "interval_days"))
    assert intervals[None] == 182
    assert intervals["living_alone"] == 30
    assert intervals["dibao"] == 30
    assert intervals["disabled"] == 60
    assert intervals["veteran"] == 90


def test_default_policies_follow_practice_twice_a_year_and_monthly_for_the_priority_groups():
    """REFERENCE.md: ordinary households twice a year; hardship, solitary and empty-nest elderly, migrants and
    community-correction subjects monthly."""
    intervals = dict(VisitPolicy.objects.values_list("priority_group__name", "interval_days"))
    assert intervals[None] == 182
    monthly = ["低保户", "特困人员", "独居老人", "空巢老人", "流动人口", "社区矫正对象"]
    assert {name: intervals[name] for name in monthly} == dict.fromkeys(monthly, 30)


def test_policy_migration_keeps_what_an_admin_changed_and_is_safe_to_repeat():
    from django.apps import apps

    migration = importlib.import_module("visits.migrations.0008_practice_visit_policies")
    VisitPolicy.objects.filter(priority_group__isnull=True).update(interval_days=180)  # 0002's figure
    VisitPolicy.objects.filter(priority_group__code="empty_nest").update(interval_days=45)  # an admin's choice
    VisitPolicy.objects.filter(priority_group__code="migrant").delete()

    migration.forwards(apps, None)
    migration.forwards(apps, None)

    intervals = dict(VisitPolicy.objects.values_list("priority_group__code", "interval_days"))
    assert (intervals[None], intervals["empty_nest"], intervals["migrant"]) == (182, 45, 30)
    assert PriorityGroup.objects.filter(name="流动人口").count() == 1
    assert VisitPolicy.objects.filter(priority_group__code="migrant").count() == 1


def test_household_without_priority_group_gets_the_default_interval(household):
    assert interval_of(household) == 182


def test_tightest_priority_group_of_any_resident_wins(household):
    tag(household.residents.get(), "veteran")
    spouse = ResidentFactory(household=household, name="王芳", relation="spouse")
    tag(spouse, "disabled", "unemployed")
    assert interval_of(household) == 60
    VisitPolicy.objects.filter(priority_group__code="veteran").update(interval_days=14)
    assert interval_of(household) == 14


def test_default_is_used_when_the_group_has_no_policy(household):
    VisitPolicy.objects.filter(priority_group__code="veteran").delete()
    tag(household.residents.get(), "veteran")
    assert interval_of(household) == 182


def test_bulk_intervals_take_three_queries_for_many_households(building, django_assert_num_queries):
    for n in range(5):
        tag(ResidentFactory(household=HouseholdFactory(building=building)), "dibao" if n % 2 else "veteran")
    facts, pks = _VisitFacts(), sorted(Household.objects.values_list("pk", flat=True))
    with django_assert_num_queries(3):
        of = facts.of(pks)
    assert sorted(interval for interval, _last, _grouped in of.values()) == [30, 30, 90, 90, 90]


def test_last_visit_ignores_not_at_home(household):
    met_at = timezone.now() - datetime.timedelta(days=20)
    VisitFactory(household=household, visited_at=met_at)
    VisitFactory(household=household, visited_at=timezone.now(), outcome=Visit.Outcome.NOT_HOME)
    assert annotate_last_visit(Household.objects.filter(pk=household.pk)).get().last_visited_at == met_at


def test_never_visited_household_has_no_last_visit(household):
    assert annotate_last_visit(Household.objects.filter(pk=household.pk)).get().last_visited_at is None


def test_policy_for_returns_the_tightest_policy(household):
    tag(household.residents.get(), "living_alone", "veteran")
    assert policy_for(household).priority_group.code == "living_alone"


def test_not_at_home_creates_a_revisit_task_within_revisit_days(household, grid_worker):
    tag(household.residents.get(), "living_alone")
    routine = VisitTaskFactory(household=household, assignee=grid_worker)
    _visit, created = log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)
    assert created
    revisit = VisitTask.objects.get(household=household, kind=kinds.REVISIT)
    assert revisit.state == VisitTask.State.OPEN
    assert revisit.assignee == grid_worker
    assert revisit.due_on == timezone.localdate() + datetime.timedelta(days=3)
    routine.refresh_from_db()
    assert routine.state == VisitTask.State.OPEN


def test_second_not_at_home_keeps_one_revisit_task(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)
    assert VisitTask.objects.filter(household=household, kind=kinds.REVISIT).count() == 1


def test_meeting_the_household_completes_its_open_tasks(household, grid_worker):
    log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.NOT_HOME)
    routine = VisitTaskFactory(household=household, assignee=grid_worker)
    later = VisitTaskFactory(
        household=household,
        kind=kinds.FOLLOW_UP,
        earliest_on=timezone.localdate() + datetime.timedelta(days=20),
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    visit, _ = log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET)
    done = VisitTask.objects.filter(household=household, state=VisitTask.State.DONE)
    assert set(done.values_list("kind", flat=True)) == {kinds.ROUTINE, kinds.REVISIT}
    routine.refresh_from_db()
    assert routine.visit == visit
    assert routine.completed_at is not None
    later.refresh_from_db()
    assert later.state == VisitTask.State.OPEN


def test_requests_raised_in_a_visit_are_registered_with_the_visit(household, grid_worker):
    visit, _ = log_visit(
        household=household,
        by=grid_worker,
        outcome=Visit.Outcome.MET,
        requests=[RaisedRequest(category="heating", description="暖气不热", urgency="urgent")],
    )
    request = visit.requests.get()
    assert request.channel == "visit"
    assert request.state == "registered"
    assert request.events.get().to_state == "registered"
    assert request.due_at - request.created_at == datetime.timedelta(hours=2)


def test_same_idempotency_key_creates_one_visit(household, grid_worker):
    key = "4b1b0d3c-6a55-4c8c-9a55-0d7a0a4b1f10"
    first, created_first = log_visit(household=household, by=grid_worker, outcome="met", idempotency_key=key)
    second, created_second = log_visit(household=household, by=grid_worker, outcome="met", idempotency_key=key)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Visit.objects.count() == 1
