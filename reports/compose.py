"""A node's monthly report, assembled from the sections the apps register in `core.reports`.

For each section with tables, the figures of the month, the month before and the same month last year are read
(`reports.figures`: kept once counted, counted by the sections' `build` when not), and every figure of the month
carries the other two beside it (none when that month's build said it had no data). Each figure links to the
rows behind it (`report_rows`), each child node's name to its own report. A section without tables is shown
through its own template. The same assembly feeds the page, the Excel downloads, the workbook and the printed
page; a page cuts the tables of child nodes (the rows that grow with the grid) to the rows it shows.
"""

from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlencode

from django.urls import reverse
from django.utils.safestring import mark_safe

from core import reports as registry
from grids.coverage import is_below
from grids.nodes import node_key

from . import figures, months


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
    #: rows of child nodes left out by `cap`, and the column the rows shown were picked by
    omitted: int = 0
    picked_by: str = ""

    @property
    def compared(self):
        return self.has_previous or self.has_last_year

    @property
    def children_shown(self):
        return sum(1 for row in self.rows if row.url and not row.total)


@dataclass
class RenderedSection:
    key: str
    title: str
    data: object
    template: str = ""
    tables: list = field(default_factory=list)
    #: a section without tables: its rendered template
    html: str = ""


@dataclass
class Report:
    node: object
    month: object
    previous_month: object
    last_year_month: object
    sections: list
    #: titles of the sections with nothing for the month (heating out of season)
    silent: list = field(default_factory=list)
    #: when the month's figures were counted
    counted_at: object = None

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


def _attention(columns):
    """The index of the column whose lowest shares need attention first (the first charted share), or None."""
    shares = [i for i, (_key, _label, kind, _chart) in enumerate(columns) if kind == "share"]
    charted = [i for i in shares if columns[i][3]]
    return (charted or shares or [None])[0]


def _lowest_first(share):
    return (share is None, share or 0)


def _cut(kept, limit):
    """(kept table, rows left out, the label of the column picked by): a kept table of child nodes (the rows that
    grow with the grid) cut to `limit` of them — those with the lowest share of its first charted share column,
    the ones needing attention, else the first — and its other rows (the total). Rows as `reports.figures` keeps
    them: [key, label, node, total, values, links]."""
    children = [row for row in kept["rows"] if row[2] and not row[3]]
    if limit is None or len(children) <= limit:
        return kept, 0, ""
    index = _attention(kept["columns"])
    if index is None:
        shown, picked_by = children[:limit], ""
    else:
        shown = sorted(children, key=lambda row: _lowest_first(row[4][index]))[:limit]
        picked_by = kept["columns"][index][1]
    rows = [*shown, *(row for row in kept["rows"] if row[3] or not row[2])]
    return {**kept, "rows": rows}, len(children) - limit, picked_by


def render_table(section_key, table, node_key_, month, previous, last_year, *, omitted=0, picked_by=""):
    """A section's table with links, and the previous month's and last year's value beside each figure."""
    # A table has hundreds of links: reverse() once per figure, each node quoted once (as `query` would).
    paths, nodes, month_text = {}, {}, f"{month:%Y-%m}"

    def query_of(node, params=()):
        if node not in nodes:
            nodes[node] = f"node={quote_plus(node)}&month={month_text}"
        return f"{nodes[node]}&{urlencode(params)}" if params else nodes[node]

    def url_of(link):
        if link.figure not in paths:
            paths[link.figure] = reverse("report_rows", kwargs={"section": section_key, "figure": link.figure})
        return f"{paths[link.figure]}?{query_of(link.node or node_key_, link.params)}"

    report_path = reverse("report")
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
                    url=url_of(link) if link else None,
                    previous=_compared(before, column, previous),
                    last_year=_compared(year_ago, column, last_year),
                )
            )
        url = f"{report_path}?{query_of(row.node)}" if row.node else None
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
        omitted=omitted,
        picked_by=picked_by,
    )


def _render_section(section, node, month, kept, before, year_ago, limit=None, full=""):
    """One section of the report from its kept figures of the month, the month before and the same month last
    year, or None when it has nothing for the month; tables cut to `limit` child nodes but the one named `full`."""
    if kept is None:
        return None
    rendered = RenderedSection(section.key, str(section.title), None, section.template)
    if "html" in kept:
        rendered.html = mark_safe(kept["html"])  # rendered by the section's own (escaping) template
    previous, last_year = figures.values_by_row(before), figures.values_by_row(year_ago)
    for table in kept.get("tables", ()):
        cut, omitted, picked_by = _cut(table, None if full == f"{section.key}.{table['key']}" else limit)
        rendered.tables.append(
            render_table(
                section.key,
                figures.table_of(cut),
                node_key(node),
                month,
                previous,
                last_year,
                omitted=omitted,
                picked_by=picked_by,
            )
        )
    return rendered


def _report(node, month, sections, silent=(), counted_at=None):
    return Report(node, month, months.shift(month, -1), months.shift(month, -12), sections, list(silent), counted_at)


def shown_months(month):
    """The months a report reads: its own, the month before and the same month last year."""
    return [month, months.shift(month, -1), months.shift(month, -12)]


def assemble(node, month, by_month, only=None, limit=None, full=""):
    """The report of `node` for `month` from `by_month` ({month: (figures, counted at)} for `shown_months`);
    `only` a section key for a report of that section alone; `limit` and `full` as `_render_section`'s."""
    kept, counted_at = by_month[month]
    before, year_ago = (by_month[other][0] for other in shown_months(month)[1:])
    sections, silent = [], []
    for section in registry.sections():
        if only and section.key != only:
            continue
        key = section.key
        rendered = _render_section(section, node, month, kept.get(key), before.get(key), year_ago.get(key), limit, full)
        if rendered is not None:
            sections.append(rendered)
        else:
            silent.append(str(section.title))
    return _report(node, month, sections, silent, counted_at)


def compose(node, month, user, *, progress=None, live=False, limit=None, full=""):
    """The report of `node` for `month` as `user` sees it, from the kept figures (counting and keeping those not
    kept yet); `live` counts all three months afresh and keeps nothing. `progress(done, total)` after each
    section counted. A page passes `limit` (child nodes shown per table) and `full` (the table shown whole,
    "section.table"); the Excel downloads and the workbook keep every row."""
    wanted = shown_months(month)
    total = len(wanted) * len(registry.sections())
    done = 0

    def count(counted_month):
        nonlocal done
        start = done

        def step(section_done, _sections):
            if progress:
                progress(start + section_done, total)

        result = figures.count_month(node, counted_month, user, progress=step)
        done = start + len(result)
        return result

    if live:
        by_month = {other: (count(other), None) for other in wanted}
    else:
        by_month = figures.figures_for(node, wanted, user, count=count)
    if progress:
        progress(total, total)
    return assemble(node, month, by_month, limit=limit, full=full)


def compose_section(section_key, node, month, user):
    """The report with only the section `section_key` (for one table's download), or None."""
    if registry.registry.get(section_key) is None:
        return None
    built = assemble(node, month, figures.figures_for(node, shown_months(month), user), only=section_key)
    return built if built.sections else None


def rows_for(section_key, figure, node, month, user, params):
    """The `RowList` behind a figure, or None when no section knows it."""
    section = registry.registry.get(section_key)
    if section is None or section.rows is None:
        return None
    return section.rows(figure, node, month, user, params)
