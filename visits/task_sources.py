"""Other apps' work on the visit-task list, for work that is not a `VisitTask` (e.g. mediation's follow-ups of
parties who have no household in the portal):

    task_sources.register(TaskListSource(key="mediation_follow_ups", rows=follow_up_rows))

`rows(user, today)` returns the user's open items as `TaskRow`s — those assigned to the user, at most `limit`
of them — in a bounded number of queries (one or two, whatever the number of rows). The list shows them
sorted by due date under the user's visit tasks.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from core.registry import Registry

LIMIT = 50


@dataclass(frozen=True)
class TaskRow:
    """One item of work on the task list."""

    due_on: datetime.date
    #: what to do, e.g. "回访 · 和调〔2026〕第016号"
    title: str
    #: where the work opens
    url: str
    #: whom or where, e.g. a party's name and address
    detail: str = ""
    kind_label: str = ""
    is_overdue: bool = False


@dataclass(frozen=True)
class TaskListSource:
    key: str
    #: rows(user, today, limit) -> [TaskRow]
    rows: Callable


registry = Registry("task list sources")


def register(source):
    return registry.register(source)


def rows_for(user, today, limit=LIMIT):
    """Every source's rows for this user, by due date."""
    rows = [row for source in registry for row in source.rows(user, today, limit)]
    return sorted(rows, key=lambda row: row.due_on)
