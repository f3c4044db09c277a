"""The nightly visit cycle: which households fall due, the visit tasks that follow, each household's status.

Written as set-based, safe-to-repeat bulk work: reads in keyset chunks with grouped queries, writes with
multi-row inserts (`core.bulk`), and relies on unique constraints so that running it twice, or again after a
worker died half-way, does nothing new:

- `schedule_visits`: one open routine task per due household (unique open (household, kind); households with an
  open *routine* task are skipped — another app's tasks neither block nor satisfy the cycle), and every
  household's `VisitStatus` upserted (unique household);
- `refresh_visit_statuses`: the status half alone, after visits were loaded in bulk.

`_VisitFacts` is the range version of `visits.policy`; the reminders (`visits.reminders`) reuse it.
"""

import datetime
import heapq
import logging
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.utils import timezone

from core.bulk import adapt, insert_rows, keyset_chunks
from grids.staffing import task_assignees_of
from households.models import Household, Resident

from . import kinds
from .models import Visit, VisitPolicy, VisitStatus, VisitTask
from .policy import COUNTING_OUTCOMES, FALLBACK_INTERVAL_DAYS, visit_due_on

logger = logging.getLogger(__name__)

# A household gets its task this many days before its visit falls due, so the worker can plan the week.
LOOKAHEAD_DAYS = 7
CHUNK_SIZE = 10000


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
    """(pk, registered at, grid id, status, has an open routine task) of every household, for the status and
    the scheduler."""
    open_routine = VisitTask.objects.open().filter(household=OuterRef("pk"), kind__in=kinds.routine_keys())
    return Household.objects.annotate(has_open_task=Exists(open_routine)).values_list(
        "pk", "created_at", "building__grid_id", "status", "has_open_task"
    )


def _due_on(last_visited_at, interval_days, today):
    """When the next visit is due: last counting visit + interval, never before today; today if never visited."""
    return max(today, visit_due_on(last_visited_at, interval_days, never=today))


def unvisited_too_long(last_visited_at, interval_days, today):
    return last_visited_at is None or visit_due_on(last_visited_at, interval_days, never=today) < today


class _Balancer:
    """Hands out the people who get a grid's tasks — its grid workers, else its 网格长, else its community's
    cadres (`grids.staffing.task_assignees_of`) — least open tasks first (ties to the lower user id), counting
    as it goes.

    Four queries in all: who gets each grid's tasks (three), and their open-task counts.
    """

    def __init__(self):
        workers = task_assignees_of()
        loads = dict(
            VisitTask.objects.open()
            .filter(assignee__in={user_id for users in workers.values() for user_id in users})
            .values("assignee")
            .annotate(n=Count("pk"))
            .values_list("assignee", "n")
        )
        self.heaps = defaultdict(list)
        for grid_id, users in workers.items():
            for user_id in users:
                heapq.heappush(self.heaps[grid_id], (loads.get(user_id, 0), user_id))

    def next_worker(self, grid_id):
        heap = self.heaps.get(grid_id)
        if not heap:
            return None
        load, user_id = heap[0]
        heapq.heapreplace(heap, (load + 1, user_id))
        return user_id


def _insert_open_tasks(rows):
    """INSERT ... ON CONFLICT DO NOTHING open tasks from (household id, assignee id, kind, earliest, due) tuples.

    Columns not listed are nullable.
    """
    columns = [
        "household_id", "assignee_id", "kind", "note", "earliest_on", "due_on", "state", "created_at", "assigned_at"
    ]  # fmt: skip
    created_at = adapt(timezone.now())
    state = VisitTask.State.OPEN.value
    adapted = [
        (household_id, assignee_id, kind, "", adapt(earliest_on), adapt(due_on), state, created_at, created_at)
        for household_id, assignee_id, kind, earliest_on, due_on in rows
    ]
    insert_rows(VisitTask, columns, adapted, on_conflict="ON CONFLICT DO NOTHING")


