"""The dispute's flow, recusal, the deadline's one extension, idempotent registration and numbering under
concurrent registration, at the service level (the pages are in test_views.py and test_register.py)."""

import contextlib
import datetime
import threading
import uuid

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from mediation.models import Dispute, DisputeEvent, FollowUp, InvalidDisputeMove, MediationSession, Party, add_months
from mediation.services import (
    PartyData,
    conclude_failure,
    conclude_success,
    extend_deadline,
    record_session,
    recuse,
    register_dispute,
    register_dispute_from_request,
)
from tests.visits.factories import ResidentRequestFactory
from visits.models import ResidentRequest

State = Dispute.State


def outside_parties():
    return [
        PartyData(side=Party.Side.APPLICANT, kind=Party.Kind.PERSON, name="孟庆芳"),
        PartyData(side=Party.Side.RESPONDENT, kind=Party.Kind.ORGANISATION, name="嘉苑物业", representative="刘经理"),
    ]


def register(community, by, **fields):
    defaults = {"dispute_type": "property", "title": "物业费纠纷", "facts": "拖欠物业费两年。"}
    return register_dispute(community=community, by=by, parties=outside_parties(), **{**defaults, **fields})


# --- Flow --------------------------------------------------------------------------------------------------------


def test_a_dispute_goes_from_registration_to_closing_and_every_step_is_recorded(dispute, cadre, mediator, roster):
    session = record_session(
        dispute,
        by=mediator,
        mediators=[roster["mediator"]],
        held_on=timezone.localdate(),
        attendees="双方当事人",
        record="双方陈述。",
    )
    dispute.refresh_from_db()
    assert dispute.state == State.MEDIATING and session.mediators.get() == roster["mediator"]

    conclude_success(
        dispute, by=mediator, agreement_kind="written", agreement="赔偿 1500 元。", court_confirmation=None
    )
    assert dispute.state == State.SUCCEEDED and dispute.concluded_on == timezone.localdate()
    assert FollowUp.objects.filter(dispute=dispute).count() == 2

    dispute.advance(State.FOLLOW_UP, by=mediator)
    dispute.advance(State.CLOSED, by=cadre)
    assert dispute.closed_on == timezone.localdate()
    steps = list(DisputeEvent.objects.filter(dispute=dispute).values_list("to_state", flat=True))
    assert steps == ["registered", "accepted", "mediating", "succeeded", "follow_up", "closed"]


def test_a_failure_records_where_the_dispute_went(dispute, mediator):
    conclude_failure(dispute, by=mediator, escalated_to="court", failure_reason="一方坚持起诉。")
    assert (dispute.state, dispute.escalated_to, dispute.failure_reason) == (State.FAILED, "court", "一方坚持起诉。")
    dispute.advance(State.CLOSED, by=mediator)
    assert dispute.state == State.CLOSED


@pytest.mark.parametrize(
    ("to_state", "details", "message"),
    [
        (State.REJECTED, {}, "不予受理时请写明理由"),
        (State.SUCCEEDED, {}, "不能从“登记”转到“调解成功”"),
        (State.CLOSED, {}, "不能从“登记”转到“结案”"),
    ],
)
def test_illegal_or_incomplete_moves_are_refused_and_change_nothing(new_dispute, cadre, to_state, details, message):
    with pytest.raises(InvalidDisputeMove, match=message):
        new_dispute.advance(to_state, by=cadre, **details)
    new_dispute.refresh_from_db()
    assert new_dispute.state == State.REGISTERED and new_dispute.events.count() == 1


def test_success_without_agreement_content_is_refused(dispute, mediator, roster):
    record_session(
        dispute, by=mediator, mediators=[roster["mediator"]], held_on=timezone.localdate(), attendees="双方", record="…"
    )
    with pytest.raises(InvalidDisputeMove, match="请填写协议内容"):
        conclude_success(dispute, by=mediator, agreement_kind="oral", agreement="  ")
    dispute.refresh_from_db()
    assert dispute.state == State.MEDIATING and not FollowUp.objects.exists()


def test_a_session_is_refused_before_acceptance(new_dispute, mediator, roster):
    with pytest.raises(InvalidDisputeMove, match="只有已受理、调解中的案件可以记录调解"):
        record_session(
            new_dispute,
            by=mediator,
            mediators=[roster["mediator"]],
            held_on=timezone.localdate(),
            attendees="双方",
            record="…",
        )
    assert not MediationSession.objects.exists()


def test_a_session_is_recorded_once_per_token(dispute, mediator, roster):
    token = uuid.uuid4()
    fields = {"held_on": timezone.localdate(), "attendees": "双方", "record": "调解。"}
    first = record_session(dispute, by=mediator, mediators=[roster["mediator"]], token=token, **fields)
    again = record_session(dispute, by=mediator, mediators=[roster["mediator"]], token=token, **fields)
    assert first == again and MediationSession.objects.count() == 1


# --- Recusal -----------------------------------------------------------------------------------------------------


def test_a_recused_mediator_no_longer_sees_the_dispute_and_the_replacement_leads(dispute, mediator, cadre, roster):
    assignment = dispute.assignments.get(mediator=roster["mediator"])
    new = recuse(assignment, reason="与申请人系表兄弟", by=cadre, replacement=roster["teacher"])

    assignment.refresh_from_db()
    assert assignment.recused_at is not None and assignment.recusal_reason == "与申请人系表兄弟"
    assert new.mediator == roster["teacher"] and new.is_lead
    assert not Dispute.objects.visible_to(mediator).filter(pk=dispute.pk).exists()
    assert Dispute.objects.visible_to(roster["teacher"].user).filter(pk=dispute.pk).exists()


