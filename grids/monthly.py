"""Coverage at the end of past months, and the coverage matrix: buildings × the last six months, each cell the
share of the building's households visited within their policy interval at that month's end.

A coverage measure (`grids.coverage.Measure`) reads the grid as it is today. When its figure can also be read
as it stood at a past day, the app that knows the rows registers how, from its `AppConfig.ready()` (the visits
app, for households visited within their policy interval):

    monthly.register(MonthEndMeasure(measure=VISITED, counts_at=visited_counts_at, drill=("visit_coverage", "unvisited")))

`counts_at(level, grids, days)` returns `{node id: [(numerator, denominator) at the end of each day]}` for the
nodes of `level` under `grids` (a Grid queryset, or None for all), in a number of queries that does not grow with
the nodes or the days. `drill` names the monthly report's section and figure that list the households behind a
cell (the reports app's page `report_rows`); a cell links there when that page exists.

The matrix is shown on `/grids/coverage/` (one community, or one of its grids, at a time; grouped by grid or by
party group) and as month columns on the admin's building changelist narrowed to one grid.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from urllib.parse import urlencode

from django.db.models.functions import Length
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.figures import kept
from core.numbers import share
from core.registry import Registry

from .coverage import Measure, level_of, target
from .models import Building, Community, Grid

MATRIX_MONTHS = 6
# A community with more buildings than this shows its matrix one grid at a time.
MATRIX_BUILDINGS = 200
# Below the target and at or above this share a cell is amber; below it, red.
WARNING_SHARE = 0.6

registry = Registry("month-end coverage measures")


@dataclass(frozen=True)
class MonthEndMeasure:
    measure: Measure
    counts_at: Callable
    drill: tuple = ()

    @property
    def key(self):
        return self.measure.key


def register(month_end_measure):
    return registry.register(month_end_measure)


def month_end_measure(key="visited"):
    return registry.get(key)


def month_days(today=None, months=MATRIX_MONTHS):
    """(first day, day read at) of each of the last `months` months, oldest first: a month is read at its last
    day, the running month at today."""
    today = today or timezone.localdate()
    days = []
    first = today.replace(day=1)
    for _i in range(months):
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        days.append((first, min(today, following - datetime.timedelta(days=1))))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return days[::-1]


def month_end_counts(model, month_end, days, grids=None):
    """{node id: [(numerator, denominator) at the end of each day of `days`]} for the nodes of `model`."""
    return month_end.counts_at(level_of(model), grids, days)


def tone(share):
    """The colour class of a share: met (at or above target), short, low, or none (nothing to count)."""
    if share is None:
        return "none"
    if share >= target():
        return "met"
    return "short" if share >= WARNING_SHARE else "low"


def drill_page(month_end):
    """The page listing the households behind the measure's cells, or None when the reports app is not
    installed."""
    if not month_end.drill:
        return None
    section, figure = month_end.drill
    try:
        return reverse("report_rows", kwargs={"section": section, "figure": figure})
    except NoReverseMatch:
        return None


def drill_url(month_end, node, first, page=None):
    """The households behind one cell (`page`: `drill_page(month_end)`, when the caller has it already)."""
    page = page or drill_page(month_end)
    if page is None:
        return None
    return f"{page}?{urlencode({'node': node, 'month': f'{first:%Y-%m}'})}"


@dataclass(frozen=True)
class Cell:
    first: datetime.date
    day: datetime.date
    numerator: int
    denominator: int
    share: float | None
    tone: str
    url: str | None


def cells(counts, month_end, days, node_key, page):
    """The cells of one node from its counts, one per month of `days` ((first day, day read at) pairs); `page` is
    `drill_page(month_end)`."""
    result = []
    for (first, day), (numerator, denominator) in zip(days, counts, strict=True):
        portion = share(numerator, denominator)
        url = drill_url(month_end, node_key, first, page) if page and numerator < denominator else None
        result.append(Cell(first, day, numerator, denominator, portion, tone(portion), url))
    return result


GROUPINGS = ("grid", "party")


def matrix(user, grids, *, community=None, grid=None, grouping="grid", today=None):
    """The coverage matrix of one community's buildings (those in `grids`, the user's scope) or of one of its
    grids, grouped by grid or by party group; None when no measure can be read at a month end. A community with
    more than `MATRIX_BUILDINGS` buildings is shown a grid at a time. Four queries and the measure's counts,
    whatever the number of buildings; the counts are kept for a few minutes (`core.figures`)."""
    month_end = month_end_measure()
    if month_end is None:
        return None
    communities = list(Community.objects.filter(pk__in=grids.values("community")).order_by("name"))
    if not communities:
        return None
    chosen = next((c for c in communities if str(c.pk) == str(community)), communities[0])
    community_grids = list(grids.filter(community=chosen).order_by("name"))
    chosen_grid = next((g for g in community_grids if str(g.pk) == str(grid)), None)
    grouping = grouping if grouping in GROUPINGS else "grid"
    order = ["grid__name", Length("number"), "number"]
    if grouping == "party":
        order.insert(0, "party_group_name")
    narrowed = (
        chosen_grid is None
        and Building.objects.filter(grid__in=community_grids).order_by()[: MATRIX_BUILDINGS + 1].count()
        > MATRIX_BUILDINGS
    )
    if narrowed:
        chosen_grid = community_grids[0]
    shown = [chosen_grid] if chosen_grid else community_grids
    rows = list(Building.objects.filter(grid__in=shown).select_related("grid").order_by(*order))
    days = month_days(today)
    in_view = [chosen_grid.pk] if chosen_grid else [g.pk for g in community_grids]
    counts, counted_at = kept(
        ("matrix", month_end.key, in_view, days),
        lambda: month_end_counts(
            Building, month_end, [day for _first, day in days], Grid.objects.filter(pk__in=in_view)
        ),
    )
    empty = [(0, 0)] * len(days)
    page = drill_page(month_end)
    groups = []
    for label, members in groupby(rows, key=lambda b: b.grid.name if grouping == "grid" else b.party_group_name):
        groups.append(
            {
                "label": label or _("未建党小组"),
                "rows": [
                    {"building": b, "cells": cells(counts.get(b.pk, empty), month_end, days, f"building:{b.pk}", page)}
                    for b in members
                ],
            }
        )
    return {
        "measure": month_end.measure,
        "months": [first for first, _day in days],
        "groups": groups,
        "communities": communities,
        "community": chosen,
        "grids": community_grids,
        "grid": chosen_grid,
        "narrowed": narrowed,
        "grouping": grouping,
        "target": target(),
        "counted_at": counted_at,
        # What the matrix's markup depends on besides the language: it is kept as long as its counts.
        "cache_key": repr(
            (month_end.key, [c.pk for c in communities], chosen.pk, in_view, grouping, narrowed, counted_at.isoformat())
        ),
    }
