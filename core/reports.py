"""Sections of the monthly report, contributed by each app (reports sits above them all and imports none).

An app registers a `ReportSection` from its `AppConfig.ready()`:

    reports.register(ReportSection(key="heating", title=_("供暖"), order=30, build=heating_section))

`build(node, month, user)` returns the section's figures (a dict the section's template reads) in a bounded
number of queries, or None when the section has nothing to say for that month (heating out of season).

A section that also gives `tables(data)` — its figures as `Table`s with Chinese headers — gets the rest from the
reports app: each figure with the previous month's and the same month last year's beside it (`build` is called
for those months too; a month it returns None for has no data), charts, an Excel download per table, a sheet in
the monthly workbook, and the printed page. A cell with a `Link` leads to the rows behind it: the section's
`rows(figure, node, month, user, params)` returns them as a `RowList` (exactly as many rows as the figure, within
what `user` may see), or None for a figure it does not know. Without `tables` the section's `template` is shown.

Origin-village figures (原村, the merged community's seams) are a second registry: an app counts its records by
the origin village of the households concerned, over the grids of the report's node, for one month:

    reports.register_village_figure(VillageFigure(key="requests", label=_("诉求"), counts=requests_by_village))

`counts(user, grids, start, end)` returns `{village name: n}` ("" for households with no recorded village) — or,
for a figure with `pairs=True`, `{(village, village): n}` with the two names in sorted order — counting the records
of the month [start, end) under `grids` (a Grid queryset already narrowed to what `user` may see), in a bounded
number of queries; or None when `user` may not see this figure. `rows(user, grids, start, end, village)` (optional)
returns the `RowList` behind one village's figure (`village` a name, "" for no village, "a|b" for a pair, or
None for all the records the figure counts).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .registry import Registry

registry = Registry("report sections")
village_registry = Registry("origin-village figures")


@dataclass(frozen=True)
class ReportSection:
    key: str
    title: str
    build: Callable
    template: str = ""
    order: int = 100
    #: tables(data) -> [Table]: the figures of what `build` returned, as tables
    tables: Callable | None = None
    #: rows(figure, node, month, user, params) -> RowList or None: the rows behind one figure
    rows: Callable | None = None


@dataclass(frozen=True)
class Column:
    """A column of figures: counts, shares (0–1, shown as a percentage) or text."""

    key: str
    label: str
    kind: str = "count"
    #: drawn as a bar per row beside the table
    chart: bool = False


@dataclass(frozen=True)
class Link:
    """Where a figure leads: the rows of the section's `figure` under `node` ("grid:7"; empty for the report's
    own node), narrowed by `params` (pairs such as ("category", "heating"))."""

    figure: str
    node: str = ""
    params: tuple = ()


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: dict
    links: dict = field(default_factory=dict)
    #: a node of the grid with a report of its own ("grid:7"), which the row's label links to
    node: str = ""
    total: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    #: the header of the rows' labels ("网格", "类别")
    head: str
    columns: tuple
    rows: tuple


@dataclass(frozen=True)
class RowList:
    """The rows behind a figure: an ordered queryset (or list), the columns shown for each (header, row → value),
    and optionally the page of each row (row → URL)."""

    title: str
    rows: Any
    columns: tuple
    url: Callable | None = None


@dataclass(frozen=True)
class VillageFigure:
    key: str
    label: str
    counts: Callable
    rows: Callable | None = None
    pairs: bool = False
    order: int = 100


def register(section):
    return registry.register(section)


def sections():
    return sorted(registry, key=lambda section: section.order)


def register_village_figure(figure):
    return village_registry.register(figure)


def village_figures():
    return sorted(village_registry, key=lambda figure: figure.order)