def test_recusal_needs_a_reason_and_happens_once(dispute, mediator, roster):
    assignment = dispute.assignments.get(mediator=roster["mediator"])
    with pytest.raises(InvalidDisputeMove, match="请写明回避理由"):
        recuse(assignment, reason=" ", by=mediator)
    recuse(assignment, reason="当事人申请回避", by=mediator)
    with pytest.raises(InvalidDisputeMove, match="该调解员已回避"):
        recuse(assignment, reason="当事人申请回避", by=mediator)


# --- Deadline ----------------------------------------------------------------------------------------------------


def test_the_deadline_is_extended_once_with_both_parties_consent(dispute, mediator):
    deadline = dispute.deadline
    with pytest.raises(InvalidDisputeMove, match="延期须经双方当事人同意"):
        extend_deadline(dispute, by=mediator, reason="需等待鉴定结果", parties_consent=False)

    extend_deadline(dispute, by=mediator, reason="需等待鉴定结果", parties_consent=True)
    assert dispute.deadline == add_months(deadline, 1) and dispute.extended_on == timezone.localdate()
    assert dispute.events.filter(from_state=State.ACCEPTED, to_state=State.ACCEPTED).count() == 1

    with pytest.raises(InvalidDisputeMove, match="只能延长一次"):
        extend_deadline(dispute, by=mediator, reason="还需时间", parties_consent=True)
    dispute.refresh_from_db()
    assert dispute.deadline == add_months(deadline, 1)


def test_the_deadline_cannot_be_extended_before_acceptance(new_dispute, mediator):
    with pytest.raises(InvalidDisputeMove, match="只能延长一次"):
        extend_deadline(new_dispute, by=mediator, reason="需等待", parties_consent=True)


def test_a_dispute_past_its_deadline_is_overdue_by_whole_days(dispute):
    later = dispute.deadline + datetime.timedelta(days=3)
    assert dispute.days_overdue(later) == 3
    assert Dispute.objects.filter(Dispute.objects.overdue_q(later), pk=dispute.pk).exists()
    assert dispute.days_overdue(dispute.deadline) == 0


# --- Registration: numbers and tokens --------------------------------------------------------------------------


def test_numbers_run_per_committee_and_restart_each_year(community, other_community_cadre, cadre):
    other = other_community_cadre.assignments.get().community
    with time_machine.travel(datetime.datetime(2026, 12, 31, 12, tzinfo=datetime.UTC)):
        first, second = register(community, cadre), register(community, cadre)
        elsewhere = register(other, other_community_cadre)
    with time_machine.travel(datetime.datetime(2027, 1, 2, 12, tzinfo=datetime.UTC)):
        next_year = register(community, cadre)
    assert [first.number, second.number] == ["和调〔2026〕第001号", "和调〔2026〕第002号"]
    assert elsewhere.number == "和调〔2026〕第001号" and elsewhere.community == other
    assert next_year.number == "和调〔2027〕第001号"


def test_a_registration_with_the_same_token_registers_once(community, cadre):
    token = uuid.uuid4()
    first = register(community, cadre, token=token)
    again = register(community, cadre, token=token)
    assert first == again and Dispute.objects.count() == 1


def _run_at_once(work, count=2):
    """Run `work(index)` in `count` threads started together. PostgreSQL runs them concurrently; SQLite's
    in-memory test database allows one writer, so there they run one after the other."""
    concurrent = connection.vendor == "postgresql"
    start = threading.Barrier(count)
    one_at_a_time = contextlib.nullcontext() if concurrent else threading.Lock()
    results, failures = [], []

    def run(index):
        try:
            with one_at_a_time:
                if concurrent:
                    start.wait(timeout=10)
                results.append(work(index))
        except Exception as error:  # noqa: BLE001 — reported below, a thread's exception would be lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_get_two_distinct_consecutive_numbers(community, cadre):
    disputes = _run_at_once(lambda index: register(community, cadre, title=f"纠纷{index}"))

    assert sorted(d.sequence for d in disputes) == [1, 2]
    year = timezone.localdate().year
    assert set(Dispute.objects.values_list("number", flat=True)) == {
        f"和调〔{year}〕第001号",
        f"和调〔{year}〕第002号",
    }


@pytest.mark.django_db(transaction=True)
def test_a_form_submitted_twice_at_once_registers_one_dispute(community, cadre):
    token = uuid.uuid4()
    disputes = _run_at_once(lambda index: register(community, cadre, token=token))

    assert len({d.pk for d in disputes}) == 1 and Dispute.objects.count() == 1
    assert Dispute.objects.get().sequence == 1


# --- From a resident request -----------------------------------------------------------------------------------


def test_a_neighbour_request_becomes_one_dispute(household, cadre):
    resident_request = ResidentRequestFactory(
        household=household,
        category=ResidentRequest.Category.NEIGHBOUR,
        description="楼上装修噪音扰民",
        created_by=cadre,
    )
    dispute, created = register_dispute_from_request(resident_request, by=cadre)
    again, created_again = register_dispute_from_request(resident_request, by=cadre)

    assert created and not created_again and dispute == again
    assert (dispute.source, dispute.dispute_type, dispute.risk) == ("request", "neighbour", "yellow")
    assert dispute.facts == "楼上装修噪音扰民" and dispute.grid == household.building.grid
    applicant = dispute.parties.get()
    assert (applicant.side, applicant.name, applicant.household) == ("applicant", "魏永凯", household)
    resident_request.refresh_from_db()
    assert resident_request.dispute == dispute
