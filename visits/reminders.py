"""Reminders: the daily digest, the escalation of overdue work, the lead households' monthly text.

Two registries let later apps add to the same messages, so each person gets one digest a day and one
escalation notice per run, whatever the number of apps:

    reminders.digest_sources.register(DigestSource("heating_tickets", ticket_digest_parts))
    reminders.escalation_sources.register(EscalationSource("heating_tickets", count_text, flag_overdue_tickets, url_name))

A digest source returns `{user id: DigestPart}` for a day; an escalation source stamps its newly overdue rows
(a conditional UPDATE, so each row is flagged once) and returns them grouped as `Overdue` items, each with its
recipients and the people who are late. The job never tells the person who is late: `grids.staffing` climbs
from the 网格长 to the community when the 网格长 is the one who is late. Each source costs a bounded number
of queries. Idempotency:

- `daily_digest`: one notification per staff member per day (unique (user, "digest:<date>"));
- `escalate_overdue`: rows are stamped `escalated_at` once; only rows this run stamped are reported;
- `lead_household_digest`: one text message per lead household per month (unique "lead:<id>:<month>").
"""

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Notification, User
from accounts.notifications import Message, create_notifications, create_sms
from core.bulk import keyset_chunks
from core.registry import Registry
from grids.models import Grid
from grids.staffing import answerable_for
from households.models import Household, LeadHousehold
from households.search import room_code

from .models import ResidentRequest, VisitTask
from .scheduling import CHUNK_SIZE, _VisitFacts, unvisited_too_long

logger = logging.getLogger(__name__)

FIRST_FEW = 5
ROOM_FIELDS = ("household__building__number", "household__unit", "household__room")
GRID = "household__building__grid"


# --- Registries ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestPart:
    """One app's part of a person's daily digest: a summary for the title, lines for the body, a link."""

    summary: str
    lines: tuple[str, ...] = ()
    url: str = ""


@dataclass(frozen=True)
class DigestSource:
    key: str
    #: parts(today) -> {user id: DigestPart}, in a bounded number of queries
    parts: Callable[[datetime.date], dict]


@dataclass(frozen=True)
class Overdue:
    """A group of rows an escalation source flagged in this run: told to `recipients`, never to `late`."""

    count: int
    line: str
    recipients: tuple[int, ...]
    late: tuple[int, ...] = ()


@dataclass(frozen=True)
class EscalationSource:
    key: str
    #: count_text(n) -> e.g. "走访任务 3 项", for the notification's title
    count_text: Callable[[int], str]
    #: flag(now) -> [Overdue]: stamps the rows overdue at `now` not yet escalated; runs in the job's transaction
    flag: Callable[[datetime.datetime], list]
    url_name: str = ""


digest_sources = Registry("digest sources")
escalation_sources = Registry("escalation sources")


# --- Daily digest -------------------------------------------------------------------------------------------


def daily_digest(*, today=None):
    """Give every active staff member with something due today or overdue one notification for the day,
    made of every registered digest source's part.

    The notification is e-mailed when the user has an address and texted when they have a phone, each once.
    Returns how many notifications were created.
    """
    today = today or timezone.localdate()
    parts = defaultdict(list)
    for source in digest_sources:
        for user_id, part in source.parts(today).items():
            parts[user_id].append(part)
    if not parts:
        return 0
    users = User.objects.filter(pk__in=parts, is_active=True).values_list("pk", "email", "phone")
    messages = [
        Message(
            user_id=user_id,
            title=_("今日提醒：%(summary)s") % {"summary": "；".join(part.summary for part in parts[user_id])},
            body="\n".join(line for part in parts[user_id] for line in part.lines),
            url=next((part.url for part in parts[user_id] if part.url), ""),
            email=email,
            phone=phone,
        )
        for user_id, email, phone in users
    ]
    create_notifications(kind=Notification.Kind.DIGEST, key=f"digest:{today.isoformat()}", messages=messages)
    logger.info("daily_digest: %d staff members for %s", len(messages), today)
    return len(messages)