def _upsert_visit_statuses(rows, refreshed_at):
    """INSERT ... ON CONFLICT (household) DO UPDATE the VisitStatus rows from (household id, interval days, last
    visited at, due on) tuples: one row per household, refreshed.

    `refreshed_at` is when the run started reading: a row `log_visit` refreshed since then is newer than the
    figures read for it, and is left alone.
    """
    ops = connection.ops
    columns = ["household_id", "interval_days", "last_visited_at", "due_on", "refreshed_at"]
    refreshed_at = adapt(refreshed_at)
    adapted = [
        (household_id, interval_days, adapt(last_visited_at), adapt(due_on), refreshed_at)
        for household_id, interval_days, last_visited_at, due_on in rows
    ]
    table = ops.quote_name(VisitStatus._meta.db_table)
    household, refreshed = ops.quote_name("household_id"), ops.quote_name("refreshed_at")
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in map(ops.quote_name, columns[1:]))
    on_conflict = f"ON CONFLICT ({household}) DO UPDATE SET {updates} WHERE {table}.{refreshed} <= EXCLUDED.{refreshed}"
    insert_rows(VisitStatus, columns, adapted, on_conflict=on_conflict)


def schedule_visits(*, today=None, lookahead_days=LOOKAHEAD_DAYS, chunk_size=CHUNK_SIZE):
    """Refresh every household's visit status, and create one open routine visit task for every household whose
    visit falls due within `lookahead_days`.

    Due = last counting visit + the household's policy interval (the tightest of its residents' priority
    groups, else the default), never before today; never-visited households are due today (and late since
    they were registered: their `VisitStatus.due_on`). The task opens
    today, has kind "priority group" when a resident is in one (else "routine"), and goes to whoever of the
    people who get the grid's tasks (its grid workers, else its 网格长, else its community's cadres) has the
    fewest open tasks (unassigned only when the grid has none of them); `assigned_at` is set with it. Vacant households
    and households with an open routine task get no task, but their `VisitStatus` is refreshed like every
    other's (a priority group added since the last run changes the interval).

    Set-based: four grouped queries, one multi-row task insert and one multi-row status upsert per chunk of
    households, each chunk its own transaction, so a run that dies half-way is simply finished by the next.
    Running it twice creates nothing: households with an open routine task are skipped, and the unique open
    (household, kind) constraint with ON CONFLICT DO NOTHING settles a race between two runs; status rows are
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
    for rows in keyset_chunks(_households_to_refresh(), chunk_size):
        tasks, statuses = [], []
        chunk_facts = facts.of([row[0] for row in rows])
        for pk, registered_at, grid_id, status, has_open_task in rows:
            interval_days, last_visited_at, in_priority_group = chunk_facts[pk]
            statuses.append(_status_row(pk, chunk_facts[pk], registered_at))
            if status == vacant or has_open_task:
                continue
            due_on = _due_on(last_visited_at, interval_days, today)
            if due_on > horizon:
                continue
            kind = kinds.PRIORITY_GROUP if in_priority_group else kinds.ROUTINE
            tasks.append((pk, balancer.next_worker(grid_id), kind, today, due_on))
        with transaction.atomic():
            _insert_open_tasks(tasks)
            _upsert_visit_statuses(statuses, now)
        created += len(tasks)
    logger.info("schedule_visits: %d tasks created for %s", created, today)
    return created


def _status_row(pk, facts, registered_at):
    """A household's VisitStatus: a household never visited fell due the day it was registered, so its
    lateness grows from then (it is not "due today" night after night)."""
    interval_days, last_visited_at, _in_group = facts
    never = timezone.localdate(registered_at)
    return pk, interval_days, last_visited_at, visit_due_on(last_visited_at, interval_days, never=never)


def refresh_visit_statuses(*, chunk_size=CHUNK_SIZE):
    """Only the `VisitStatus` half of `schedule_visits`, for when visits were loaded in bulk without
    `log_visit` (demo data, an import). Returns how many households it refreshed."""
    now = timezone.now()
    facts = _VisitFacts()
    refreshed = 0
    for rows in keyset_chunks(Household.objects.values_list("pk", "created_at"), chunk_size):
        pks = [pk for pk, _registered_at in rows]
        chunk_facts = facts.of(pks)
        with transaction.atomic():
            statuses = [_status_row(pk, chunk_facts[pk], registered_at) for pk, registered_at in rows]
            _upsert_visit_statuses(statuses, now)
        refreshed += len(pks)
    return refreshed
