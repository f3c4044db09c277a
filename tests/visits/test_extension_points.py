"""The extension points later apps plug into, each proven with a stand-in registered by the test: escalation
sources and digest lines, request-page actions, visit-form sections, task-list sources, timeline keys."""

import copy
import datetime
from pathlib import Path

import pytest
import time_machine
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from households.timeline import timeline_for
from tests.factories import HouseholdFactory, UserFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from tests.visits.test_visit_views import new_url, visit_data
from visits import form_sections, kinds, reminders, request_actions, task_sources
from visits.form_sections import VisitFormSection
from visits.models import ResidentRequest, Visit, VisitTask
from visits.reminders import DigestPart, DigestSource, EscalationSource, Overdue
from visits.request_actions import RequestAction
from visits.task_sources import TaskListSource, TaskRow

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 30)


@pytest.fixture
def registered():
    """Register stand-ins into a registry for one test: `registered(registry, item)`."""
    added = []

    def add(registry, item):
        registry.register(item)
        added.append((registry, item.key))
        return item

    yield add
    for registry, key in added:
        registry.unregister(key)


# --- Escalation sources and digest lines -------------------------------------------------------------------


def test_escalation_sends_one_message_per_person_across_sources(registered, building, grid, grid_worker, cadre):
    grid.leader = cadre
    grid.save()
    VisitTaskFactory(
        household=HouseholdFactory(building=building),
        assignee=grid_worker,
        due_on=TODAY - datetime.timedelta(days=1),
        assigned_at=NOW - datetime.timedelta(days=30),
    )
    calls = []

    def flag(now):
        calls.append(now)
        return [Overdue(count=2, line="供热公司：超时报修单 2 张", recipients=(cadre.pk,))] if len(calls) == 1 else []

    registered(reminders.escalation_sources, EscalationSource("test_tickets", lambda n: f"报修单 {n} 张", flag))
    with time_machine.travel(NOW, tick=False):
        first = reminders.escalate_overdue()
        second = reminders.escalate_overdue(now=timezone.now() + datetime.timedelta(minutes=30))

    assert first.items() >= {"visit_tasks": 1, "resident_requests": 0, "test_tickets": 2, "notifications": 1}.items()
    assert second["notifications"] == 0
    notification = Notification.objects.get()
    assert notification.user == cadre
    assert "走访任务 1 项" in notification.title and "报修单 2 张" in notification.title
    assert "供热公司：超时报修单 2 张" in notification.body


def test_escalation_never_goes_to_the_person_who_is_late(registered, building, grid, community, grid_worker, cadre):
    grid.leader = grid_worker  # the 网格长 is the one who is late: it climbs to the community
    grid.save()
    VisitTaskFactory(
        household=HouseholdFactory(building=building),
        assignee=grid_worker,
        due_on=TODAY - datetime.timedelta(days=2),
        assigned_at=NOW - datetime.timedelta(days=30),
    )
    registered(
        reminders.escalation_sources,
        EscalationSource(
            "test_self",
            lambda n: f"测试 {n}",
            lambda now: [Overdue(count=1, line="自己的", recipients=(grid_worker.pk,), late=(grid_worker.pk,))],
        ),
    )
    with time_machine.travel(NOW, tick=False):
        reminders.escalate_overdue()
    assert list(Notification.objects.values_list("user", flat=True)) == [cadre.pk]
    assert "自己的" not in Notification.objects.get().body
    assert "张立平" in Notification.objects.get().body  # the leader is told who is late


def test_escalation_query_count_does_not_grow_with_rows(building, grid, grid_worker, cadre):
    def run(n, now):
        for _ in range(n):
            VisitTaskFactory(
                household=HouseholdFactory(building=building),
                assignee=grid_worker,
                due_on=TODAY - datetime.timedelta(days=1),
                assigned_at=now - datetime.timedelta(days=30),
            )
            ResidentRequestFactory(
                household=HouseholdFactory(building=building), due_at=now - datetime.timedelta(days=1)
            )
        with CaptureQueriesContext(connection) as queries:
            reminders.escalate_overdue(now=now)
        return len(queries)

    with time_machine.travel(NOW, tick=False):
        three = run(3, timezone.now())
        thirty = run(30, timezone.now() + datetime.timedelta(hours=1))
    assert three == thirty


def test_daily_digest_merges_every_sources_lines_into_one_notification(registered, building, grid_worker, mediator):
    VisitTaskFactory(household=HouseholdFactory(building=building), assignee=grid_worker, due_on=TODAY)
    registered(
        reminders.digest_sources,
        DigestSource(
            "test_follow_ups",
            lambda today: {
                grid_worker.pk: DigestPart(summary="回访 1 件", lines=("李某 回访",)),
                mediator.pk: DigestPart(summary="回访 2 件", lines=("王某 回访", "赵某 回访")),
            },
        ),
    )
    with time_machine.travel(NOW, tick=False):
        assert reminders.daily_digest() == 2
    mine = Notification.objects.get(user=grid_worker)
    assert "今日到期 1 户" in mine.title and "回访 1 件" in mine.title
    assert "今日到期" in mine.body and "李某 回访" in mine.body
    assert Notification.objects.get(user=mediator).body == "王某 回访\n赵某 回访"


# --- Request-page actions ----------------------------------------------------------------------------------