def visit_task_digest(today):
    """Visits' digest part: counts of overdue and today's tasks, and the first few households. Three queries."""
    tasks = VisitTask.objects.open().filter(assignee__isnull=False, assignee__is_active=True, due_on__lte=today)
    overdue = VisitTask.objects.overdue_q(today)
    counts = {
        row["assignee"]: row
        for row in tasks.values("assignee")
        .annotate(overdue=Count("pk", filter=overdue), due_today=Count("pk", filter=Q(due_on=today)))
        .order_by()
    }
    if not counts:
        return {}
    first_few = defaultdict(list)
    ranked = (
        tasks.with_overdue(today)
        .annotate(rank=Window(RowNumber(), partition_by=[F("assignee")], order_by=[F("due_on").asc(), F("pk").asc()]))
        .filter(rank__lte=FIRST_FEW)
    )
    for assignee, *room, is_overdue in ranked.values_list("assignee", *ROOM_FIELDS, "is_overdue"):
        first_few[assignee].append(
            _("%(room)s（%(due)s）") % {"room": room_code(*room), "due": _("已逾期") if is_overdue else _("今日到期")}
        )
    parts = {}
    for user_id, row in counts.items():
        lines = first_few[user_id]
        more = row["overdue"] + row["due_today"] - len(lines)
        if more > 0:
            lines.append(ngettext("……另有 %(n)d 户", "……另有 %(n)d 户", more) % {"n": more})
        parts[user_id] = DigestPart(
            summary=_("走访逾期 %(overdue)d 户，今日到期 %(today)d 户")
            % {"overdue": row["overdue"], "today": row["due_today"]},
            lines=tuple(lines),
            url=reverse("visittask_list"),
        )
    return parts


# --- Escalation ---------------------------------------------------------------------------------------------


def escalate_overdue(*, now=None):
    """Flag every registered source's newly overdue rows to the people who answer for them, once each.

    Each source stamps its rows (`escalated_at`, only where still empty) and returns them grouped with their
    recipients; each person then gets one notification for the run, never about their own lateness. All in one
    transaction, so a crash leaves nothing flagged-but-unreported, and a second run finds nothing to flag.
    Returns {source key: rows flagged, ..., "notifications": n}.
    """
    now = now or timezone.now()
    with transaction.atomic():
        flagged = {source.key: source.flag(now) for source in escalation_sources}
        counts = defaultdict(Counter)
        lines = defaultdict(list)
        for source in escalation_sources:
            for item in flagged[source.key]:
                people = [user_id for user_id in item.recipients if user_id not in item.late]
                if not people:
                    logger.warning("escalate_overdue: nobody to tell about %s", item.line)
                for user_id in people:
                    counts[user_id][source.key] += item.count
                    lines[user_id].append(item.line)
        contacts = {
            pk: (email, phone)
            for pk, email, phone in User.objects.filter(pk__in=counts).values_list("pk", "email", "phone")
        }
        messages = [
            _escalation_message(user_id, counts[user_id], lines[user_id], contacts[user_id])
            for user_id in counts
            if user_id in contacts
        ]
        create_notifications(kind=Notification.Kind.ESCALATION, key=f"escalation:{now.isoformat()}", messages=messages)
    result = {key: sum(item.count for item in items) for key, items in flagged.items()}
    logger.info("escalate_overdue: %s, %d people", result, len(messages))
    return {**result, "notifications": len(messages)}


def _escalation_message(user_id, counts, lines, contact):
    sources = [source for source in escalation_sources if counts.get(source.key)]
    return Message(
        user_id=user_id,
        title=_("超期督办：%(items)s")
        % {"items": "，".join(source.count_text(counts[source.key]) for source in sources)},
        body="\n".join(lines),
        url=reverse(sources[0].url_name) if sources[0].url_name else "",
        email=contact[0],
        phone=contact[1],
    )


