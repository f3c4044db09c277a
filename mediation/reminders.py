"""Mediation's reminders: risky disputes reported to the committee's managers, deadline and follow-up lines in
the mediators' daily digest, and disputes past their deadline escalated once (the last two plug into
`visits.reminders`, registered from `mediation.apps`).

- Risk (人民调解 risk grading): a red dispute is reported to the committee's managers at once, an orange one
  the same day; both as soon as the registration commits (`tasks.notify_risk`), and by a sweep every 10
  minutes (`tasks.sweep_risk`) for any the broker lost — so red is reported well within the hour. Yellow is
  handled on the spot and only recorded. Each dispute is stamped `risk_notified_at` under a row lock and its
  notification keyed "dispute-risk:<id>": a second run, or the task and the sweep together, tell nobody twice.
- Deadline (若干规定 art. 33): each assigned mediator who signs in gets a digest line 7 and 2 working days
  before the deadline, and one for each of their follow-ups due today or overdue.
- Escalation: a dispute still in mediation past its deadline is stamped `escalated_at` once and reported to the
  committee's managers, never to its mediators (they are the ones who are late). An extension clears the stamp
  (`services.extend_deadline`), so the new deadline escalates once more.

The committee's managers are its community's active cadres (`grids.staffing.cadres_of`) holding the manager
permission. Every function costs a bounded number of queries.
"""

import logging
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Notification
from accounts.notifications import Message, create_notifications
from grids.staffing import cadres_of
from visits.reminders import FIRST_FEW, DigestPart, DigestSource, EscalationSource, Overdue
from visits.workdays import add_workdays, is_workday

from .models import MANAGE_PERMISSION, Dispute, DisputeMediator, DisputeType, FollowUp

logger = logging.getLogger(__name__)

RISKS_TO_REPORT = (Dispute.Risk.RED, Dispute.Risk.ORANGE)
# Digest lines this many working days before a dispute's deadline.
DEADLINE_REMINDER_WORKDAYS = (7, 2)


def managers_of(community_ids):
    """{community id: [user ids]} of each committee's managers: the community's active cadres who hold the
    manager permission (through their role's group or their own). Two queries."""
    cadres = cadres_of(community_ids)
    candidates = {user_id for user_ids in cadres.values() for user_id in user_ids}
    if not candidates:
        return {}
    app_label, codename = MANAGE_PERMISSION.split(".")
    holds = Q(is_superuser=True)
    for via in ("groups__permissions", "user_permissions"):
        holds |= Q(**{f"{via}__codename": codename, f"{via}__content_type__app_label": app_label})
    managing = set(get_user_model().objects.filter(holds, pk__in=candidates).values_list("pk", flat=True).distinct())
    return {
        community_id: [user_id for user_id in user_ids if user_id in managing]
        for community_id, user_ids in cadres.items()
    }


def dispute_url(dispute_id):
    return reverse("dispute_detail", args=[dispute_id])


# --- Risk ---------------------------------------------------------------------------------------------------


def notify_risk(dispute_id, *, now=None):
    """Report one red or orange dispute to its committee's managers, unless it was reported already (or is
    yellow, or closed). Returns how many disputes this call reported (0 or 1)."""
    return _report_risks(Dispute.objects.filter(pk=dispute_id), now)


def sweep_risk(*, now=None):
    """Report every open red or orange dispute not reported yet (its on-commit task was lost). Returns how many
    disputes were reported."""
    return _report_risks(Dispute.objects.all(), now)


def _report_risks(disputes, now):
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            disputes.open()
            .filter(risk__in=RISKS_TO_REPORT, risk_notified_at__isnull=True)
            .select_for_update(skip_locked=True)
        )
        ids = list(due.values_list("pk", flat=True))
        if not ids:
            return 0
        Dispute.objects.filter(pk__in=ids).update(risk_notified_at=now)
        rows = list(
            Dispute.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "community_id", "community__name", "number", "risk", "dispute_type", "title")
        )
        managers = managers_of({row[1] for row in rows})
        contacts = _contacts({user_id for user_ids in managers.values() for user_id in user_ids})
        for pk, community_id, community_name, number, risk, dispute_type, title in rows:
            recipients = [user_id for user_id in managers.get(community_id, []) if user_id in contacts]
            if not recipients:
                logger.warning("notify_risk: %s (%s) has no manager to tell", number, community_name)
                continue
            heading = _risk_heading(risk, number, dispute_type)
            body = _("%(community)s · 案由：%(title)s") % {"community": community_name, "title": title}
            create_notifications(
                kind=Notification.Kind.INFO,
                key=f"dispute-risk:{pk}",
                messages=[
                    Message(user_id, heading, body, dispute_url(pk), *contacts[user_id]) for user_id in recipients
                ],
            )
    logger.info("notify_risk: %d disputes reported", len(rows))
    return len(rows)


