"""Mediation's reminders: risky disputes told to the committee's managers once, deadline and follow-up lines in
the mediators' daily digest, disputes past their deadline escalated once (and once more after an extension)."""

import datetime

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import Notification, User
from jinjiajiayuan.celery import app as celery_app
from mediation import reminders
from mediation.models import Dispute, FollowUp, Party
from mediation.services import PartyData, extend_deadline, party_from_resident, recuse, register_dispute
from tests.factories import GridFactory, UserFactory, assign
from visits import reminders as visit_reminders
from visits.workdays import add_workdays

# A Monday with a plain working week around it (no holiday, no make-up day).
MONDAY = datetime.date(2026, 3, 9)


@pytest.fixture
def eager(settings):
    """Tasks run in-process when enqueued (the broker is not asked)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    cache.clear()
    yield
    celery_app.conf.task_always_eager = previous
    cache.clear()


@pytest.fixture
def register(community, grid, household, other_household, cadre, roster):
    def make(risk, **fields):
        return register_dispute(
            community=community,
            grid=grid,
            by=cadre,
            parties=[
                party_from_resident(household.residents.get(), side=Party.Side.APPLICANT),
                party_from_resident(other_household.residents.get(), side=Party.Side.RESPONDENT),
            ],
            mediators=[roster["mediator"]],
            dispute_type="neighbour",
            risk=risk,
            title="两户因停车位发生推搡",
            facts="双方在楼下因停车位争执并推搡。",
            **fields,
        )

    return make


def risk_notices():
    return Notification.objects.filter(key__startswith="dispute-risk:")


# --- Risk ---------------------------------------------------------------------------------------------------


def test_a_red_dispute_is_told_to_the_committees_managers_once(register, cadre, mediator, grid_worker):
    dispute = register(Dispute.Risk.RED)

    assert reminders.notify_risk(dispute.pk) == 1
    assert reminders.notify_risk(dispute.pk) == 0

    notice = risk_notices().get()
    assert notice.user == cadre
    assert notice.key == f"dispute-risk:{dispute.pk}"
    assert notice.title == f"红色风险纠纷：{dispute.number}（邻里），请立即处置"
    assert "两户因停车位发生推搡" in notice.body
    assert notice.url == reverse("dispute_detail", args=[dispute.pk])
    dispute.refresh_from_db()
    assert dispute.risk_notified_at is not None


def test_an_orange_dispute_is_told_with_the_same_day_wording(register, cadre):
    dispute = register(Dispute.Risk.ORANGE)
    reminders.notify_risk(dispute.pk)
    assert risk_notices().get().title == f"橙色风险纠纷：{dispute.number}（邻里），请于当日处置"


def test_a_yellow_dispute_tells_nobody(register, cadre):
    dispute = register(Dispute.Risk.YELLOW)
    assert reminders.notify_risk(dispute.pk) == 0
    assert reminders.sweep_risk() == 0
    assert not risk_notices().exists()
    dispute.refresh_from_db()
    assert dispute.risk_notified_at is None


def test_registering_a_red_dispute_notifies_once_the_transaction_commits(
    register, cadre, eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dispute = register(Dispute.Risk.RED)
    assert risk_notices().get().user == cadre
    dispute.refresh_from_db()
    assert dispute.risk_notified_at is not None
    assert reminders.sweep_risk() == 0
    assert risk_notices().count() == 1


def test_a_mediator_who_steps_aside_alone_makes_the_managers_assign_another(
    register, cadre, mediator, roster, eager, django_capture_on_commit_callbacks
):
    dispute = register(Dispute.Risk.YELLOW)
    assignment = dispute.assignments.get(mediator=roster["mediator"])
    with django_capture_on_commit_callbacks(execute=True):
        recuse(assignment, reason="与被申请人系亲属", by=mediator)

    notice = Notification.objects.get(key=f"dispute-recusal:{assignment.pk}")
    assert notice.user == cadre
    assert notice.title == f"调解员回避：{dispute.number}，请指派接替的调解员"
    assert notice.url == reverse("dispute_detail", args=[dispute.pk])
    assert reminders.notify_recusal(assignment.pk) == 1  # asked again: no second notification
    assert Notification.objects.filter(key__startswith="dispute-recusal:").count() == 1


def test_a_recusal_with_a_replacement_tells_nobody(
    register, cadre, mediator, roster, eager, django_capture_on_commit_callbacks
):
    dispute = register(Dispute.Risk.YELLOW)
    assignment = dispute.assignments.get(mediator=roster["mediator"])
    with django_capture_on_commit_callbacks(execute=True):
        recuse(assignment, reason="与被申请人系亲属", by=cadre, replacement=roster["teacher"])
    assert not Notification.objects.filter(key__startswith="dispute-recusal:").exists()


def test_the_sweep_reports_a_red_dispute_whose_task_was_lost(register, cadre):
    # Registered while the broker was down: the on-commit task never ran.
    dispute = register(Dispute.Risk.RED)
    assert not risk_notices().exists()

    assert reminders.sweep_risk() == 1
    assert reminders.sweep_risk() == 0
    assert risk_notices().get().key == f"dispute-risk:{dispute.pk}"


def test_the_sweep_leaves_closed_disputes_alone(register, cadre):
    dispute = register(Dispute.Risk.RED)
    dispute.advance(Dispute.State.REJECTED, by=cadre, reason="不属于人民调解范围")
    assert reminders.sweep_risk() == 0


def test_only_the_disputes_own_committee_and_managers_hear_of_it(register, cadre, other_community_cadre, mediator):
    community_cadre_without_permission = UserFactory(username="cadre_limited", role=User.Role.CADRE)
    assign(community_cadre_without_permission, cadre.assignments.get().community)
    community_cadre_without_permission.groups.clear()
    dispute = register(Dispute.Risk.RED)

    reminders.notify_risk(dispute.pk)

    assert list(risk_notices().values_list("user", flat=True)) == [cadre.pk]


def test_the_sweep_is_a_beat_entry_and_a_runjob_job(register, cadre, capsys):
    entry = PeriodicTask.objects.get(task="mediation.tasks.sweep_risk")
    assert entry.crontab.minute == "*/10"
    register(Dispute.Risk.RED)
    call_command("runjob", "sweep_risk")
    assert "sweep_risk: 1" in capsys.readouterr().out
    assert risk_notices().count() == 1


# --- Deadline digest ----------------------------------------------------------------------------------------


def with_deadline(dispute, deadline):
    Dispute.objects.filter(pk=dispute.pk).update(deadline=deadline)
    return dispute


def test_the_mediator_is_reminded_exactly_7_and_2_working_days_before_the_deadline(dispute, mediator):
    assert add_workdays(MONDAY, 7) == datetime.date(2026, 3, 18)
    with_deadline(dispute, add_workdays(MONDAY, 7))
    parts = reminders.mediation_digest(MONDAY)
    assert parts[mediator.pk].lines == (f"{dispute.number}：调解期限 2026-03-18，还有 7 个工作日",)
    assert parts[mediator.pk].summary == "调解期限临近 1 件"

    with_deadline(dispute, add_workdays(MONDAY, 2))
    assert "还有 2 个工作日" in reminders.mediation_digest(MONDAY)[mediator.pk].lines[0]

    for workdays in (6, 3, 1, 8):
        with_deadline(dispute, add_workdays(MONDAY, workdays))
        assert reminders.mediation_digest(MONDAY) == {}


def test_a_deadline_on_a_weekend_is_reminded_with_the_working_day_before(dispute, mediator):
    saturday = datetime.date(2026, 3, 21)
    with_deadline(dispute, saturday)
    wednesday, thursday = datetime.date(2026, 3, 18), datetime.date(2026, 3, 19)
    assert "还有 2 个工作日" in reminders.mediation_digest(wednesday)[mediator.pk].lines[0]
    assert reminders.mediation_digest(thursday) == {}
    # Not again on the weekend: the count from a day off is the working day before's.
    assert reminders.mediation_digest(datetime.date(2026, 3, 14)) == {}


def test_recused_and_unassigned_mediators_and_concluded_disputes_get_no_deadline_line(
    dispute, mediator, other_mediator, roster, cadre
):
    with_deadline(dispute, add_workdays(MONDAY, 2))
    assert set(reminders.mediation_digest(MONDAY)) == {mediator.pk}
    Dispute.objects.filter(pk=dispute.pk).update(state=Dispute.State.FAILED)
    assert reminders.mediation_digest(MONDAY) == {}


def test_follow_ups_due_today_or_overdue_are_in_the_assignees_digest(dispute, mediator):
    FollowUp.objects.create(
        dispute=dispute, round=1, agreement_on=MONDAY, due_on=MONDAY - datetime.timedelta(days=3), assignee=mediator
    )
    FollowUp.objects.create(dispute=dispute, round=2, agreement_on=MONDAY, due_on=MONDAY, assignee=mediator)
    FollowUp.objects.create(
        dispute=dispute, round=3, agreement_on=MONDAY, due_on=MONDAY + datetime.timedelta(days=1), assignee=mediator
    )

    part = reminders.mediation_digest(MONDAY)[mediator.pk]

    assert part.summary == "待回访 2 次"
    assert part.lines == (f"回访 {dispute.number}：已逾期 3 天", f"回访 {dispute.number}：今日到期")


def test_the_digest_job_sends_the_mediator_one_notification_with_the_lines(dispute, mediator):
    with_deadline(dispute, add_workdays(MONDAY, 7))
    FollowUp.objects.create(dispute=dispute, round=1, agreement_on=MONDAY, due_on=MONDAY, assignee=mediator)

    visit_reminders.daily_digest(today=MONDAY)
    visit_reminders.daily_digest(today=MONDAY)

    digest = Notification.objects.get(user=mediator, kind=Notification.Kind.DIGEST)
    assert "调解期限临近 1 件，待回访 1 次" in digest.title
    assert f"{dispute.number}：调解期限 2026-03-18，还有 7 个工作日" in digest.body
    assert f"回访 {dispute.number}：今日到期" in digest.body


def test_the_digest_costs_the_same_queries_for_3_and_30_disputes(
    community, cadre, roster, mediator, django_assert_num_queries
):
    def make(n):
        for _i in range(n):
            dispute = register_dispute(
                community=community,
                by=cadre,
                parties=[PartyData(side=Party.Side.APPLICANT, kind=Party.Kind.PERSON, name="甲")],
                mediators=[roster["mediator"]],
                dispute_type="neighbour",
                title="噪音",
                facts="夜间噪音。",
            )
            dispute.advance(Dispute.State.ACCEPTED, by=cadre)
            with_deadline(dispute, add_workdays(MONDAY, 2))
            FollowUp.objects.create(dispute=dispute, round=1, agreement_on=MONDAY, due_on=MONDAY, assignee=mediator)

    make(3)
    with django_assert_num_queries(2):
        assert len(reminders.mediation_digest(MONDAY)[mediator.pk].lines) == 6
    make(27)
    with django_assert_num_queries(2):
        lines = reminders.mediation_digest(MONDAY)[mediator.pk].lines
    assert len(lines) == 30 + reminders.FIRST_FEW + 1
    assert lines[-1] == "……另有 25 次回访"


# --- Escalation ---------------------------------------------------------------------------------------------


def day_after(deadline, days=1):
    moment = datetime.datetime.combine(deadline + datetime.timedelta(days=days), datetime.time(9, 0))
    return timezone.make_aware(moment)


def escalations(user):
    return Notification.objects.filter(user=user, kind=Notification.Kind.ESCALATION)


def test_a_dispute_past_its_deadline_is_escalated_once_to_the_managers_not_the_mediator(dispute, cadre, mediator):
    assert visit_reminders.escalate_overdue(now=day_after(dispute.deadline, 0))["mediation_disputes"] == 0

    first = visit_reminders.escalate_overdue(now=day_after(dispute.deadline))
    second = visit_reminders.escalate_overdue(now=day_after(dispute.deadline, 2))

    assert (first["mediation_disputes"], second["mediation_disputes"]) == (1, 0)
    notice = escalations(cadre).get()
    assert "调解案件超期 1 件" in notice.title
    assert f"{dispute.number}：调解期限 {dispute.deadline:%Y-%m-%d} 已超过 1 天（调解员：张艳国）" in notice.body
    assert not escalations(mediator).exists()
    dispute.refresh_from_db()
    assert dispute.escalated_at == day_after(dispute.deadline)


def test_an_extension_lets_the_new_deadline_escalate_once_more(dispute, cadre):
    visit_reminders.escalate_overdue(now=day_after(dispute.deadline))
    old_deadline = dispute.deadline

    extend_deadline(dispute, by=cadre, reason="双方同意再协商一次", parties_consent=True)

    assert dispute.escalated_at is None and dispute.deadline > old_deadline
    assert visit_reminders.escalate_overdue(now=day_after(old_deadline, 2))["mediation_disputes"] == 0
    assert visit_reminders.escalate_overdue(now=day_after(dispute.deadline))["mediation_disputes"] == 1
    assert visit_reminders.escalate_overdue(now=day_after(dispute.deadline, 2))["mediation_disputes"] == 0
    assert escalations(cadre).count() == 2


def test_a_concluded_dispute_is_not_escalated(dispute, cadre):
    dispute.advance(Dispute.State.FAILED, by=cadre, escalated_to=Dispute.EscalatedTo.COURT)
    assert visit_reminders.escalate_overdue(now=day_after(dispute.deadline))["mediation_disputes"] == 0


def test_another_communitys_cadre_hears_nothing(dispute, cadre, other_community_cadre):
    GridFactory(community=other_community_cadre.assignments.get().community)
    visit_reminders.escalate_overdue(now=day_after(dispute.deadline))
    assert not escalations(other_community_cadre).exists()
    assert escalations(cadre).exists()
