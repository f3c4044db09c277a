"""Follow-ups (回访): planned once per agreement, on the assignee's task list, recorded on their page —
performed closes the dispute after the last one, not performed reopens it — and 404 for everyone outside."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mediation.models import Dispute, FollowUp, Party
from mediation.services import PartyData, conclude_success, plan_follow_ups, recuse, register_dispute

TASKS_URL = "/visits/tasks/"


def agree(dispute, by, **terms):
    """Mediate the dispute to a written agreement (its follow-ups are planned by the service)."""
    dispute.advance(Dispute.State.MEDIATING, by=by)
    return conclude_success(
        dispute,
        by=by,
        agreement_kind=Dispute.AgreementKind.WRITTEN,
        responsibility="楼上住户负主要责任",
        agreement="楼上住户赔偿楼下住户损失 1500 元，并于 7 日内修复卫生间防水。",
        performance_manner="现场交付现金，调解员见证",
        **terms,
    )


def record_url(follow_up):
    return reverse("followup_record", args=[follow_up.pk])


@pytest.fixture
def agreed(dispute, mediator):
    return agree(dispute, mediator)


@pytest.fixture
def first_follow_up(agreed):
    return agreed.follow_ups.order_by("round").first()


# --- Planning -------------------------------------------------------------------------------------------


def test_an_agreement_plans_its_follow_ups_once_for_the_lead_mediator(agreed, mediator):
    plan_follow_ups(agreed)
    plan_follow_ups(agreed)
    today = timezone.localdate()
    assert list(agreed.follow_ups.values_list("round", "due_on", "assignee")) == [
        (1, today + datetime.timedelta(days=7), mediator.pk),
        (2, today + datetime.timedelta(days=30), mediator.pk),
    ]


def test_a_performance_deadline_gives_one_follow_up_on_that_day(dispute, mediator):
    deadline = timezone.localdate() + datetime.timedelta(days=15)
    agree(dispute, mediator, performance_deadline=deadline)
    assert list(dispute.follow_ups.values_list("due_on", flat=True)) == [deadline]


# --- The task list --------------------------------------------------------------------------------------


def test_the_assignee_sees_the_follow_up_on_the_task_list(client_for, agreed, mediator, first_follow_up):
    response = client_for(mediator).get(TASKS_URL)
    assert response.status_code == 200
    assert f"回访 · {agreed.number}" in response.text
    assert "魏永凯、单雄信" in response.text
    assert record_url(first_follow_up) in response.text


@pytest.mark.parametrize("persona", ["other_mediator", "cadre", "grid_worker", "leader"])
def test_nobody_else_sees_the_follow_up_on_their_task_list(client_for, agreed, persona, request):
    response = client_for(request.getfixturevalue(persona)).get(TASKS_URL)
    assert response.status_code == 200
    assert agreed.number not in response.text


def test_an_overdue_follow_up_is_marked_and_a_done_one_leaves_the_list(client_for, agreed, mediator, first_follow_up):
    FollowUp.objects.filter(pk=first_follow_up.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    response = client_for(mediator).get(TASKS_URL)
    assert '<span class="badge text-bg-danger">超期</span>' in response.text
    agreed.follow_ups.update(done_at=timezone.now())
    assert agreed.number not in client_for(mediator).get(TASKS_URL).text


def follow_ups_for(n, *, community, cadre, roster, mediator):
    today = timezone.localdate()
    for i in range(n):
        dispute = register_dispute(
            community=community,
            by=cadre,
            parties=[
                PartyData(side=Party.Side.APPLICANT, kind=Party.Kind.PERSON, name=f"申请人{i}"),
                PartyData(side=Party.Side.RESPONDENT, kind=Party.Kind.PERSON, name=f"被申请人{i}"),
            ],
            mediators=[roster["mediator"]],
            dispute_type="neighbour",
            title="噪音扰民",
            facts="夜间噪音。",
        )
        FollowUp.objects.create(dispute=dispute, round=1, agreement_on=today, due_on=today, assignee=mediator)


def test_the_task_list_costs_the_same_queries_for_3_and_30_follow_ups(client_for, community, cadre, roster, mediator):
    client = client_for(mediator)
    people = {"community": community, "cadre": cadre, "roster": roster, "mediator": mediator}
    follow_ups_for(3, **people)
    client.get(TASKS_URL)  # warm the session and the permission cache
    with CaptureQueriesContext(connection) as three:
        response = client.get(TASKS_URL)
    assert response.text.count("回访 · 和调") == 3
    follow_ups_for(27, **people)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(TASKS_URL)
    assert response.text.count("回访 · 和调") == 30
    assert "被申请人26" in response.text
    assert len(thirty) == len(three)


# --- Recording ------------------------------------------------------------------------------------------


def test_the_page_shows_the_agreement_and_its_performance_terms(client_for, mediator, first_follow_up):
    response = client_for(mediator).get(record_url(first_follow_up))
    assert response.status_code == 200
    for text in ("赔偿楼下住户损失 1500 元", "现场交付现金", "楼上住户负主要责任", "协议是否已履行", "回访情况"):
        assert text in response.text


def test_performed_twice_closes_the_dispute(client_for, agreed, mediator):
    client = client_for(mediator)
    first, second = agreed.follow_ups.order_by("round")

    response = client.post(record_url(first), {"performed": "yes", "note": "已赔偿 1500 元"}, follow=True)
    assert "已记录：协议已履行。" in response.text
    agreed.refresh_from_db()
    assert agreed.state == Dispute.State.FOLLOW_UP

    response = client.post(record_url(second), {"performed": "yes", "note": "防水已修好"}, follow=True)
    assert "案件已结案" in response.text
    agreed.refresh_from_db()
    assert agreed.state == Dispute.State.CLOSED
    assert list(agreed.follow_ups.values_list("performed", "done_by")) == [(True, mediator.pk), (True, mediator.pk)]


def test_closing_by_hand_before_the_last_follow_up_drops_it_from_the_task_list(client_for, agreed, mediator, cadre):
    first, second = agreed.follow_ups.order_by("round")
    client_for(mediator).post(record_url(first), {"performed": "yes", "note": "已赔偿 1500 元"})
    assert record_url(second) in client_for(mediator).get(TASKS_URL).text

    agreed.advance(Dispute.State.CLOSED, by=cadre, note="双方已全部履行，不再回访。")

    assert agreed.state == Dispute.State.CLOSED
    assert list(agreed.follow_ups.values_list("round", "performed")) == [(1, True)]  # the one done stays on file
    assert record_url(second) not in client_for(mediator).get(TASKS_URL).text


def test_not_performed_reopens_the_dispute_and_a_new_agreement_gets_new_follow_ups(client_for, agreed, mediator):
    first, _second = agreed.follow_ups.order_by("round")

    response = client_for(mediator).post(record_url(first), {"performed": "no", "note": "拒不赔偿"}, follow=True)

    assert "案件重新进入调解" in response.text
    agreed.refresh_from_db()
    assert agreed.state == Dispute.State.MEDIATING
    assert list(agreed.follow_ups.values_list("round", "performed")) == [(1, False)]

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        conclude_success(
            agreed, by=mediator, agreement_kind=Dispute.AgreementKind.ORAL, agreement="分两期赔偿，每期 750 元。"
        )
        plan_follow_ups(agreed)
        new_day = timezone.localdate()
    new = agreed.follow_ups.filter(agreement_on=new_day)
    assert list(new.values_list("round", "due_on", "done_at")) == [
        (1, new_day + datetime.timedelta(days=7), None),
        (2, new_day + datetime.timedelta(days=30), None),
    ]
    assert agreed.follow_ups.count() == 3


def test_a_double_submit_records_once_and_says_so(client_for, agreed, mediator, first_follow_up):
    client = client_for(mediator)
    data = {"performed": "no", "note": "未履行"}
    client.post(record_url(first_follow_up), data)
    response = client.post(record_url(first_follow_up), data, follow=True)
    assert response.status_code == 200
    assert "该回访已经记录过了。" in response.text
    assert agreed.events.filter(to_state=Dispute.State.MEDIATING, from_state=Dispute.State.SUCCEEDED).count() == 1
    first_follow_up.refresh_from_db()
    assert first_follow_up.performed is False


def test_the_answer_is_required(client_for, mediator, first_follow_up):
    response = client_for(mediator).post(record_url(first_follow_up), {"note": "电话未接通"})
    assert response.status_code == 200
    assert "请选择协议是否已履行。" in response.text
    first_follow_up.refresh_from_db()
    assert first_follow_up.done_at is None


def test_the_committees_manager_may_record_too(client_for, cadre, first_follow_up):
    client = client_for(cadre)
    assert client.get(record_url(first_follow_up)).status_code == 200
    client.post(record_url(first_follow_up), {"performed": "yes"})
    first_follow_up.refresh_from_db()
    assert first_follow_up.done_by == cadre


@pytest.mark.parametrize("persona", ["grid_worker", "other_community_cadre", "other_mediator", "leader"])
def test_everyone_outside_gets_404(client_for, first_follow_up, persona, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(record_url(first_follow_up)).status_code == 404
    assert client.post(record_url(first_follow_up), {"performed": "yes"}).status_code == 404
    first_follow_up.refresh_from_db()
    assert first_follow_up.done_at is None


def test_a_recused_mediator_loses_the_page(client_for, agreed, mediator, roster, cadre, first_follow_up):
    assignment = agreed.assignments.get(mediator=roster["mediator"])
    recuse(assignment, reason="与申请人系亲属", by=cadre, replacement=roster["teacher"])
    assert client_for(mediator).get(record_url(first_follow_up)).status_code == 404
    first_follow_up.refresh_from_db()
    assert first_follow_up.assignee == roster["teacher"].user