def notify_recusal(assignment_id):
    """Tell the committee's managers that a mediator stepped aside with no one named to take over, so that they
    assign another — once per recusal (key "dispute-recusal:<assignment id>"). Returns how many were told."""
    row = (
        DisputeMediator.objects.filter(pk=assignment_id, recused_at__isnull=False)
        .values_list("dispute_id", "dispute__community_id", "dispute__number", "mediator__name")
        .first()
    )
    if row is None:
        return 0
    dispute_id, community_id, number, name = row
    managers = managers_of({community_id}).get(community_id, [])
    contacts = _contacts(managers)
    recipients = [user_id for user_id in managers if user_id in contacts]
    if not recipients:
        logger.warning("notify_recusal: %s has no manager to tell", number)
        return 0
    heading = _("调解员回避：%(number)s，请指派接替的调解员") % {"number": number}
    body = _("调解员%(name)s已回避，本案需要另行指派调解员。") % {"name": name}
    create_notifications(
        kind=Notification.Kind.INFO,
        key=f"dispute-recusal:{assignment_id}",
        messages=[
            Message(user_id, heading, body, dispute_url(dispute_id), *contacts[user_id]) for user_id in recipients
        ],
    )
    return len(recipients)


def _risk_heading(risk, number, dispute_type):
    """The notification's title (the only part a text message carries): number and type, never a party."""
    words = {"number": number, "type": DisputeType(dispute_type).label}
    if risk == Dispute.Risk.RED:
        return _("红色风险纠纷：%(number)s（%(type)s），请立即处置") % words
    return _("橙色风险纠纷：%(number)s（%(type)s），请于当日处置") % words


def _contacts(user_ids):
    """{user id: (email, phone)} of the active users among `user_ids`. One query."""
    users = get_user_model().objects.filter(pk__in=user_ids, is_active=True)
    return {pk: (email, phone) for pk, email, phone in users.values_list("pk", "email", "phone")}


# --- Daily digest -------------------------------------------------------------------------------------------


def deadline_window(today, workdays):
    """The deadlines that are exactly `workdays` working days after `today`, as [first, end): from that working
    day up to the next one, so a deadline falling on a weekend or holiday is reminded with the working day
    before it."""
    return add_workdays(today, workdays), add_workdays(today, workdays + 1)


def deadline_lines(today):
    """{user id: [line]} for the disputes whose deadline is exactly 7 or 2 working days away, for each of
    their assigned mediators who signs in. On a day off, none: the working day before gave the same count.
    One query."""
    if not is_workday(today):
        return {}
    windows = {workdays: deadline_window(today, workdays) for workdays in DEADLINE_REMINDER_WORKDAYS}
    near = Q()
    for first, end in windows.values():
        near |= Q(dispute__deadline__gte=first, dispute__deadline__lt=end)
    assignments = (
        DisputeMediator.objects.filter(
            near,
            recused_at__isnull=True,
            mediator__user__isnull=False,
            dispute__state__in=Dispute.DEADLINE_STATES,
        )
        .order_by("mediator__user", "dispute__deadline", "dispute")
        .values_list("mediator__user", "dispute__number", "dispute__deadline")
    )
    lines = defaultdict(list)
    for user_id, number, deadline in assignments:
        workdays = next(n for n, (first, end) in windows.items() if first <= deadline < end)
        lines[user_id].append(
            ngettext(
                "%(number)s：调解期限 %(deadline)s，还有 %(n)d 个工作日",
                "%(number)s：调解期限 %(deadline)s，还有 %(n)d 个工作日",
                workdays,
            )
            % {"number": number, "deadline": formats.date_format(deadline, "Y-m-d"), "n": workdays}
        )
    return lines


