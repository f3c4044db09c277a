"""The background jobs as services: set-based, idempotent, balanced, and reported once."""

import datetime
from collections import Counter

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.delivery import LocmemSmsBackend
from accounts.models import Notification, SmsMessage, User
from households.models import Household, PriorityGroup
from jinjiajiayuan.celery import app as celery_app
from tests.factories import (
    HouseholdFactory,
    LeadHouseholdFactory,
    PartyMemberFactory,
    ResidentFactory,
    UserFactory,
    assign,
)
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits import kinds, reminders, scheduling
from visits.models import VisitPolicy, VisitTask
from visits.policy import annotate_last_visit, policy_for

TODAY = datetime.date(2026, 11, 30)
NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def eager_delivery(settings):
    """Deliveries run in-process; e-mail to mailoutbox, SMS to LocmemSmsBackend.outbox."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.SMS_BACKEND = "accounts.delivery.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    cache.clear()
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def visited(household, days, by):
    return VisitFactory(household=household, visited_at=days_ago(days), logged_by=by)


def test_schedule_visits_twice_creates_tasks_once(household, other_household, grid_worker, other_grid_worker):
    assert scheduling.schedule_visits() == 2
    assert scheduling.schedule_visits() == 0
    assert VisitTask.objects.count() == 2
    assert dict(VisitTask.objects.values_list("household", "assignee")) == {
        household.pk: grid_worker.pk,
        other_household.pk: other_grid_worker.pk,
    }


def test_schedule_balances_households_across_grid_workers(building, grid_worker):
    second = UserFactory(username="grid03", role=User.Role.GRID_WORKER)
    assign(second, building.grid)
    HouseholdFactory.create_batch(10, building=building)

    scheduling.schedule_visits()

    loads = Counter(VisitTask.objects.values_list("assignee", flat=True))
    assert loads == {grid_worker.pk: 5, second.pk: 5}


def test_schedule_gives_more_to_the_worker_with_fewer_open_tasks(building, grid_worker):
    second = UserFactory(username="grid03", role=User.Role.GRID_WORKER)
    assign(second, building.grid)
    for _ in range(4):
        VisitTaskFactory(assignee=grid_worker, household=HouseholdFactory(building=building))
    HouseholdFactory.create_batch(6, building=building)

    scheduling.schedule_visits()

    loads = Counter(VisitTask.objects.open().values_list("assignee", flat=True))
    assert loads == {grid_worker.pk: 4 + 1, second.pk: 5}


def test_recently_visited_household_gets_no_task(household, grid_worker):
    visited(household, 30, grid_worker)
    assert scheduling.schedule_visits() == 0


def test_not_at_home_visit_does_not_count_as_visited(household, grid_worker):
    VisitFactory(household=household, visited_at=days_ago(2), logged_by=grid_worker, outcome="not_home")
    assert scheduling.schedule_visits() == 1


def test_tightest_policy_sets_the_due_date(household, grid_worker):
    resident = household.residents.get()
    resident.priority_groups.add(
        PriorityGroup.objects.get(code="living_alone"), PriorityGroup.objects.get(code="disabled")
    )
    assert VisitPolicy.objects.get(priority_group__code="living_alone").interval_days == 30
    visited(household, 26, grid_worker)

    scheduling.schedule_visits()

    task = VisitTask.objects.get()
    assert task.kind == kinds.PRIORITY_GROUP
    assert (task.earliest_on, task.due_on) == (TODAY, TODAY + datetime.timedelta(days=4))


def test_ordinary_household_gets_its_task_a_week_before_the_default_interval_ends(building, grid_worker):
    not_yet = HouseholdFactory(building=building)
    soon = HouseholdFactory(building=building)
    visited(not_yet, 170, grid_worker)
    visited(soon, 177, grid_worker)

    assert scheduling.schedule_visits() == 1

    task = VisitTask.objects.get()
    assert (task.household, task.due_on) == (soon, TODAY + datetime.timedelta(days=5))


def test_long_unvisited_household_is_due_today_as_routine(household, grid_worker):
    visited(household, 400, grid_worker)
    scheduling.schedule_visits()
    task = VisitTask.objects.get()
    assert (task.kind, task.due_on, task.assignee) == (kinds.ROUTINE, TODAY, grid_worker)


def test_household_with_an_open_task_is_skipped(household, grid_worker):
    VisitTaskFactory(household=household, kind=kinds.REVISIT, assignee=grid_worker)
    assert scheduling.schedule_visits() == 0


def test_vacant_household_is_not_scheduled(household, grid_worker):
    household.status = household.Status.VACANT
    household.save()
    assert scheduling.schedule_visits() == 0


def test_grid_without_workers_gets_an_unassigned_task(household):
    scheduling.schedule_visits()
    assert VisitTask.objects.get().assignee is None


def test_schedule_query_count_does_not_grow_with_households(building, grid_worker):
    HouseholdFactory.create_batch(3, building=building)
    with CaptureQueriesContext(connection) as three:
        assert scheduling.schedule_visits() == 3
    HouseholdFactory.create_batch(30, building=building)
    with CaptureQueriesContext(connection) as thirty:
        assert scheduling.schedule_visits() == 30
    assert len(three) == len(thirty)


def test_chunks_give_the_same_result_as_one_pass(building, grid_worker):
    HouseholdFactory.create_batch(12, building=building)
    assert scheduling.schedule_visits(chunk_size=5) == 12
    assert VisitTask.objects.count() == 12


def test_scheduler_facts_agree_with_the_single_household_policy(building, grid_worker):
    lonely, ordinary, never = HouseholdFactory.create_batch(3, building=building)
    ResidentFactory(household=lonely).priority_groups.add(
        PriorityGroup.objects.get(code="living_alone"), PriorityGroup.objects.get(code="veteran")
    )
    ResidentFactory(household=ordinary)
    visited(lonely, 40, grid_worker)
    visited(ordinary, 100, grid_worker)
    VisitFactory(household=ordinary, visited_at=days_ago(5), logged_by=grid_worker, outcome="not_home")
    households = [lonely, ordinary, never]

    facts = scheduling._VisitFacts().of(sorted(h.pk for h in households))
    annotated = annotate_last_visit(Household.objects.filter(pk__in=[h.pk for h in households]))

    for household in annotated:
        interval, last_visited_at, _in_group = facts[household.pk]
        assert (interval, last_visited_at) == (policy_for(household).interval_days, household.last_visited_at)
    assert [facts[h.pk][0] for h in households] == [30, 182, 182]
    assert facts[lonely.pk][2] and not facts[ordinary.pk][2]


def digest_tasks(worker, building):
    due = {"overdue": TODAY - datetime.timedelta(days=3), "today": TODAY, "later": TODAY + datetime.timedelta(days=5)}
    for when, count in (("overdue", 2), ("today", 1), ("later", 1)):
        for _ in range(count):
            VisitTaskFactory(
                household=HouseholdFactory(building=building),
                assignee=worker,
                earliest_on=TODAY - datetime.timedelta(days=7),
                due_on=due[when],
            )


def test_daily_digest_sends_one_notification_per_user_per_day(
    building, grid_worker, mailoutbox, django_capture_on_commit_callbacks
):
    grid_worker.email, grid_worker.phone = "zhang@example.cn", "13800000001"
    grid_worker.save()
    digest_tasks(grid_worker, building)

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.daily_digest() == 1
    with django_capture_on_commit_callbacks(execute=True):
        reminders.daily_digest()

    notification = Notification.objects.get()
    assert notification.user == grid_worker
    assert notification.key == "digest:2026-11-30"
    assert "逾期 2 户" in notification.title and "今日到期 1 户" in notification.title
    assert notification.body.count("已逾期") == 2 and notification.body.count("今日到期") == 1
    assert (notification.email_state, notification.sms_state) == ("sent", "sent")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["zhang@example.cn"]
    assert [phone for phone, _text in LocmemSmsBackend.outbox] == ["13800000001"]


def test_daily_digest_skips_staff_with_nothing_due(building, grid_worker):
    VisitTaskFactory(
        household=HouseholdFactory(building=building), assignee=grid_worker, due_on=TODAY + datetime.timedelta(days=3)
    )
    assert reminders.daily_digest() == 0
    assert not Notification.objects.exists()


def test_digest_without_email_or_phone_is_in_portal_only(building, grid_worker, mailoutbox):
    digest_tasks(grid_worker, building)
    reminders.daily_digest()
    notification = Notification.objects.get()
    assert (notification.email_state, notification.sms_state) == ("skipped", "skipped")
    assert mailoutbox == []


def test_escalate_overdue_flags_each_item_once(building, grid, grid_worker, cadre):
    grid.leader = cadre
    grid.save()
    task = VisitTaskFactory(
        household=HouseholdFactory(building=building, unit=3, room="302"),
        assignee=grid_worker,
        due_on=TODAY - datetime.timedelta(days=1),
        assigned_at=days_ago(30),
    )
    VisitTaskFactory(
        household=HouseholdFactory(building=building), assignee=grid_worker, due_on=TODAY, assigned_at=days_ago(30)
    )
    request = ResidentRequestFactory(household=HouseholdFactory(building=building), due_at=days_ago(1))

    first = reminders.escalate_overdue()
    second = reminders.escalate_overdue(now=timezone.now() + datetime.timedelta(minutes=30))

    # Other apps (heating) register their own sources: these are visits' figures.
    assert first.items() >= {"visit_tasks": 1, "resident_requests": 1, "notifications": 1}.items()
    assert second.items() >= {"visit_tasks": 0, "resident_requests": 0, "notifications": 0}.items()
    notification = Notification.objects.get()
    assert notification.user == cadre and notification.kind == Notification.Kind.ESCALATION
    assert "3-3-302" in notification.body and "物业维修" in notification.body
    task.refresh_from_db()
    request.refresh_from_db()
    assert task.escalated_at == request.escalated_at == timezone.now()


def test_escalation_without_grid_leader_goes_to_the_community_cadres(building, grid_worker, cadre):
    VisitTaskFactory(
        household=HouseholdFactory(building=building),
        assignee=grid_worker,
        due_on=TODAY - datetime.timedelta(days=1),
        assigned_at=days_ago(30),
    )
    reminders.escalate_overdue()
    assert list(Notification.objects.values_list("user", flat=True)) == [cadre.pk]


def test_closed_request_is_not_escalated(building, cadre):
    ResidentRequestFactory(household=HouseholdFactory(building=building), due_at=days_ago(1), state="closed")
    assert reminders.escalate_overdue()["resident_requests"] == 0


def test_lead_household_digest_texts_once_a_month(building, grid_worker, django_capture_on_commit_callbacks):
    member = PartyMemberFactory(
        resident=ResidentFactory(household=HouseholdFactory(building=building), phone="13900001111")
    )
    lead = LeadHouseholdFactory(party_member=member)
    stale = HouseholdFactory(building=building, unit=1, room="101", lead_household=lead)
    fresh = HouseholdFactory(building=building, unit=1, room="102", lead_household=lead)
    visited(stale, 400, grid_worker)
    visited(fresh, 10, grid_worker)

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.lead_household_digest() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.lead_household_digest() == 0

    sms = SmsMessage.objects.get()
    assert sms.key == f"lead:{lead.pk}:2026-11" and sms.state == "sent"
    assert f"{building.number}-1-101" in sms.body and "-1-102" not in sms.body
    assert LocmemSmsBackend.outbox == [("13900001111", "【金色嘉苑】" + sms.body)]
