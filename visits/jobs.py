"""The visit jobs Celery beat runs (see `visits.tasks`), written as set-based, safe-to-repeat bulk work.

Each job reads in chunks with aggregate or annotated queries, writes with bulk inserts or conditional
updates, and relies on a unique constraint or a flag column so that running it twice, or again after a
worker died half-way, does nothing new:

- `schedule_visits`: one open task per due household (unique open (household, reason); households with any
  open task are skipped), and every household's `VisitStatus` upserted (unique household);
- `daily_digest`: one notification per staff member per day (unique (user, "digest:<date>"));
- `escalate_overdue`: `escalated_at` is set by a conditional UPDATE, and only rows it set are reported;
- `lead_household_digest`: one text message per lead household per month (unique "lead:<id>:<month>").
"""

import datetime
import heapq
import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Notification, User
from accounts.notifications import Message, create_notifications, create_sms
from grids.models import Grid, StaffAssignment
from households.models import Household, LeadHousehold, Resident
from households.search import room_code

from .models import ResidentRequest, Visit, VisitPolicy, VisitStatus, VisitTask
from .policy import COUNTING_OUTCOMES, FALLBACK_INTERVAL_DAYS, visit_due_on

logger = logging.getLogger(__name__)

# A household gets its task this many days before its visit falls due, so the worker can plan the week.
LOOKAHEAD_DAYS = 7
CHUNK_SIZE = 10000
FIRST_FEW = 5


def _keyset_chunks(queryset, chunk_size):
    """Yield lists of `values_list` rows of `queryset` (which must start with the pk) in pk order, chunk by chunk.

    Keyset pagination keeps each query's cost proportional to the chunk, whatever the table size.
    """
    last_pk = 0
    while True:
        rows = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
        if not rows:
            return
        yield rows
        last_pk = rows[-1][0]


class _VisitFacts:
    """Policy interval, last counting visit and priority-group membership of a range of households.

    The same rules as `visits.policy` (tightest group policy, else the default, else the fallback; only
    `COUNTING_OUTCOMES` visits count), computed for a whole pk range with three GROUP BY queries over index
    range scans instead of three correlated subqueries per household: about ten times faster on 100,000
    households (see bench/scheduler.py). `tests/visits/test_jobs.py` checks both give the same answers.
    """

    def __init__(self):
        default = VisitPolicy.objects.filter(priority_group__isnull=True).order_by("interval_days").first()
        self.default_interval = default.interval_days if default else FALLBACK_INTERVAL_DAYS

    def of(self, household_ids):
        """{household id: (interval days, last visited at or None, in a priority group)}; ids in pk order."""
        first, last = household_ids[0], household_ids[-1]
        tightest = dict(
            VisitPolicy.objects.filter(
                priority_group__residents__household__gte=first, priority_group__residents__household__lte=last
            )
            .values("priority_group__residents__household_id")
            .annotate(days=Min("interval_days"))
            .order_by()
            .values_list("priority_group__residents__household_id", "days")
        )
        grouped = set(
            Resident.objects.filter(household__gte=first, household__lte=last, priority_groups__isnull=False)
            .order_by()
            .values_list("household_id", flat=True)
            .distinct()
        )
        last_visits = dict(
            Visit.objects.filter(household__gte=first, household__lte=last, outcome__in=COUNTING_OUTCOMES)
            .values("household_id")
            .annotate(last=Max("visited_at"))
            .order_by()
            .values_list("household_id", "last")
        )
        return {
            pk: (tightest.get(pk, self.default_interval), last_visits.get(pk), pk in grouped) for pk in household_ids
        }


def _households_to_refresh():
    """(pk, grid id, status, has an open task) of every household, for the visit status and the scheduler."""
    open_task = VisitTask.objects.open().filter(household=OuterRef("pk"))
    return Household.objects.annotate(has_open_task=Exists(open_task)).values_list(
        "pk", "building__grid_id", "status", "has_open_task"
    )


