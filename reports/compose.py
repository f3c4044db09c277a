"""A node's monthly report, assembled from the sections the apps register in `core.reports`.

For each section with tables, `build` runs for the month, the month before and the same month last year, and
every figure of the month carries the other two beside it (none when that month's build said it had no data).
Each figure links to the rows behind it (`report_rows`), each child node's name to its own report. A section
without tables is shown through its own template. The same assembly feeds the page, the Excel downloads, the
workbook and the printed page.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from core import reports as registry
from grids.coverage import is_below
from grids.nodes import node_key

from . import months


@dataclass(frozen=True)
class Cell:
    column: str
    value: object
    kind: str
    url: str | None = None
    previous: object = None
    last_year: object = None


@dataclass(frozen=True)
class RenderedRow:
    key: str
    label: str
    url: str | None
    total: bool
    cells: list


@dataclass(frozen=True)
class Bar:
    label: str
    value: object
    width: float
    #: a share below the coverage target
    low: bool = False


@dataclass(frozen=True)
class Chart:
    label: str
    kind: str
    bars: list


@dataclass(frozen=True)
class RenderedTable:
    section: str
    key: str
    title: str
    head: str
    columns: tuple
    rows: list
    charts: list
    #: whether the month before / the same month last year had data to compare with
    has_previous: bool
    has_last_year: bool

    @property
    def compared(self):
        return self.has_previous or self.has_last_year


@dataclass
class RenderedSection:
    key: str
    title: str
    data: object
    template: str = ""
    tables: list = field(default_factory=list)


@dataclass
class Report:
    node: object
    month: object
    previous_month: object
    last_year_month: object
    sections: list
    #: titles of the sections with nothing for the month (heating out of season)
    silent: list = field(default_factory=list)

    @property
    def node_key(self):
        return node_key(self.node)

    def table(self, section_key, table_key):
        for section in self.sections:
            for table in section.tables:
                if (table.section, table.key) == (section_key, table_key):
                    return table
        return None


def query(node_key_, month, **params):
    return urlencode({"node": node_key_, "month": f"{month:%Y-%m}", **params})


def report_url(node_key_, month):
    return f"{reverse('report')}?{query(node_key_, month)}"


def rows_url(section, link, node_key_, month):
    return f"{reverse('report_rows', kwargs={'section': section, 'figure': link.figure})}?" + query(
        link.node or node_key_, month, **dict(link.params)
    )


def _values_by_row(tables):
    return {(table.key, row.key): row.values for table in tables or () for row in table.rows}


def _charts(table):
    charts = []
    for column in table.columns:
        if not column.chart:
            continue
        rows = [row for row in table.rows if not row.total]
        values = [row.values.get(column.key) for row in rows]
        top = 1 if column.kind == "share" else max([v for v in values if v is not None] or [0]) or 1
        bars = [
            Bar(row.label, value, round(100 * (value or 0) / top, 1), column.kind == "share" and is_below(value))
            for row, value in zip(rows, values, strict=True)
        ]
        charts.append(Chart(column.label, column.kind, bars))
    return charts


def _compared(values, column, period):
    """A figure of the compared month: none when that month had no data; a row it did not have counted 0."""
    if period is None:
        return None
    return values.get(column.key, 0 if column.kind == "count" else None)


def render_table(section_key, table, node_key_, month, previous, last_year):
    """A section's table with links, and the previous month's and last year's value beside each figure."""
    rows = []
    for row in table.rows:
        before = (previous or {}).get((table.key, row.key), {})
        year_ago = (last_year or {}).get((table.key, row.key), {})
        cells = []
        for column in table.columns:
            link = row.links.get(column.key)
            cells.append(
                Cell(
                    column=column.key,
                    value=row.values.get(column.key),
                    kind=column.kind,
                    url=rows_url(section_key, link, node_key_, month) if link else None,
                    previous=_compared(before, column, previous),
                    last_year=_compared(year_ago, column, last_year),
                )
            )
        url = report_url(row.node, month) if row.node else None
        rows.append(RenderedRow(row.key, row.label, url, row.total, cells))
    return RenderedTable(
        section_key,
        table.key,
        table.title,
        table.head,
        table.columns,
        rows,
        _charts(table),
        has_previous=previous is not None,
        has_last_year=last_year is not None,
    )


def _render_section(section, node, month, user):
    """One section of the report, or None when it has nothing for the month."""
    data = section.build(node, month, user)
    if data is None:
        return None
    rendered = RenderedSection(section.key, str(section.title), data, section.template)
    if section.tables:
        before = section.build(node, months.shift(month, -1), user)
        year_ago = section.build(node, months.shift(month, -12), user)
        previous = _values_by_row(section.tables(before)) if before is not None else None
        last_year = _values_by_row(section.tables(year_ago)) if year_ago is not None else None
        rendered.tables = [
            render_table(section.key, table, node_key(node), month, previous, last_year)
            for table in section.tables(data)
        ]
    return rendered


def _report(node, month, sections, silent=()):
    return Report(node, month, months.shift(month, -1), months.shift(month, -12), sections, list(silent))


def compose(node, month, user, *, progress=None):
    """The report of `node` for `month` as `user` sees it; `progress(done, total)` after each section."""
    sections, silent = [], []
    registered = registry.sections()
    for done, section in enumerate(registered, start=1):
        rendered = _render_section(section, node, month, user)
        if rendered is not None:
            sections.append(rendered)
        else:
            silent.append(str(section.title))
        if progress:
            progress(done, len(registered))
    return _report(node, month, sections, silent)


def compose_section(section_key, node, month, user):
    """The report with only the section `section_key` (for one table's download), or None."""
    section = registry.registry.get(section_key)
    rendered = _render_section(section, node, month, user) if section else None
    return _report(node, month, [rendered]) if rendered else None


def rows_for(section_key, figure, node, month, user, params):
    """The `RowList` behind a figure, or None when no section knows it."""
    section = registry.registry.get(section_key)
    if section is None or section.rows is None:
        return None
    return section.rows(figure, node, month, user, params)
