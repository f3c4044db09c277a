"""The pre-season sweep (供暖季前检查): before the season starts, one check task (valves and pipes) per household of
the buildings an admin chooses, and the sweep's progress per building.

`schedule_season_check` is set-based: one INSERT … ON CONFLICT DO NOTHING per thousand households, whatever the
number of buildings. It is safe to run twice: a household that already has an open check task, or any check task
with the same due date (one sweep), gets nothing new; the partial unique constraint (one open task per household
and kind) settles a race. The tasks are visit tasks of kind `kinds.SEASON_CHECK`, completed by a visit with the
heating purpose; they neither block nor satisfy routine scheduling and escalate once, like every non-routine kind.
"""

import datetime
from itertools import cycle

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import adapt, insert_rows
from grids.staffing import task_assignees_of
from households.models import Household
from visits.models import VisitTask

from . import kinds

TASK_COLUMNS = (
    "household_id",
    "assignee_id",
    "kind",
    "note",
    "earliest_on",
    "due_on",
    "state",
    "created_at",
    "assigned_at",
)
# How far back a check task counts towards this year's sweep in the progress columns (a sweep runs in autumn,
# the season ends in March: last year's tasks are older than this).
PROGRESS_WINDOW_DAYS = 200


def schedule_season_check(*, buildings, due_on, earliest_on=None, now=None):
    """Open one `SEASON_CHECK` task due on `due_on` for every household of `buildings`; returns how many were made.

    Each grid's tasks are spread over the people who get its visit tasks (`grids.staffing.task_assignees_of`),
    unassigned where a grid has nobody. Households with an open check task or one of this sweep (same due date)
    are skipped, so re-running creates nothing new.
    """
    now = now or timezone.now()
    earliest_on = earliest_on or min(timezone.localdate(now), due_on)
    building_ids = [getattr(building, "pk", building) for building in buildings]
    taken = VisitTask.objects.filter(household=OuterRef("pk"), kind=kinds.SEASON_CHECK).filter(
        Q(state=VisitTask.State.OPEN) | Q(due_on=due_on)
    )
    homes = list(
        Household.objects.filter(building__in=building_ids)
        .filter(~Exists(taken))
        .order_by("building__grid_id", "building_id", "unit", "floor", "room", "pk")
        .values_list("pk", "building__grid_id")
    )
    if not homes:
        return 0
    assignees = task_assignees_of({grid_id for _pk, grid_id in homes})
    turns = {grid_id: cycle(people) for grid_id, people in assignees.items() if people}
    note, stamp = str(_("供暖季前检查：阀门、管道、暖气片")), adapt(now)
    rows = [
        (
            pk,
            next(turns[grid_id]) if grid_id in turns else None,
            kinds.SEASON_CHECK,
            note,
            adapt(earliest_on),
            adapt(due_on),
            VisitTask.State.OPEN.value,
            stamp,
            stamp,
        )
        for pk, grid_id in homes
    ]
    sweep = VisitTask.objects.filter(kind=kinds.SEASON_CHECK, household__building__in=building_ids, due_on=due_on)
    with transaction.atomic():
        before = sweep.count()
        insert_rows(VisitTask, TASK_COLUMNS, rows, on_conflict="ON CONFLICT DO NOTHING")
        return sweep.count() - before


def with_check_progress(buildings, *, building_field="pk", today=None):
    """Annotate `check_open` and `check_done`: this year's season-check tasks of each building, open and done."""
    since = (today or timezone.localdate()) - datetime.timedelta(days=PROGRESS_WINDOW_DAYS)
    tasks = VisitTask.objects.filter(
        household__building=OuterRef(building_field), kind=kinds.SEASON_CHECK, due_on__gte=since
    )

    def count(state):
        counted = tasks.filter(state=state).order_by().values("household__building").annotate(n=Count("pk"))
        return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)

    return buildings.annotate(check_open=count(VisitTask.State.OPEN), check_done=count(VisitTask.State.DONE))
