"""The dashboard's repeated pieces — a row of the figure tables (grids, communities, buildings), a building's tile,
a household of the list below standard — written here rather than in template loops and includes: a community's
table has a row per grid, a hundred or more with `?grids=all`, and each piece costs a fraction of its template."""

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from core.numbers import percent_text

register = template.Library()


def _celsius(value):
    return "—" if value is None else floatformat(value, "1u")


def _below(row):
    """The below-standard count, a link to the grid's full list when the row has one."""
    if row["below"] and row.get("below_url"):
        return format_html('<a href="{}">{}</a>', row["below_url"], row["below"])
    return str(row["below"])


@register.simple_tag
def figure_row(row, kind="", total=False):
    """The <tr> of one row: its name (a link when it has a url), households, inspected share and count, below
    standard, open tickets, average and lowest reading. `kind` names the row's id (`heating-<kind>-<key>`); a
    total row is named 合计 and links nowhere."""
    row_id = format_html(' id="heating-{}-{}"', kind, row["key"]) if kind and not total else ""
    if total:
        name = format_html('<th scope="row" class="text-nowrap">{}</th>', _("合计"))
    elif row.get("url"):
        name = format_html('<td class="text-nowrap"><a href="{}">{}</a></td>', row["url"], row["name"])
    else:
        name = format_html('<td class="text-nowrap">{}</td>', row["name"])
    css = format_html(' class="{}"', "heating-total") if total else ""
    return format_html(
        '<tr{}{}>{}<td class="text-end">{}</td><td class="text-end">{}<br><span class="small text-body-secondary">'
        '{}</span></td><td class="text-end{}">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td></tr>',
        row_id,
        css,
        name,
        row["households"],
        percent_text(row["inspected_share"]),
        row["inspected"],
        " coverage-low" if row["below"] else "",
        _below(row),
        row["ticket"],
        _celsius(row["average"]),
        _celsius(row["lowest"]),
    )


@register.simple_tag
def building_tile(row, state_labels):
    """A building's tile in a grid's map: coloured and named by its state, with how many households are inspected."""
    label, icon = next((label, icon) for state, label, icon in state_labels if state == row["state"])
    inspected = _("已测 %(n)s/%(total)s") % {"n": row["inspected"], "total": row["households"]}
    return format_html(
        '<li><a class="heating-tile heating-state-{}" href="{}" id="heating-building-{}">'
        '<span class="fw-semibold">{}</span> <span class="small"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>'
        ' <span class="small">{}</span></a></li>',
        row["state"],
        row["url"],
        row["key"],
        row["name"],
        icon,
        label,
        inspected,
    )


@register.simple_tag
def below_item(household):
    """A household of the list below standard: where it is, its head and priority group, its latest inspection,
    and whether a ticket is open."""
    extras = []
    if household.head_name:
        extras.append(format_html(' <span class="ms-1">{}</span>', household.head_name))
    if household.priority_group:
        extras.append(format_html(' <span class="badge text-bg-warning ms-1">{}</span>', household.priority_group))
    latest = []
    if household.latest_at:
        at = dateformat.format(timezone.localtime(household.latest_at), _("n月j日 H:i"))
        latest.append(_("最近测温 %(at)s") % {"at": at})
    if household.latest_lowest is not None:
        latest.append(_("最低 %(c)s ℃") % {"c": floatformat(household.latest_lowest, 1)})
    if household.heating_ticket_open:
        state, icon, label = "ticket", "wrench-adjustable", _("已报修未结")
    else:
        state, icon, label = "cold", "thermometer-snow", _("低于标准")
    return format_html(
        '<li class="list-group-item d-flex justify-content-between align-items-start gap-2"><div>'
        '<a class="fw-semibold" href="{}">{} · {}</a>{}<div class="small text-body-secondary">{}</div></div>'
        '<span class="heating-legend heating-state-{} text-nowrap"><i class="bi bi-{}" aria-hidden="true"></i> {}'
        "</span></li>",
        reverse("household_detail", args=[household.pk]),
        household.building.grid.name,
        household.room_code,
        format_html_join("", "{}", ((extra,) for extra in extras)),
        " · ".join(latest),
        state,
        icon,
        label,
    )
