"""A worker's day: the visits one person can make today, picked from their open tasks, and the backlog.

A grid says how many households a worker can visit in a day (`Grid.daily_visits`, editable in the admin). Of
the person's open tasks whose window has opened, today's are the most urgent (`VisitTaskQuerySet.by_urgency`:
work already due first; dated work, then the priority groups' visits, then ordinary households; the latest
first), as many as the day has room for once the visits already completed today are counted. They are listed
in walking order — building (2号楼 before 10号楼), unit, floor, room — and every other open task is the
backlog: a figure on the list, and a separate, paginated view in order of urgency.

A bounded number of queries whatever the number of tasks: one aggregate, one count of today's completed tasks,
the ids of today's picks, and the rows.
"""

from dataclasses import dataclass

from django.db.models import Count, Max, Q

from grids.models import Grid
from households.models import head_name_of

from .models import VisitTask, start_of_day

DEFAULT_DAILY_VISITS = Grid._meta.get_field("daily_visits").default


@dataclass(frozen=True)
class Day:
    #: how many households the person can visit in a day (the largest `daily_visits` of their tasks' grids)
    capacity: int
    #: tasks of theirs completed today
    done: int
    #: today's tasks, in walking order, annotated with their lateness and the head's name
    tasks: list
    #: ids of today's tasks (the backlog is every other open task)
    task_ids: tuple
    #: open tasks, and of them those late (`VisitTaskQuerySet.overdue_q`)
    open_count: int
    late_count: int

    @property
    def backlog_count(self):
        return self.open_count - len(self.task_ids)

    @property
    def remaining(self):
        return max(self.capacity - self.done, 0)


def rows(tasks, today):
    """Task rows as the list shows them: lateness, household, building, assignee and the head's name."""
    return (
        tasks.with_lateness(today)
        .select_related("household__building__grid", "assignee")
        .annotate(head_name=head_name_of("household_id"))
    )


def urgent_first(tasks, today):
    """The ids of `tasks`, most urgent first (`by_urgency`), for a paginator: sorting the ids alone costs half as
    much as sorting whole rows, and `rows_of` then loads one page of them."""
    return tasks.with_lateness(today).by_urgency(today).values_list("pk", flat=True)


def rows_of(ids, today):
    """The `rows` of the tasks `ids`, in the order given (one query)."""
    found = {task.pk: task for task in rows(VisitTask.objects.filter(pk__in=ids), today)} if ids else {}
    return [found[pk] for pk in ids if pk in found]


def day_for(user, tasks, today):
    """The `Day` of `user` over `tasks` (their open tasks, already scoped and filtered by the caller)."""
    figures = tasks.aggregate(
        open_count=Count("pk"),
        late_count=Count("pk", filter=VisitTask.objects.overdue_q(today)),
        capacity=Max("household__building__grid__daily_visits"),
    )
    capacity = figures["capacity"] if figures["capacity"] is not None else DEFAULT_DAILY_VISITS
    done = VisitTask.objects.filter(
        assignee=user, state=VisitTask.State.DONE, completed_at__gte=start_of_day(today)
    ).count()
    room = max(capacity - done, 0)
    picked = ()
    if room and figures["open_count"]:
        picked = tuple(urgent_first(tasks.filter(earliest_on__lte=today), today)[:room])
    today_tasks = list(rows(tasks.filter(pk__in=picked), today).in_walking_order()) if picked else []
    return Day(
        capacity=capacity,
        done=done,
        tasks=today_tasks,
        task_ids=picked,
        open_count=figures["open_count"],
        late_count=figures["late_count"],
    )


def backlog(tasks, day):
    """The open tasks not in today's list (the list shows them as `rows`, most urgent first)."""
    return tasks.exclude(pk__in=day.task_ids)


def per_worker(tasks, today):
    """For a supervisor: per assignee of `tasks`, open and late tasks and the backlog beyond a day's work
    (open tasks minus their `daily_visits`) — one grouped query. Unassigned tasks are one row (assignee None)."""
    counts = (
        tasks.values("assignee", "assignee__full_name", "assignee__username")
        .annotate(
            open_count=Count("pk"),
            late_count=Count("pk", filter=VisitTask.objects.overdue_q(today)),
            due_today=Count("pk", filter=Q(due_on=today)),
            capacity=Max("household__building__grid__daily_visits"),
        )
        .order_by("-late_count", "-open_count", "assignee__full_name")
    )
    return [
        {
            **row,
            "backlog": row["open_count"] if row["assignee"] is None else max(row["open_count"] - row["capacity"], 0),
        }
        for row in counts
    ]
