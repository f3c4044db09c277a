"""Heating's monthly report section as tables, with the rows behind each figure (`core.reports`).

`heating.sections.heating_section` counts the month's figures; the querysets here list the rows behind them by
the same definitions (a test checks each list is as long as its figure):

- households of the node's grids in communities with a season running in the month; of them those inspected in
  the month, and those whose last inspection of the month was below standard;
- per company: tickets reported in the month, closed in the month (复查合格), and of those closed within the
  deadline (the company's last 已处理 step at or before the ticket's response deadline).
"""

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.parsing import parse_id
from core.reports import Column, Link, Row, RowList, Table
from households.models import Household

from .models import HeatingInspection, HeatingSeason, HeatingTicket, TicketEvent
from .sections import _grids_under, _month_bounds

SUMMARY_COLUMNS = (
    Column("households", gettext_lazy("供暖季居民户")),
    Column("inspected", gettext_lazy("本月入户测温")),
    Column("inspected_share", gettext_lazy("测温覆盖率"), "share"),
    Column("below", gettext_lazy("最近一次测温低于标准")),
)
COMPANY_COLUMNS = (
    Column("reported", gettext_lazy("本月报修"), chart=True),
    Column("closed", gettext_lazy("本月结单")),
    Column("closed_on_time", gettext_lazy("按时处理")),
    Column("on_time_share", gettext_lazy("按时处理率"), "share"),
)


def _ticket_links(company=None):
    params = (("company", str(company)),) if company else ()
    figures = {"reported": "reported", "closed": "closed", "closed_on_time": "closed_on_time"}
    figures["on_time_share"] = "closed_on_time"
    return {column: Link(figure, params=params) for column, figure in figures.items()}


def heating_tables(data):
    summary = {key: data[key] for key in ("households", "inspected", "inspected_share", "below")}
    links = {"households": Link("households"), "inspected": Link("inspected"), "inspected_share": Link("inspected")}
    links["below"] = Link("below")
    companies = [
        Row(key=str(row["company"]), label=row["name"], values=row, links=_ticket_links(row["company"]))
        for row in data["companies"]
    ]
    companies.append(Row(key="total", label=_("合计"), values=data["tickets"], links=_ticket_links(), total=True))
    return [
        Table(
            "heating", _("入户测温"), _("范围"), SUMMARY_COLUMNS, (Row("total", _("合计"), summary, links, total=True),)
        ),
        Table("companies", _("报修单（按供热公司）"), _("供热公司"), COMPANY_COLUMNS, tuple(companies)),
    ]


def _scope(node, month, user):
    """(season ids, households, start, end) as `heating_section` counts them."""
    first, following, start, end = _month_bounds(month)
    grids = _grids_under(node, user)
    seasons = list(
        HeatingSeason.objects.filter(
            community__in=grids.values("community"), starts_on__lt=following, ends_on__gte=first
        ).values_list("pk", "community_id")
    )
    households = Household.objects.filter(
        building__grid__in=grids, building__grid__community__in=[c for _pk, c in seasons]
    )
    return [pk for pk, _c in seasons], households, start, end


def _household_rows(households, title):
    rows = households.listing().select_related("building__grid")
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("房号"), lambda h: h.room_code),
            (_("网格"), lambda h: h.building.grid.name),
            (_("户主"), lambda h: h.head_name or ""),
        ),
        url=lambda h: reverse("household_detail", args=[h.pk]),
    )


def _ticket_rows(tickets, title):
    rows = tickets.select_related("household__building__grid", "company").order_by("reported_at", "pk")
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("报修时间"), lambda t: t.reported_at),
            (_("网格"), lambda t: t.household.building.grid.name),
            (_("房号"), lambda t: t.household.room_code),
            (_("供热公司"), lambda t: t.company.name),
            (_("状态"), lambda t: t.get_state_display()),
            (_("响应时限"), lambda t: t.deadline_at),
            (_("结单时间"), lambda t: t.closed_at),
        ),
        url=lambda t: reverse("ticket_detail", args=[t.pk]),
    )


TITLES = {
    "households": gettext_lazy("供暖季的居民户"),
    "inspected": gettext_lazy("本月入户测温的居民户"),
    "below": gettext_lazy("本月最近一次测温低于标准的居民户"),
    "reported": gettext_lazy("本月报修的报修单"),
    "closed": gettext_lazy("本月结单的报修单"),
    "closed_on_time": gettext_lazy("本月按时处理并结单的报修单"),
}


def heating_rows(figure, node, month, user, params):
    """The households or tickets behind a heating figure."""
    if figure not in TITLES:
        return None
    season_ids, households, start, end = _scope(node, month, user)
    title = str(TITLES[figure])
    in_month = HeatingInspection.objects.filter(
        household=OuterRef("pk"), season__in=season_ids, inspected_at__gte=start, inspected_at__lt=end
    )
    if figure == "households":
        return _household_rows(households, title)
    if figure == "inspected":
        return _household_rows(households.filter(Exists(in_month)), title)
    if figure == "below":
        latest = Subquery(in_month.order_by("-inspected_at", "-pk").values("below_standard")[:1])
        return _household_rows(households.alias(latest_below=latest).filter(latest_below=True), title)
    reported = Q(reported_at__gte=start, reported_at__lt=end)
    closed = Q(state=HeatingTicket.State.RECHECK_PASSED, closed_at__gte=start, closed_at__lt=end)
    last_handled = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), to_state=HeatingTicket.State.HANDLED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    tickets = HeatingTicket.objects.filter(season__in=season_ids, household__in=households)
    if company := parse_id(params.get("company")):
        tickets = tickets.filter(company=company)
    if figure == "reported":
        return _ticket_rows(tickets.filter(reported), title)
    tickets = tickets.filter(closed)
    if figure == "closed_on_time":
        tickets = tickets.alias(handled_at=Subquery(last_handled)).filter(handled_at__lte=F("deadline_at"))
    return _ticket_rows(tickets, title)