def test_registered_request_action_shows_for_its_categories_only(registered, client_for, cadre, household):
    registered(
        request_actions.registry,
        RequestAction(key="test_inspect", label="转为入户测温", url_name="request_detail", categories=("heating",)),
    )
    heating = ResidentRequestFactory(household=household, category="heating")
    repair = ResidentRequestFactory(household=household, category="repair")
    client = client_for(cadre)
    page = client.get(reverse("request_detail", args=[heating.pk])).text
    assert "转为入户测温" in page and f'action="{reverse("request_detail", args=[heating.pk])}"' in page
    assert "转为入户测温" not in client.get(reverse("request_detail", args=[repair.pk])).text


def test_action_needs_its_permission(registered, client_for, leader, household):
    registered(
        request_actions.registry,
        RequestAction(
            key="test_perm", label="转为调解案件", url_name="request_detail", permission="visits.change_residentrequest"
        ),
    )
    resident_request = ResidentRequestFactory(household=household)
    assert "转为调解案件" not in client_for(leader).get(reverse("request_detail", args=[resident_request.pk])).text


def test_schedule_check_action_opens_one_request_check_task(client_for, cadre, grid_worker, household):
    resident_request = ResidentRequestFactory(household=household, state=ResidentRequest.State.VERIFYING)
    client = client_for(cadre)
    assert "安排核查走访" in client.get(reverse("request_detail", args=[resident_request.pk])).text
    url = reverse("request_schedule_check", args=[resident_request.pk])
    client.post(url)
    client.post(url)
    task = VisitTask.objects.get()
    assert (task.kind, task.assignee, task.household) == (kinds.REQUEST_CHECK, grid_worker, household)


def test_schedule_check_is_404_for_another_grid(client_for, other_grid_worker, household):
    resident_request = ResidentRequestFactory(household=household, state=ResidentRequest.State.VERIFYING)
    assert (
        client_for(other_grid_worker).post(reverse("request_schedule_check", args=[resident_request.pk])).status_code
        == 404
    )


# --- Visit form sections -----------------------------------------------------------------------------------


class FlagForm(forms.Form):
    neighbour = forms.CharField(label="矛盾苗头（对方户）", required=False, max_length=20)

    def __init__(self, *args, household, user, **kwargs):
        super().__init__(*args, **kwargs)

    def clean_neighbour(self):
        if self.cleaned_data["neighbour"] == "bad":
            raise forms.ValidationError("对方户不存在")
        return self.cleaned_data["neighbour"]


@pytest.fixture
def flag_section(registered, settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], Path(__file__).parent / "templates"]
    settings.TEMPLATES = templates
    saved = []

    def save(visit, cleaned_data):
        if cleaned_data["neighbour"] == "boom":
            raise RuntimeError("section failed")
        saved.append((visit.pk, cleaned_data["neighbour"], Visit.objects.filter(pk=visit.pk).exists()))

    registered(
        form_sections.registry,
        VisitFormSection(key="flag", form_class=FlagForm, template="tests/_flag_section.html", save=save),
    )
    return saved


def test_section_is_rendered_in_the_visit_form(flag_section, client_for, grid_worker, household):
    page = client_for(grid_worker).get(new_url(household)).text
    assert 'data-section="flag"' in page and 'name="flag-neighbour"' in page
    assert 'name="req-TOTAL_FORMS"' in page  # visits' own section, the raised requests


def test_section_is_saved_inside_log_visit(flag_section, client_for, grid_worker, household):
    client_for(grid_worker).post(new_url(household), visit_data(**{"flag-neighbour": "3-2-502"}))
    visit = Visit.objects.get()
    assert flag_section == [(visit.pk, "3-2-502", True)]


def test_invalid_section_saves_no_visit(flag_section, client_for, grid_worker, household):
    response = client_for(grid_worker).post(new_url(household), visit_data(**{"flag-neighbour": "bad"}))
    assert response.status_code == 200 and "对方户不存在" in response.text
    assert not Visit.objects.exists()


def test_failing_section_rolls_the_visit_back(flag_section, client_for, grid_worker, household):
    client = client_for(grid_worker)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.post(new_url(household), visit_data(**{"flag-neighbour": "boom"}))
    assert not Visit.objects.exists()


# --- Task-list sources -------------------------------------------------------------------------------------


def test_task_list_shows_rows_of_registered_sources(registered, client_for, grid_worker, household):
    today = timezone.localdate()

    def follow_ups(user, today, limit):
        if user != grid_worker:
            return []
        return [
            TaskRow(due_on=today, title="回访 · 和调〔2026〕第016号", url="/mediation/16/", detail="外来人员 刘某"),
            TaskRow(
                due_on=today - datetime.timedelta(days=1),
                title="回访 · 和调〔2026〕第009号",
                url="/mediation/9/",
                is_overdue=True,
            ),
        ][:limit]

    registered(task_sources.registry, TaskListSource(key="test_follow_ups", rows=follow_ups))
    VisitTaskFactory(household=household, assignee=grid_worker)
    page = client_for(grid_worker).get(reverse("visittask_list")).text
    assert "和调〔2026〕第016号" in page and "外来人员 刘某" in page and 'href="/mediation/9/"' in page
    assert page.index("第009号") < page.index("第016号")  # by due date
    assert task_sources.rows_for(UserFactory(), today) == []


# --- Timeline -----------------------------------------------------------------------------------------------


def test_visit_timeline_entries_carry_their_key(household, grid_worker):
    visit = VisitFactory(household=household, logged_by=grid_worker)
    keys = [entry.key for entry in timeline_for(household, grid_worker)]
    assert f"visit:{visit.pk}" in keys