def overdue_by_grid(queryset, *, late, order_field, fields, line):
    """Group rows just stamped by a grid-based source into `Overdue` items per (grid, late person).

    `late` is the field naming who is late (an assignee); `line(grid name, late name, count, first rows)` words
    one group, `first rows` being up to FIRST_FEW `fields` tuples. The recipients are the people who answer for
    the grid (`grids.staffing`), climbing past the late person. Five queries whatever the number of rows.
    """
    partition = [F(GRID), F(late)]
    counts = {
        (row[0], row[1]): row[2]
        for row in queryset.values_list(GRID, late).annotate(n=Count("pk")).order_by().values_list(GRID, late, "n")
    }
    if not counts:
        return []
    first = defaultdict(list)
    ranked = queryset.annotate(
        rank=Window(RowNumber(), partition_by=partition, order_by=[F(order_field).asc(), F("pk").asc()])
    ).filter(rank__lte=FIRST_FEW)
    for grid_id, late_id, *row in ranked.values_list(GRID, late, *fields):
        first[grid_id, late_id].append(tuple(row))
    grid_ids = {grid_id for grid_id, _late in counts}
    names = dict(Grid.objects.filter(pk__in=grid_ids).values_list("pk", "name"))
    late_names = {pk: str(user) for pk, user in User.objects.in_bulk({lid for _g, lid in counts if lid}).items()}
    answerable = answerable_for(grid_ids)
    items = []
    for (grid_id, late_id), count in sorted(counts.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        late_ids = (late_id,) if late_id else ()
        items.append(
            Overdue(
                count=count,
                line=line(names[grid_id], late_names.get(late_id, ""), count, first[grid_id, late_id]),
                recipients=tuple(answerable[grid_id].people(late=late_ids)) if grid_id in answerable else (),
                late=late_ids,
            )
        )
    return items


def _grid_label(grid_name, late_name):
    return f"{grid_name}（{late_name}）" if late_name else grid_name


def flag_overdue_visit_tasks(now):
    """Visits' escalation source: open tasks their assignee is late with, counted from when they were handed
    the task (`VisitTaskQuerySet.escalation_q`: a backlog inherited with it is not their lateness), told per
    grid and assignee as one figure with the first few rooms, to the next level up."""
    today = timezone.localdate(now)
    late = VisitTask.objects.filter(VisitTask.objects.escalation_q(today), escalated_at__isnull=True)
    if not late.update(escalated_at=now):
        return []
    return overdue_by_grid(
        VisitTask.objects.filter(escalated_at=now),
        late="assignee",
        order_field="due_on",
        fields=ROOM_FIELDS,
        line=lambda grid, late, n, rows: (
            _("%(grid)s：超期走访 %(n)d 户（%(rooms)s）")
            % {"grid": _grid_label(grid, late), "n": n, "rooms": "、".join(room_code(*row) for row in rows)}
        ),
    )


def flag_overdue_requests(now):
    """Visits' escalation source: resident requests past their deadline, per grid and assignee (承办人)."""
    if not ResidentRequest.objects.overdue(now).filter(escalated_at__isnull=True).update(escalated_at=now):
        return []
    categories = dict(ResidentRequest.Category.choices)
    return overdue_by_grid(
        ResidentRequest.objects.filter(escalated_at=now),
        late="assignee",
        order_field="due_at",
        fields=(*ROOM_FIELDS, "category"),
        line=lambda grid, late, n, rows: (
            _("%(grid)s：超时诉求 %(n)d 件（%(items)s）")
            % {
                "grid": _grid_label(grid, late),
                "n": n,
                "items": "、".join(f"{room_code(*row[:3])} {categories.get(row[3], row[3])}" for row in rows),
            }
        ),
    )


VISIT_TASKS = EscalationSource(
    "visit_tasks",
    lambda n: ngettext("走访任务 %(n)d 项", "走访任务 %(n)d 项", n) % {"n": n},
    flag_overdue_visit_tasks,
    "visittask_list",
)
RESIDENT_REQUESTS = EscalationSource(
    "resident_requests",
    lambda n: ngettext("民情诉求 %(n)d 件", "民情诉求 %(n)d 件", n) % {"n": n},
    flag_overdue_requests,
    "request_list",
)
VISIT_TASK_DIGEST = DigestSource("visit_tasks", visit_task_digest)


# --- Lead households ----------------------------------------------------------------------------------------


def lead_household_digest(*, today=None, chunk_size=CHUNK_SIZE):
    """Text each lead household's contact, once a month, the linked households it looks after that have gone
    unvisited for longer than their policy interval.

    Lead households are residents, not portal users, so the message is an `SmsMessage` (keyed
    "lead:<id>:<YYYY-MM>", so a second run sends nothing) to the party member's phone, else the household's.
    A 70-year-old who prefers paper still gets the list through the grid worker's printed weekly sheet.
    Returns how many messages were created.
    """
    today = today or timezone.localdate()
    overdue = defaultdict(list)
    linked = Household.objects.filter(lead_household__isnull=False).values_list(
        "pk", "lead_household_id", "building__number", "unit", "room"
    )
    facts = _VisitFacts()
    for chunk in keyset_chunks(linked, chunk_size):
        chunk_facts = facts.of([row[0] for row in chunk])
        for pk, lead_id, number, unit, room in chunk:
            interval_days, last_visited_at, _in_group = chunk_facts[pk]
            if unvisited_too_long(last_visited_at, interval_days, today):
                overdue[lead_id].append(room_code(number, unit, room))
    contacts = LeadHousehold.objects.filter(pk__in=overdue).values_list(
        "pk", "party_member__resident__phone", "household__phone"
    )
    created = 0
    for lead_id, member_phone, household_phone in contacts:
        phone = member_phone or household_phone
        if not phone:
            logger.warning("lead_household_digest: lead household %s has no phone", lead_id)
            continue
        rooms = overdue[lead_id]
        shown = "、".join(rooms[:10]) + (_("等") if len(rooms) > 10 else "")
        body = _("您联系的 %(n)d 户较长时间未走访：%(rooms)s。请帮忙留意，有情况请告知网格员。") % {
            "n": len(rooms),
            "rooms": shown,
        }
        _sms, was_created = create_sms(key=f"lead:{lead_id}:{today:%Y-%m}", phone=phone, body=body)
        created += was_created
    logger.info("lead_household_digest: %d messages for %s", created, today)
    return created
