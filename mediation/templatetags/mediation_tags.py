"""The mediation room's table rows and badges, written here rather than as an `{% include %}` per row: the index
shows the monthly return (a row per dispute type), the grids, the twelve months and a page of disputes, and an
include per row (and badge) was a good part of its time. Every value is escaped by `format_html`."""

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core.numbers import percent_text
from mediation.exports import figure_headers
from mediation.models import Dispute, DisputeType

register = template.Library()

STATE_BADGES = {
    "succeeded": "text-bg-success",
    "follow_up": "text-bg-success",
    "failed": "text-bg-dark",
    "mediating": "text-bg-primary",
    "accepted": "text-bg-info",
    "registered": "text-bg-secondary",
}
RISK_BADGES = {
    "red": ("text-bg-danger", gettext_noop("红色风险")),
    "orange": ("text-bg-warning", gettext_noop("橙色风险")),
    "yellow": ("bg-warning-subtle text-warning-emphasis border border-warning-subtle", gettext_noop("黄色风险")),
}


def _days(days):
    """The average days to close to one decimal (as `|floatformat:1`), or a dash."""
    return "—" if days is None else floatformat(days, 1)


@register.simple_tag
def return_heads():
    """The <th>s of the return's figures, in the order of `return_cells`."""
    return format_html_join(
        "", '<th scope="col" class="text-end text-nowrap">{}</th>', ((label,) for label in figure_headers())
    )


@register.simple_tag
def return_cells(row):
    """The <td>s of one row of figures (`mediation.figures`): the counts, the success rate and the days."""
    return format_html(
        '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td><td class="text-end{}">{}</td><td class="text-end">{}</td>',
        row["received"],
        row["mediated"],
        row["succeeded"],
        row["failed"],
        percent_text(row["success_rate"]),
        row["written"],
        row["oral"],
        " coverage-low" if row["escalated"] else "",
        row["escalated"],
        _days(row["days"]),
    )


@register.simple_tag
def series_cells(row):
    """The <td>s of one month of the twelve-month series."""
    return format_html(
        '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
        '<td class="text-end">{}</td><td class="text-end{}">{}</td>',
        row["received"],
        row["mediated"],
        row["succeeded"],
        percent_text(row["success_rate"]),
        " coverage-low" if row["escalated"] else "",
        row["escalated"],
    )


def _labels():
    """{field: {value: label}} of the choices a row shows, translated once per list rather than per row."""
    return {
        "state": {value: str(label) for value, label in Dispute.State.choices},
        "risk": {value: str(label) for value, label in Dispute.Risk.choices},
        "dispute_type": {value: str(label) for value, label in DisputeType.choices},
        "risk_badge": {value: _(label) for value, (_css, label) in RISK_BADGES.items()},
    }


def _state_badge(dispute, labels):
    css = STATE_BADGES.get(dispute.state, "text-bg-light border")
    return format_html('<span class="badge {}">{}</span>', css, labels["state"].get(dispute.state, dispute.state))


def _risk_badge(dispute, labels):
    risk = dispute.risk if dispute.risk in RISK_BADGES else "yellow"
    css, text = RISK_BADGES[risk][0], labels["risk_badge"][risk]
    return format_html(
        '<span class="badge {}" title="{}">{}</span>', css, labels["risk"].get(dispute.risk, dispute.risk), text
    )


@register.simple_tag
def state_badge(dispute):
    return _state_badge(dispute, _labels())


@register.simple_tag
def risk_badge(dispute):
    return _risk_badge(dispute, _labels())


def _timing(dispute):
    """How late the dispute is, else the days left before its deadline, else the day it was registered."""
    if dispute.days_late:
        late = ngettext("逾期 %(n)s 天", "逾期 %(n)s 天", dispute.days_late) % {"n": dispute.days_late}
        return format_html(
            '<span class="badge text-bg-danger">{}</span> <span class="text-nowrap">{} {}</span>',
            late,
            _("期限"),
            f"{dispute.deadline:%Y-%m-%d}",
        )
    if dispute.days_left is not None:
        left = ngettext("剩 %(n)s 天", "剩 %(n)s 天", dispute.days_left) % {"n": dispute.days_left}
        return format_html(
            '<span class="text-nowrap">{} {}</span>（{}）', _("期限"), f"{dispute.deadline:%Y-%m-%d}", left
        )
    registered = timezone.localtime(dispute.registered_at)
    return format_html('<span class="text-nowrap">{} {}</span>', _("登记"), f"{registered:%Y-%m-%d}")


def _dispute_row(dispute, several_committees, labels):
    """One dispute of the list (`mediation.views._describe` has added its timing and parties' names)."""
    where = format_html(" · {}", dispute.community.name) if several_committees else ""
    unassigned = (
        format_html(' <span class="badge text-bg-warning">{}</span>', _("待指派调解员"))
        if not dispute.has_mediator and not dispute.is_closed
        else ""
    )
    return format_html(
        '<a class="list-group-item list-group-item-action" href="{}" id="dispute-{}">'
        '<div class="d-flex justify-content-between align-items-start gap-2">'
        '<strong class="text-break">{}</strong><span class="text-nowrap">{} {}</span></div>'
        '<div class="small text-break">{} <span class="text-body-secondary">{}</span> {}</div>'
        '<div class="small text-body-secondary"><span class="text-nowrap">{}</span> · {}{} · {}{}</div>'
        "</a>\n",
        reverse("dispute_detail", args=[dispute.pk]),
        dispute.pk,
        dispute.title,
        _state_badge(dispute, labels),
        _risk_badge(dispute, labels),
        "、".join(dispute.applicant_names) or "—",
        _("与"),
        "、".join(dispute.respondent_names) or "—",
        dispute.number,
        labels["dispute_type"].get(dispute.dispute_type, dispute.dispute_type),
        where,
        _timing(dispute),
        unassigned,
    )


@register.simple_tag
def dispute_rows(page, several_committees=False):
    """The list's page of disputes, one `_dispute_row` each."""
    labels = _labels()
    return mark_safe("".join(_dispute_row(dispute, several_committees, labels) for dispute in page))  # escaped rows
