"""How the report shows a figure: a count as a number, a share as a percentage, nothing as a dash; and a row of
a report table, written here rather than in template loops because a report page has hundreds of figures."""

from html import escape

from django import template
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.numbers import percent_text

register = template.Library()


@register.filter
def figure(value, kind="count"):
    if value is None:
        return "—"
    if kind == "share":
        return percent_text(value)
    return value


def _text(value, kind):
    """A figure as escaped text: whole numbers as they are, other numbers localized (as `{{ }}` would)."""
    shown = figure(value, kind)
    if not isinstance(shown, str | int):
        shown = localize(shown)
    return escape(str(shown))


def _cell(cell, table, previous_label, last_year_label):
    """The <td> of one figure: the figure (a link to the rows behind it when it has one), and beside it the month
    before's and last year's when the table compares them."""
    shown = _text(cell.value, cell.kind)
    if cell.url:
        parts = [f'<a class="report-figure" href="{escape(cell.url)}">{shown}</a>']
    else:
        parts = [f'<span class="report-figure">{shown}</span>']
    if table.has_previous:
        parts.append(f'<span class="report-compare">{previous_label} {_text(cell.previous, cell.kind)}</span>')
    if table.has_last_year:
        parts.append(f'<span class="report-compare">{last_year_label} {_text(cell.last_year, cell.kind)}</span>')
    return f'<td class="text-end text-nowrap" data-column="{escape(cell.column)}">{" ".join(parts)}</td>'


@register.simple_tag
def figure_row(row, table):
    """The <tr> of a report table's row: its label (a link to the child node's report) and its figures."""
    label = escape(str(row.label))
    if row.url:
        label = f'<a href="{escape(row.url)}">{label}</a>'
    labels = escape(_("上月")), escape(_("去年"))
    cells = "".join(_cell(cell, table, *labels) for cell in row.cells)
    total = ' class="report-total"' if row.total else ""
    weight = "" if row.total else " fw-normal"
    return mark_safe(  # every value above is escaped
        f'<tr{total} data-row="{escape(str(row.key))}"><th scope="row" class="text-nowrap{weight}">{label}</th>'
        f"{cells}</tr>"
    )


@register.simple_tag
def chart_bar(bar, chart):
    """One bar of a table's chart: the row's label, the bar (SVG, drawn on the server) and the figure."""
    low = " report-bar-low" if bar.low else ""
    return mark_safe(  # every value below is escaped or a number
        f'<li class="report-bar-row"><span class="report-bar-label">{escape(str(bar.label))}</span>'
        '<svg class="report-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">'
        f'<rect class="report-bar-track" width="100" height="10"/><rect class="report-bar-fill{low}" '
        f'width="{float(bar.width)}" height="10"/></svg>'
        f'<span class="report-bar-value">{_text(bar.value, chart.kind)}</span></li>'
    )