def _due_on(last_visited_at, interval_days, today):
    """When the next visit is due: last counting visit + interval, never before today; today if never visited."""
    return max(today, visit_due_on(last_visited_at, interval_days, never=today))


def _unvisited_too_long(last_visited_at, interval_days, today):
    return last_visited_at is None or visit_due_on(last_visited_at, interval_days, never=today) < today


class _Balancer:
    """Hands out a grid's workers, least open tasks first (ties to the lower user id), counting as it goes.

    Two queries in all: the grid workers, and their open-task counts.
    """

    def __init__(self):
        workers = StaffAssignment.objects.filter(
            grid__isnull=False, user__is_active=True, user__role=User.Role.GRID_WORKER
        ).values_list("grid_id", "user_id")
        loads = dict(
            VisitTask.objects.open()
            .filter(assignee__in={user_id for _grid, user_id in workers})
            .values("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        self.heaps = defaultdict(list)
        for grid_id, user_id in workers:
            heapq.heappush(self.heaps[grid_id], (loads.get(user_id, 0), user_id))

    def next_worker(self, grid_id):
        heap = self.heaps.get(grid_id)
        if not heap:
            return None
        load, user_id = heap[0]
        heapq.heapreplace(heap, (load + 1, user_id))
        return user_id


PRIORITY_GROUP = VisitTask.Reason.PRIORITY_GROUP.value
ROUTINE = VisitTask.Reason.ROUTINE.value
INSERT_BATCH = 1000


def _insert(model, columns, rows, on_conflict):
    """Multi-row INSERT of already adapted `rows` into `columns` of `model`'s table, followed by `on_conflict`.

    Plain SQL (understood by PostgreSQL and SQLite alike) because for 100,000 rows building model instances
    for `bulk_create` costs more than the database work itself.
    """
    ops = connection.ops
    head = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({', '.join(map(ops.quote_name, columns))}) VALUES "
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            params = [value for row in batch for value in row]
            cursor.execute(head + ", ".join([row_sql] * len(batch)) + " " + on_conflict, params)


def _insert_open_tasks(rows):
    """INSERT ... ON CONFLICT DO NOTHING open tasks from (household id, assignee id, reason, earliest, due) tuples.

    Columns not listed are nullable.
    """
    ops = connection.ops
    columns = ["household_id", "assignee_id", "reason", "note", "earliest_on", "due_on", "state", "created_at"]
    created_at = ops.adapt_datetimefield_value(timezone.now())
    state = VisitTask.State.OPEN.value
    adapted = [
        (
            household_id,
            assignee_id,
            reason,
            "",
            ops.adapt_datefield_value(earliest_on),
            ops.adapt_datefield_value(due_on),
            state,
            created_at,
        )
        for household_id, assignee_id, reason, earliest_on, due_on in rows
    ]
    _insert(VisitTask, columns, adapted, "ON CONFLICT DO NOTHING")


def _upsert_visit_statuses(rows, refreshed_at):
    """INSERT ... ON CONFLICT (household) DO UPDATE the VisitStatus rows from (household id, interval days, last
    visited at, due on) tuples: one row per household, refreshed.

    `refreshed_at` is when the run started reading: a row `log_visit` refreshed since then is newer than the
    figures read for it, and is left alone.
    """
    ops = connection.ops
    columns = ["household_id", "interval_days", "last_visited_at", "due_on", "refreshed_at"]
    refreshed_at = ops.adapt_datetimefield_value(refreshed_at)
    adapted = [
        (
            household_id,
            interval_days,
            ops.adapt_datetimefield_value(last_visited_at),
            ops.adapt_datefield_value(due_on),
            refreshed_at,
        )
        for household_id, interval_days, last_visited_at, due_on in rows
    ]
    table = ops.quote_name(VisitStatus._meta.db_table)
    household, refreshed = ops.quote_name("household_id"), ops.quote_name("refreshed_at")
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in map(ops.quote_name, columns[1:]))
    on_conflict = f"ON CONFLICT ({household}) DO UPDATE SET {updates} WHERE {table}.{refreshed} <= EXCLUDED.{refreshed}"
    _insert(VisitStatus, columns, adapted, on_conflict)


def schedule_visits(*, today=None, lookahead_days=LOOKAHEAD_DAYS, chunk_size=CHUNK_SIZE):
    """Refresh every household's visit status, and create one open visit task for every household whose visit
    falls due within `lookahead_days`.

    Due = last counting visit + the household's policy interval (the tightest of its residents' priority
    groups, else the default), never before today; never-visited households are due today. The task opens
    today, has reason "priority group" when a resident is in one (else "routine"), and goes to the grid worker
    of the household's grid with the fewest open tasks (unassigned when the grid has none). Vacant households
    and households with an open task get no task, but their `VisitStatus` is refreshed like every other's
    (a priority group added since the last run changes the interval).

    Set-based: four grouped queries, one multi-row task insert and one multi-row status upsert per chunk of
    households, each chunk its own transaction, so a run that dies half-way is simply finished by the next.
    Running it twice creates nothing: households with an open task are skipped, and the unique open
    (household, reason) constraint with ON CONFLICT DO NOTHING settles a race between two runs; status rows are
    upserted on their household. Returns how many tasks it inserted (counting any a concurrent run had already
    made, which the constraint ignored).
    """
    today = today or timezone.localdate()
    now = timezone.now()
    horizon = today + datetime.timedelta(days=lookahead_days)
    balancer = _Balancer()
    facts = _VisitFacts()
    vacant = Household.Status.VACANT.value
    created = 0
    for rows in _keyset_chunks(_households_to_refresh(), chunk_size):
        tasks, statuses = [], []
        chunk_facts = facts.of([row[0] for row in rows])
        for pk, grid_id, status, has_open_task in rows:
            interval_days, last_visited_at, in_priority_group = chunk_facts[pk]
            statuses.append(_status_row(pk, chunk_facts[pk], today))
            if status == vacant or has_open_task:
                continue
            due_on = _due_on(last_visited_at, interval_days, today)
            if due_on > horizon:
                continue
            reason = PRIORITY_GROUP if in_priority_group else ROUTINE
            tasks.append((pk, balancer.next_worker(grid_id), reason, today, due_on))
        with transaction.atomic():
            _insert_open_tasks(tasks)
            _upsert_visit_statuses(statuses, now)
        created += len(tasks)
    logger.info("schedule_visits: %d tasks created for %s", created, today)
    return created


def _status_row(pk, facts, today):
    interval_days, last_visited_at, _in_group = facts
    return pk, interval_days, last_visited_at, visit_due_on(last_visited_at, interval_days, never=today)


def refresh_visit_statuses(*, today=None, chunk_size=CHUNK_SIZE):
    """Only the `VisitStatus` half of `schedule_visits`, for when visits were loaded in bulk without
    `log_visit` (demo data, an import). Returns how many households it refreshed."""
    today = today or timezone.localdate()
    now = timezone.now()
    facts = _VisitFacts()
    refreshed = 0
    for rows in _keyset_chunks(Household.objects.values_list("pk"), chunk_size):
        pks = [pk for (pk,) in rows]
        chunk_facts = facts.of(pks)
        with transaction.atomic():
            _upsert_visit_statuses([_status_row(pk, chunk_facts[pk], today) for pk in pks], now)
        refreshed += len(pks)
    return refreshed


def daily_digest(*, today=None):
    """Give every staff member with open tasks due today or overdue one notification for the day.

    The notification counts today's and overdue tasks and names the first few households; it is e-mailed
    when the user has an address and texted when they have a phone, each once. Aggregates and a window query:
    three queries whatever the number of tasks. Returns how many notifications were created.
    """
    today = today or timezone.localdate()
    tasks = VisitTask.objects.open().filter(assignee__isnull=False, assignee__is_active=True, due_on__lte=today)
    counts = {
        row["assignee"]: row
        for row in tasks.values("assignee")
        .annotate(overdue=Count("pk", filter=Q(due_on__lt=today)), due_today=Count("pk", filter=Q(due_on=today)))
        .order_by()
    }
    if not counts:
        return 0
    first_few = defaultdict(list)
    ranked = tasks.annotate(
        rank=Window(RowNumber(), partition_by=[F("assignee")], order_by=[F("due_on").asc(), F("pk").asc()])
    ).filter(rank__lte=FIRST_FEW)
    for assignee, number, unit, room, due_on in ranked.values_list(
        "assignee", "household__building__number", "household__unit", "household__room", "due_on"
    ):
        first_few[assignee].append((room_code(number, unit, room), due_on))
    users = User.objects.filter(pk__in=counts).values_list("pk", "email", "phone")
    messages = []
    for user_id, email, phone in users:
        row = counts[user_id]
        title = _("今日走访提醒：逾期 %(overdue)d 户，今日到期 %(today)d 户") % {
            "overdue": row["overdue"],
            "today": row["due_today"],
        }
        lines = [
            _("%(room)s（%(due)s）") % {"room": room, "due": _("已逾期") if due_on < today else _("今日到期")}
            for room, due_on in first_few[user_id]
        ]
        more = row["overdue"] + row["due_today"] - len(lines)
        if more > 0:
            lines.append(ngettext("……另有 %(n)d 户", "……另有 %(n)d 户", more) % {"n": more})
        messages.append(
            Message(
                user_id=user_id,
                title=title,
                body="\n".join(lines),
                url=reverse("visittask_list"),
                email=email,
                phone=phone,
            )
        )
    create_notifications(kind=Notification.Kind.DIGEST, key=f"digest:{today.isoformat()}", messages=messages)
    logger.info("daily_digest: %d staff members for %s", len(messages), today)
    return len(messages)


def _leaders_by_grid(grid_ids):
    """{grid id: [user ids]} of who answers for each grid: its 网格长, else its community's responsible person,
    else the cadres assigned to the community. Three small queries."""
    grids = list(
        Grid.objects.filter(pk__in=grid_ids).values_list("pk", "leader_id", "community_id", "community__responsible_id")
    )
    cadres = defaultdict(list)
    for community_id, user_id in StaffAssignment.objects.filter(
        community_id__in={row[2] for row in grids}, user__role=User.Role.CADRE, user__is_active=True
    ).values_list("community_id", "user_id"):
        cadres[community_id].append(user_id)
    leaders = {}
    for grid_id, leader_id, community_id, responsible_id in grids:
        if leader_id:
            leaders[grid_id] = [leader_id]
        elif responsible_id:
            leaders[grid_id] = [responsible_id]
        else:
            leaders[grid_id] = cadres[community_id]
    return leaders


def _per_grid(queryset, grid_path, order_field, fields):
    """({grid id: count}, {grid id: first few rows}) of an already-flagged queryset, in two queries."""
    counts = dict(queryset.values(grid_path).annotate(n=Count("pk")).order_by().values_list(grid_path, "n"))
    first = defaultdict(list)
    ranked = queryset.annotate(
        rank=Window(RowNumber(), partition_by=[F(grid_path)], order_by=[F(order_field).asc(), F("pk").asc()])
    ).filter(rank__lte=FIRST_FEW)
    for row in ranked.values_list(grid_path, *fields):
        first[row[0]].append(row[1:])
    return counts, first


def escalate_overdue(*, now=None):
    """Flag overdue open visit tasks and overdue open resident requests to the people who answer for their grid,
    once each.

    One conditional UPDATE per kind sets `escalated_at` only where it is still empty; the rows stamped with
    this run's time are then summarised per grid, and each leader gets one notification for the run. All in one
    transaction, so a crash leaves nothing flagged-but-unreported, and a second run finds nothing to flag.
    Returns {"tasks": n, "requests": n, "notifications": n}.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        tasks = VisitTask.objects.overdue(today).filter(escalated_at__isnull=True).update(escalated_at=now)
        requests = (
            ResidentRequest.objects.open().filter(due_at__lt=now, escalated_at__isnull=True).update(escalated_at=now)
        )
        if not tasks and not requests:
            return {"tasks": 0, "requests": 0, "notifications": 0}
        grid = "household__building__grid"
        room_fields = ("household__building__number", "household__unit", "household__room")
        task_counts, task_rows = _per_grid(
            VisitTask.objects.filter(escalated_at=now), grid, "due_on", (*room_fields, "due_on")
        )
        request_counts, request_rows = _per_grid(
            ResidentRequest.objects.filter(escalated_at=now), grid, "due_at", (*room_fields, "category")
        )
        grid_ids = set(task_counts) | set(request_counts)
        names = dict(Grid.objects.filter(pk__in=grid_ids).values_list("pk", "name"))
        leaders = _leaders_by_grid(grid_ids)
        per_leader = defaultdict(lambda: {"tasks": 0, "requests": 0, "lines": []})
        categories = dict(ResidentRequest.Category.choices)
        for grid_id in sorted(grid_ids):
            lines = []
            if task_counts.get(grid_id):
                rooms = "、".join(room_code(*row[:3]) for row in task_rows[grid_id])
                lines.append(
                    _("%(grid)s：超期走访 %(n)d 户（%(rooms)s）")
                    % {"grid": names[grid_id], "n": task_counts[grid_id], "rooms": rooms}
                )
            if request_counts.get(grid_id):
                items = "、".join(
                    f"{room_code(*row[:3])} {categories.get(row[3], row[3])}" for row in request_rows[grid_id]
                )
                lines.append(
                    _("%(grid)s：超时诉求 %(n)d 件（%(items)s）")
                    % {"grid": names[grid_id], "n": request_counts[grid_id], "items": items}
                )
            if not leaders.get(grid_id):
                logger.warning("escalate_overdue: grid %s has no leader, responsible person or cadre", grid_id)
            for user_id in leaders.get(grid_id, ()):
                summary = per_leader[user_id]
                summary["tasks"] += task_counts.get(grid_id, 0)
                summary["requests"] += request_counts.get(grid_id, 0)
                summary["lines"] += lines
        contacts = dict(
            (pk, (email, phone))
            for pk, email, phone in User.objects.filter(pk__in=per_leader).values_list("pk", "email", "phone")
        )
        messages = [
            Message(
                user_id=user_id,
                title=_("超期督办：走访任务 %(tasks)d 项，民情诉求 %(requests)d 件")
                % {"tasks": summary["tasks"], "requests": summary["requests"]},
                body="\n".join(summary["lines"]),
                url=reverse("visittask_list") if summary["tasks"] else reverse("request_list"),
                email=contacts[user_id][0],
                phone=contacts[user_id][1],
            )
            for user_id, summary in per_leader.items()
            if user_id in contacts
        ]
        create_notifications(kind=Notification.Kind.ESCALATION, key=f"escalation:{now.isoformat()}", messages=messages)
    logger.info("escalate_overdue: %d tasks, %d requests, %d leaders", tasks, requests, len(messages))
    return {"tasks": tasks, "requests": requests, "notifications": len(messages)}


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
    for chunk in _keyset_chunks(linked, chunk_size):
        chunk_facts = facts.of([row[0] for row in chunk])
        for pk, lead_id, number, unit, room in chunk:
            interval_days, last_visited_at, _in_group = chunk_facts[pk]
            if _unvisited_too_long(last_visited_at, interval_days, today):
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
