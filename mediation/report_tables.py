"""Mediation's monthly report section as tables (`core.reports`), with the disputes behind each figure.

`mediation.sections.report_section` counts the month's return by the rules of `mediation.figures`; the lists
here filter the same disputes by the very conditions those counts use, so each list is as long as its figure.

The return lists every dispute type of the statistical return, in its order, and the total. A list behind a
figure names each dispute — committee, number, type, state, the figure's date — and nothing of its content:
leaders and cadres of other committees see counts only (人民调解法 art. 15). Those who may read a dispute
(`Dispute.objects.visible_to`) get a link to it.
"""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.reports import Column, Link, Row, RowList, Table

from . import figures
from .models import Dispute, DisputeType
from .sections import disputes_under, may_view

RETURN_COLUMNS = (
    Column("received", gettext_lazy("受理"), chart=True),
    Column("mediated", pgettext_lazy("statistics", "调解")),
    Column("succeeded", gettext_lazy("调解成功")),
    Column("failed", gettext_lazy("调解不成")),
    Column("success_rate", gettext_lazy("成功率"), "share"),
    Column("written", gettext_lazy("书面协议")),
    Column("oral", gettext_lazy("口头协议")),
    Column("escalated", gettext_lazy("矛盾上行")),
    # An average, not a count: a type without disputes in a compared month shows "—", not 0.
    Column("days", gettext_lazy("平均办结天数"), "days"),
)

TITLES = {
    "received": gettext_lazy("本月受理的纠纷"),
    "mediated": gettext_lazy("本月调解终结的纠纷"),
    "succeeded": gettext_lazy("本月调解成功的纠纷"),
    "failed": gettext_lazy("本月调解不成的纠纷"),
    "written": gettext_lazy("本月达成书面协议的纠纷"),
    "oral": gettext_lazy("本月达成口头协议的纠纷"),
    "escalated": gettext_lazy("本月调解不成且矛盾上行的纠纷"),
}
# The column a figure's success rate leads to: the disputes that succeeded.
LINKED = {**{figure: figure for figure in TITLES}, "success_rate": "succeeded"}


def _links(dispute_type=""):
    params = (("type", dispute_type),) if dispute_type else ()
    return {column: Link(figure, params=params) for column, figure in LINKED.items()}


def _values(row):
    days = row["days"]
    return {**row, "days": round(days, 1) if days is not None else None}


def mediation_tables(data):
    """The month's return: a row per dispute type of the statistical return, and the total."""
    by_type = {row["key"]: row for row in data["rows"]}
    rows = [
        Row(key=value, label=str(label), values=_values(by_type.get(value) or figures.empty()), links=_links(value))
        for value, label in DisputeType.choices
    ]
    rows.append(Row(key="total", label=_("合计"), values=_values(data["total"]), links=_links(), total=True))
    return [Table("return", _("人民调解（按纠纷类型）"), _("纠纷类型"), RETURN_COLUMNS, tuple(rows))]


def _counted(figure, first, following):
    """The condition `mediation.figures` counts `figure` under: a list and its figure share one definition."""
    return figures._aggregates(first, following)[figure].filter


def dispute_rows(disputes, title, user, *, date_label, date_field, extra=(), then=()):
    """`disputes` as a list that names each one and shows nothing of its content (the columns are all it loads
    from the database), by `date_field` and number, `then` by the fields given; `extra` adds (header, dispute →
    value) columns."""
    readable = Dispute.objects.visible_to(user).filter(pk=OuterRef("pk"))
    rows = (
        disputes.select_related("community")
        .only("number", "dispute_type", "state", date_field, "community__name")
        .annotate(readable=Exists(readable))
        .order_by(date_field, "community__name", "number", "pk", *then)
    )
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("案号"), lambda d: d.number),
            (_("调解委员会"), lambda d: d.community.name),
            (_("纠纷类型"), lambda d: d.get_dispute_type_display()),
            (_("状态"), lambda d: d.get_state_display()),
            (date_label, lambda d: getattr(d, date_field)),
            *extra,
        ),
        url=lambda d: reverse("dispute_detail", args=[d.pk]) if d.readable else None,
    )


def mediation_rows(figure, node, month, user, params):
    """The disputes behind a count of the return, of one dispute type when `params` names one (`type`)."""
    if figure not in TITLES or not may_view(user):
        return None
    title = str(TITLES[figure])
    dispute_type = params.get("type", "")
    disputes = disputes_under(node, user).filter(_counted(figure, *figures.month_bounds(month)))
    if dispute_type:
        if dispute_type not in DisputeType.values:
            return None
        disputes = disputes.filter(dispute_type=dispute_type)
        title += f"（{DisputeType(dispute_type).label}）"
    if figure == "received":
        return dispute_rows(disputes, title, user, date_label=_("受理日期"), date_field="accepted_on")
    return dispute_rows(disputes, title, user, date_label=_("调解终结日期"), date_field="concluded_on")
