"""The nightly coverage snapshot: every grid's coverage counts, taken once a night (`take_snapshot`, beat entry
"网格覆盖统计（每晚）"), so a page about a community or the street adds up a few hundred stored rows instead of
counting 100,000 households on every view (`annotate_coverage(..., snapshot=True)`).

Besides the coverage measures, a later app may keep its own per-grid figures in the same rows, counted in the
same run — the visits app keeps each grid's households visited in each of the last months for the supervisors'
overview. It registers a `NightlyFigures` from its `AppConfig.ready()`:

    snapshots.register(NightlyFigures(key="visited_months", counts=visited_month_counts))

where `visited_month_counts(today)` returns `{grid id: {name: value}}` (one grouped query).

A page reads the snapshot only when `snapshot_taken_at(grids)` says it covers every grid in the user's scope and
was taken in the last `MAX_AGE`; otherwise (a grid added since, beat not running, a fresh database) it counts
live, as before. Pages say when the figures were taken. The job replaces all rows in one transaction, so running
it twice is harmless.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from core.registry import Registry

from .coverage import annotate_coverage, count_names, level_of
from .models import CoverageSnapshot, Grid

MAX_AGE = datetime.timedelta(hours=36)

registry = Registry("nightly grid figures")


@dataclass(frozen=True)
class NightlyFigures:
    key: str
    #: counts(today) -> {grid id: {name: value}}
    counts: Callable


def register(figures):
    return registry.register(figures)


def take_snapshot(*, now=None):
    """Count every grid's coverage (one query over all households) and the registered figures, and store them;
    returns the number of grids."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    names = count_names(level_of(Grid))
    counts = {
        grid.pk: {name: getattr(grid, name) for name in names}
        for grid in annotate_coverage(Grid.objects.order_by("pk"))
    }
    for figures in registry:
        for grid_id, values in figures.counts(today).items():
            if grid_id in counts:
                counts[grid_id].update(values)
    rows = [CoverageSnapshot(grid_id=pk, counts=values, taken_at=now) for pk, values in counts.items()]
    with transaction.atomic():
        CoverageSnapshot.objects.all().delete()
        CoverageSnapshot.objects.bulk_create(rows)
    return len(rows)


def snapshot_taken_at(grids=None, *, now=None):
    """When the snapshot of `grids` (a Grid queryset; None: every grid) was taken, if it holds every one of them
    and is recent enough to show; else None (count live). One query."""
    scope = Grid.objects.all() if grids is None else Grid.objects.filter(pk__in=grids)
    found = scope.aggregate(
        grids=Count("pk"), taken=Count("coverage_snapshot"), taken_at=Min("coverage_snapshot__taken_at")
    )
    if not found["grids"] or found["taken"] < found["grids"]:
        return None
    if found["taken_at"] < (now or timezone.now()) - MAX_AGE:
        return None
    return found["taken_at"]


def snapshot_counts(grids=None):
    """[(grid id, community id, counts)] of the snapshot rows of `grids` (a Grid queryset; None: every grid)."""
    rows = CoverageSnapshot.objects.all()
    if grids is not None:
        rows = rows.filter(grid__in=grids)
    return list(rows.values_list("grid_id", "grid__community_id", "counts"))