def follow_up_lines(today):
    """({user id: [line]}, {user id: count}) for each assignee's open follow-ups due today or overdue: the
    first few as lines, with a count of the rest. One query."""
    due = (
        FollowUp.objects.open()
        .filter(assignee__isnull=False, due_on__lte=today)
        .order_by("assignee", "due_on", "pk")
        .values_list("assignee", "dispute__number", "due_on")
    )
    rows = defaultdict(list)
    for user_id, number, due_on in due:
        rows[user_id].append((number, due_on))
    lines = {}
    for user_id, follow_ups in rows.items():
        lines[user_id] = [_follow_up_line(number, due_on, today) for number, due_on in follow_ups[:FIRST_FEW]]
        more = len(follow_ups) - FIRST_FEW
        if more > 0:
            lines[user_id].append(ngettext("……另有 %(n)d 次回访", "……另有 %(n)d 次回访", more) % {"n": more})
    return lines, {user_id: len(follow_ups) for user_id, follow_ups in rows.items()}


def _follow_up_line(number, due_on, today):
    if due_on == today:
        return _("回访 %(number)s：今日到期") % {"number": number}
    days = (today - due_on).days
    return ngettext("回访 %(number)s：已逾期 %(n)d 天", "回访 %(number)s：已逾期 %(n)d 天", days) % {
        "number": number,
        "n": days,
    }


def mediation_digest(today):
    """Mediation's part of each mediator's daily digest: deadlines 7 and 2 working days away, follow-ups due
    today or overdue. Two queries."""
    deadlines = deadline_lines(today)
    follow_ups, follow_up_counts = follow_up_lines(today)
    parts = {}
    for user_id in deadlines.keys() | follow_ups.keys():
        summary = []
        if deadlines.get(user_id):
            summary.append(
                ngettext("调解期限临近 %(n)d 件", "调解期限临近 %(n)d 件", len(deadlines[user_id]))
                % {"n": len(deadlines[user_id])}
            )
        if follow_up_counts.get(user_id):
            summary.append(
                ngettext("待回访 %(n)d 次", "待回访 %(n)d 次", follow_up_counts[user_id])
                % {"n": follow_up_counts[user_id]}
            )
        parts[user_id] = DigestPart(
            summary="，".join(summary),
            lines=(*deadlines.get(user_id, ()), *follow_ups.get(user_id, ())),
            url=reverse("visittask_list") if user_id in follow_ups else reverse("mediation_index"),
        )
    return parts


# --- Escalation ---------------------------------------------------------------------------------------------


def flag_overdue_disputes(now):
    """Stamp `escalated_at` on disputes still in mediation past their deadline and not escalated yet (a
    conditional UPDATE: a second run stamps nothing), and report each to its committee's managers; its
    mediators are the ones who are late. Five queries whatever the number of disputes."""
    today = timezone.localdate(now)
    overdue = Dispute.objects.filter(Dispute.objects.overdue_q(today), escalated_at__isnull=True)
    if not overdue.update(escalated_at=now):
        return []
    flagged = list(
        Dispute.objects.filter(escalated_at=now)
        .order_by("community_id", "deadline", "pk")
        .values_list("pk", "community_id", "community__name", "number", "deadline")
    )
    mediators = defaultdict(list)
    assignments = DisputeMediator.objects.filter(
        dispute__in=[row[0] for row in flagged], recused_at__isnull=True
    ).order_by("-is_lead", "assigned_at", "pk")
    for dispute_id, user_id, name in assignments.values_list("dispute_id", "mediator__user", "mediator__name"):
        mediators[dispute_id].append((user_id, name))
    managers = managers_of({row[1] for row in flagged})
    items = []
    for pk, community_id, community_name, number, deadline in flagged:
        names = "、".join(name for _user, name in mediators[pk]) or _("未分派")
        days = (today - deadline).days
        items.append(
            Overdue(
                count=1,
                line=ngettext(
                    "%(community)s %(number)s：调解期限 %(deadline)s 已超过 %(n)d 天（调解员：%(names)s）",
                    "%(community)s %(number)s：调解期限 %(deadline)s 已超过 %(n)d 天（调解员：%(names)s）",
                    days,
                )
                % {
                    "community": community_name,
                    "number": number,
                    "deadline": formats.date_format(deadline, "Y-m-d"),
                    "n": days,
                    "names": names,
                },
                recipients=tuple(managers.get(community_id, ())),
                late=tuple(user_id for user_id, _name in mediators[pk] if user_id),
            )
        )
    return items


OVERDUE_DISPUTES = EscalationSource(
    "mediation_disputes",
    lambda n: ngettext("调解案件超期 %(n)d 件", "调解案件超期 %(n)d 件", n) % {"n": n},
    flag_overdue_disputes,
    "mediation_index",
)
MEDIATION_DIGEST = DigestSource("mediation", mediation_digest)
