"""The visits app's sections of the monthly report (`core.reports`): visit coverage, resident requests and party
engagement, each per child node or category, with the rows behind every figure; and requests by origin village.

A figure and its rows come from one queryset, so a drill-down list has exactly as many rows as its figure:

- **visit coverage** per child node (communities of a street, grids of a community, buildings of a grid):
  households registered by the month's end; of them visited within their policy interval at the month's end
  (`visits.month_end`: from the visits recorded by then, under the policies in force now); visits made in the
  month, and those that found nobody at home;
- **requests** per category: registered in the month; closed in the month, and of them closed by their deadline;
  the residents' satisfaction with those closed (满意 or 基本满意 out of those who answered);
- **party engagement** per child node: lead households, and those whose linked households were all seen (a
  counting visit) in the month; linked households registered by the month's end, and those seen; buildings,
  and those with a party group and its leader.

Each build costs a fixed number of grouped queries whatever the number of child nodes or households, and
returns None for a month before any household (or request) was registered: the report then shows no comparison.
"""

from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import share
from core.reports import Column, Link, Row, RowList, Table, VillageFigure
from grids.models import Building
from grids.nodes import CHILDREN, HOUSEHOLD_PATHS, child_path, children_of, households_path, node_key
from households.models import Household, LeadHousehold

from .models import ResidentRequest, Visit
from .month_end import MonthEnd, coverage_counts, coverage_day, month_bounds
from .policy import COUNTING_OUTCOMES


def households_under(node, user):
    return Household.objects.visible_to(user).filter(**{households_path(node): node})


def _total(rows, keys, shares):
    total = {key: sum(row.values[key] for row in rows) for key in keys}
    for name, (numerator, denominator) in shares.items():
        total[name] = share(total[numerator], total[denominator])
    return total


def _grouped(queryset, path, **aggregates):
    return {row.pop(path): row for row in queryset.order_by().values(path).annotate(**aggregates)}


# Visit coverage ---------------------------------------------------------------------------------------------

COVERAGE_SHARES = {"visited_share": ("visited", "households"), "not_home_share": ("not_home", "visits")}


def coverage_section(node, month, user):
    """Visit coverage of the month per child node of `node`: households and those visited within policy
    (`visits.month_end.coverage_counts`: one grouped query, two small ones), visits of the month (one grouped
    query), the child nodes (one)."""
    day = coverage_day(month)
    start, end = month_bounds(month)
    households = households_under(node, user)
    path = child_path(node)
    counts = {
        child: {"visited": visited, "households": registered}
        for child, [(visited, registered)] in coverage_counts(households, path, [day]).items()
    }
    visits = _grouped(
        Visit.objects.filter(household__in=households, visited_at__gte=start, visited_at__lt=end),
        f"household__{path}",
        visits=Count("pk"),
        not_home=Count("pk", filter=Q(outcome=Visit.Outcome.NOT_HOME)),
    )
    if not any(row["households"] for row in counts.values()):
        return None

    def values(row, child_id=None):
        figures = {"households": row.get("households", 0), "visited": row.get("visited", 0)}
        figures["unvisited"] = figures["households"] - figures["visited"]
        figures.update(visits.get(child_id, {"visits": 0, "not_home": 0}))
        for name, (numerator, denominator) in COVERAGE_SHARES.items():
            figures[name] = share(figures[numerator], figures[denominator])
        return figures

    rows = []
    for child in children_of(node):
        key = node_key(child)
        rows.append(
            Row(
                key=key,
                label=str(child),
                values=values(counts.get(child.pk, {}), child.pk),
                links=_coverage_links(key),
                node=key,
            )
        )
    total = _total(rows, ("households", "visited", "unvisited", "visits", "not_home"), COVERAGE_SHARES)
    return {"month": month, "day": day, "rows": rows, "total": total, "child": _child_label(node)}


def _coverage_links(key):
    return {
        "households": Link("households", key),
        "visited": Link("visited", key),
        "unvisited": Link("unvisited", key),
        "visited_share": Link("visited", key),
        "visits": Link("visits", key),
        "not_home": Link("not_home", key),
        "not_home_share": Link("not_home", key),
    }


def _child_label(node):
    child = CHILDREN.get(type(node))
    return str(child._meta.verbose_name) if child else ""


COVERAGE_COLUMNS = (
    Column("households", gettext_lazy("居民户")),
    Column("visited", gettext_lazy("按期走访户")),
    Column("unvisited", gettext_lazy("未按期走访户")),
    Column("visited_share", gettext_lazy("按期走访率"), "share", chart=True),
    Column("visits", gettext_lazy("本月走访次数")),
    Column("not_home", gettext_lazy("不在家次数")),
    Column("not_home_share", gettext_lazy("不在家率"), "share"),
)


def coverage_tables(data):
    total = Row(key="total", label=_("合计"), values=data["total"], links=_coverage_links(""), total=True)
    title = _("按期走访（截至 %(day)s）") % {"day": f"{data['day']:%Y-%m-%d}"}
    return [Table("coverage", title, data["child"], COVERAGE_COLUMNS, (*data["rows"], total))]


def _household_rows(households, title, month_end):
    rows = (
        households.listing()
        .annotate(last_counting_visit=month_end.last_visit())
        .select_related("building__grid", "origin_village")
    )
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("房号"), lambda h: h.room_code),
            (_("网格"), lambda h: h.building.grid.name),
            (_("户主"), lambda h: h.head_name or ""),
            (_("原村"), lambda h: h.origin_village.name if h.origin_village_id else ""),
            (_("月末前最近一次入户"), lambda h: h.last_counting_visit),
        ),
        url=lambda h: reverse("household_detail", args=[h.pk]),
    )


def _visit_rows(visits, title):
    rows = visits.select_related("household__building__grid", "logged_by").order_by("visited_at", "pk")
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("走访时间"), lambda v: v.visited_at),
            (_("网格"), lambda v: v.household.building.grid.name),
            (_("房号"), lambda v: v.household.room_code),
            (_("走访结果"), lambda v: v.get_outcome_display()),
            (_("记录人"), lambda v: str(v.logged_by)),
        ),
        url=lambda v: reverse("visit_detail", args=[v.pk]),
    )


def coverage_rows(figure, node, month, user, params):
    """The households or visits behind a visit-coverage figure of `node` (a building too)."""
    month_end = MonthEnd.on(coverage_day(month))
    households = households_under(node, user)
    day = f"{month_end.day:%Y-%m-%d}"
    if figure == "households":
        return _household_rows(
            households.filter(month_end.registered()), _("%(day)s前登记的居民户") % {"day": day}, month_end
        )
    if figure == "visited":
        return _household_rows(
            month_end.visited(households), _("截至 %(day)s 按期走访的居民户") % {"day": day}, month_end
        )
    if figure == "unvisited":
        return _household_rows(
            month_end.unvisited(households), _("截至 %(day)s 未按期走访的居民户") % {"day": day}, month_end
        )
    start, end = month_bounds(month)
    visits = Visit.objects.filter(household__in=households, visited_at__gte=start, visited_at__lt=end)
    if figure == "visits":
        return _visit_rows(visits, _("本月走访记录"))
    if figure == "not_home":
        return _visit_rows(visits.filter(outcome=Visit.Outcome.NOT_HOME), _("本月走访“不在家”的记录"))
    return None


# Requests -------------------------------------------------------------------------------------------------

REQUEST_SHARES = {"on_time_share": ("on_time", "closed"), "satisfied_share": ("satisfied", "answered")}
SATISFIED = (ResidentRequest.Satisfaction.SATISFIED, ResidentRequest.Satisfaction.BASIC)


def _request_conditions(month):
    start, end = month_bounds(month)
    received = Q(created_at__gte=start, created_at__lt=end)
    closed = Q(state=ResidentRequest.State.CLOSED, closed_at__gte=start, closed_at__lt=end)
    return {
        "received": received,
        "closed": closed,
        "on_time": closed & Q(closed_at__lte=F("due_at")),
        "answered": closed & ~Q(satisfaction=""),
        "satisfied": closed & Q(satisfaction__in=SATISFIED),
        "unsatisfied": closed & Q(satisfaction=ResidentRequest.Satisfaction.UNSATISFIED),
    }, end


def requests_under(node, user):
    return ResidentRequest.objects.visible_to(user).filter(**{households_path(node, "household__"): node})


def requests_section(node, month, user):
    """Requests of the month by category: one grouped query."""
    conditions, end = _request_conditions(month)
    counts = _grouped(
        requests_under(node, user).filter(created_at__lt=end),
        "category",
        registered=Count("pk"),
        **{key: Count("pk", filter=condition) for key, condition in conditions.items()},
    )
    if not any(row["registered"] for row in counts.values()):
        return None
    keys = tuple(conditions)
    rows = []
    for value, label in ResidentRequest.Category.choices:
        figures = {key: counts.get(value, {}).get(key, 0) for key in keys}
        for name, (numerator, denominator) in REQUEST_SHARES.items():
            figures[name] = share(figures[numerator], figures[denominator])
        rows.append(Row(key=value, label=str(label), values=figures, links=_request_links(value)))
    return {"month": month, "rows": rows, "total": _total(rows, keys, REQUEST_SHARES)}


def _request_links(category):
    params = (("category", category),) if category else ()
    figures = {"received": "received", "closed": "closed", "on_time": "on_time", "on_time_share": "on_time"}
    figures.update({"satisfied_share": "satisfied", "unsatisfied": "unsatisfied"})
    return {column: Link(figure, params=params) for column, figure in figures.items()}


REQUEST_COLUMNS = (
    Column("received", gettext_lazy("本月登记"), chart=True),
    Column("closed", gettext_lazy("本月办结")),
    Column("on_time", gettext_lazy("按时办结")),
    Column("on_time_share", gettext_lazy("按时办结率"), "share"),
    Column("satisfied_share", gettext_lazy("满意率"), "share"),
    Column("unsatisfied", gettext_lazy("不满意")),
)


def requests_tables(data):
    total = Row(key="total", label=_("合计"), values=data["total"], links=_request_links(""), total=True)
    return [Table("requests", _("民情诉求（按类别）"), _("类别"), REQUEST_COLUMNS, (*data["rows"], total))]


REQUEST_TITLES = {
    "received": gettext_lazy("本月登记的诉求"),
    "closed": gettext_lazy("本月办结的诉求"),
    "on_time": gettext_lazy("本月按时办结的诉求"),
    "satisfied": gettext_lazy("本月办结且居民满意或基本满意的诉求"),
    "unsatisfied": gettext_lazy("本月办结且居民不满意的诉求"),
}


def _request_rows(requests, title):
    rows = requests.select_related("household__building__grid").order_by("created_at", "pk")
    return RowList(
        title=title,
        rows=rows,
        columns=(
            (_("登记时间"), lambda r: r.created_at),
            (_("网格"), lambda r: r.household.building.grid.name),
            (_("房号"), lambda r: r.household.room_code),
            (_("类别"), lambda r: r.get_category_display()),
            (_("状态"), lambda r: r.get_state_display()),
            (_("办理时限"), lambda r: r.due_at),
            (_("办结时间"), lambda r: r.closed_at),
            (_("居民满意度"), lambda r: r.get_satisfaction_display()),
        ),
        url=lambda r: reverse("request_detail", args=[r.pk]),
    )


def request_rows(figure, node, month, user, params):
    """The requests behind a figure, of one category when `params` names one."""
    conditions, _end = _request_conditions(month)
    if figure not in REQUEST_TITLES:
        return None
    requests = requests_under(node, user).filter(conditions[figure])
    title = str(REQUEST_TITLES[figure])
    category = params.get("category")
    if category in ResidentRequest.Category.values:
        requests = requests.filter(category=category)
        title += f"（{ResidentRequest.Category(category).label}）"
    return _request_rows(requests, title)


# Party engagement -----------------------------------------------------------------------------------------

PARTY_SHARES = {
    "engaged_share": ("engaged", "leads"),
    "seen_share": ("seen", "linked"),
    "grouped_share": ("grouped", "buildings"),
}


def _seen_in(month, household="pk"):
    start, end = month_bounds(month)
    return Exists(
        Visit.objects.filter(
            household=OuterRef(household), outcome__in=COUNTING_OUTCOMES, visited_at__gte=start, visited_at__lt=end
        )
    )


def _has_party_group():
    return ~Q(party_group_name="") & ~Q(party_group_leader="")


def _leads_under(node, user, month):
    """Lead households under `node` set up by the month's end."""
    return (
        LeadHousehold.objects.visible_to(user)
        .filter(**{households_path(node, "household__"): node})
        .filter(since_on__lte=coverage_day(month))
    )


def _engaged(leads, month):
    """Of `leads`, those with linked households, every one seen in the month (EXISTS / NOT EXISTS: joins)."""
    linked = Household.objects.filter(lead_household=OuterRef("pk"))
    return leads.filter(Exists(linked)).exclude(Exists(linked.exclude(_seen_in(month))))


def _linked_under(node, user, month):
    """Households under `node` linked to a lead household and registered by the month's end."""
    _start, end = month_bounds(month)
    return households_under(node, user).filter(lead_household__isnull=False, created_at__lt=end)


def _buildings_under(node, user):
    buildings = Building.objects.visible_to(user)
    if isinstance(node, Building):
        return buildings.filter(pk=node.pk)
    return buildings.filter(**{HOUSEHOLD_PATHS[type(node)].removeprefix("building__"): node})


def party_section(node, month, user):
    """Party engagement per child node: five grouped queries, the conditions in WHERE (joins, not a subquery
    per row); and one to see whether any household was registered by the month's end (before that there is
    nothing to report)."""
    path = child_path(node)
    leads = _leads_under(node, user, month)
    linked = _linked_under(node, user, month)
    counted = {
        "leads": _grouped(leads, f"household__{path}", n=Count("pk")),
        "engaged": _grouped(_engaged(leads, month), f"household__{path}", n=Count("pk")),
        "linked": _grouped(linked, path, n=Count("pk")),
        "seen": _grouped(linked.filter(_seen_in(month)), path, n=Count("pk")),
    }
    building_path = "pk" if path == "building" else path.removeprefix("building__")
    buildings = _grouped(
        _buildings_under(node, user),
        building_path,
        buildings=Count("pk"),
        grouped=Count("pk", filter=_has_party_group()),
    )
    if not households_under(node, user).filter(created_at__lt=month_bounds(month)[1]).exists():
        return None
    keys = ("leads", "engaged", "linked", "seen", "buildings", "grouped")
    rows = []
    for child in children_of(node):
        figures = {key: rows_of.get(child.pk, {}).get("n", 0) for key, rows_of in counted.items()}
        figures.update({"buildings": 0, "grouped": 0} | buildings.get(child.pk, {}))
        for name, (numerator, denominator) in PARTY_SHARES.items():
            figures[name] = share(figures[numerator], figures[denominator])
        key = node_key(child)
        rows.append(Row(key=key, label=str(child), values=figures, links=_party_links(key), node=key))
    total = _total(rows, keys, PARTY_SHARES)
    return {"month": month, "rows": rows, "total": total, "child": _child_label(node)}


def _party_links(key):
    links = {figure: Link(figure, key) for figure in ("leads", "engaged", "linked", "seen", "buildings", "grouped")}
    links.update({share: Link(numerator, key) for share, (numerator, _d) in PARTY_SHARES.items()})
    return links


PARTY_COLUMNS = (
    Column("leads", gettext_lazy("党员中心户")),
    Column("engaged", gettext_lazy("联系户本月全部走访")),
    Column("engaged_share", gettext_lazy("中心户联系到位率"), "share"),
    Column("linked", gettext_lazy("联系户")),
    Column("seen", gettext_lazy("本月走访的联系户")),
    Column("seen_share", gettext_lazy("联系户本月走访率"), "share", chart=True),
    Column("buildings", gettext_lazy("楼宇")),
    Column("grouped", gettext_lazy("有党小组的楼宇")),
    Column("grouped_share", gettext_lazy("楼宇党小组覆盖率"), "share"),
)


def party_tables(data):
    total = Row(key="total", label=_("合计"), values=data["total"], links=_party_links(""), total=True)
    return [Table("party", _("党建引领：中心户与楼宇党小组"), data["child"], PARTY_COLUMNS, (*data["rows"], total))]


def party_rows(figure, node, month, user, params):
    """The lead households, linked households or buildings behind a party-engagement figure."""
    if figure in ("leads", "engaged"):
        leads = _leads_under(node, user, month)
        if figure == "engaged":
            leads = _engaged(leads, month)
        rows = leads.select_related("household__building__grid", "party_member__resident").annotate(
            linked_count=Count("linked_households")
        )
        return RowList(
            title=_("党员中心户") if figure == "leads" else _("联系户本月全部走访的党员中心户"),
            rows=rows.order_by(
                "household__building__grid__name",
                Length("household__building__number"),
                "household__building__number",
                "household__unit",
                "household__room",
            ),
            columns=(
                (_("中心户"), lambda lead: lead.household.room_code),
                (_("网格"), lambda lead: lead.household.building.grid.name),
                (_("党员"), lambda lead: lead.party_member.resident.name),
                (_("联系户数"), lambda lead: lead.linked_count),
            ),
            url=lambda lead: reverse("household_detail", args=[lead.household_id]),
        )
    if figure in ("linked", "seen"):
        month_end = MonthEnd.on(coverage_day(month))
        households = _linked_under(node, user, month)
        if figure == "seen":
            households = households.filter(_seen_in(month))
        title = _("联系户") if figure == "linked" else _("本月走访的联系户")
        return _household_rows(households, title, month_end)
    if figure in ("buildings", "grouped"):
        buildings = _buildings_under(node, user).select_related("grid")
        if figure == "grouped":
            buildings = buildings.filter(_has_party_group())
        return RowList(
            title=_("楼宇") if figure == "buildings" else _("有党小组的楼宇"),
            rows=buildings.order_by("grid__name", Length("number"), "number"),
            columns=(
                (_("楼宇"), str),
                (_("网格"), lambda b: b.grid.name),
                (_("楼宇党小组"), lambda b: b.party_group_name),
                (_("党小组长"), lambda b: b.party_group_leader),
            ),
            url=lambda b: reverse("building_detail", args=[b.pk]),
        )
    return None


# Origin villages ------------------------------------------------------------------------------------------


def _village_requests(grids, start, end):
    return ResidentRequest.objects.filter(
        household__building__grid__in=grids, created_at__gte=start, created_at__lt=end
    )


def requests_by_village(user, grids, start, end):
    """Requests registered in the month, by the origin village of the household (one grouped query)."""
    rows = (
        _village_requests(grids, start, end)
        .order_by()
        .values("household__origin_village__name")
        .annotate(n=Count("pk"))
    )
    return {row["household__origin_village__name"] or "": row["n"] for row in rows}


def request_rows_of_village(user, grids, start, end, village):
    requests = _village_requests(grids, start, end)
    if village is None:
        return _request_rows(requests, _("本月登记的诉求"))
    if village:
        requests = requests.filter(household__origin_village__name=village)
    else:
        requests = requests.filter(household__origin_village__isnull=True)
    return _request_rows(requests, _("本月登记的诉求（原村：%(village)s）") % {"village": village or _("未登记")})


VILLAGE_REQUESTS = VillageFigure(
    key="requests", label=gettext_lazy("民情诉求"), counts=requests_by_village, rows=request_rows_of_village, order=10
)


def register():
    """The visits app's sections, origin-village figure and month-end coverage (from `VisitsConfig.ready`)."""
    from core import reports
    from core.reports import ReportSection
    from grids import monthly
    from grids.monthly import MonthEndMeasure

    from .coverage import VISITED
    from .month_end import visited_counts_at

    reports.register(
        ReportSection(
            key="visit_coverage",
            title=gettext_lazy("走访覆盖"),
            build=coverage_section,
            tables=coverage_tables,
            rows=coverage_rows,
            order=10,
        )
    )
    reports.register(
        ReportSection(
            key="requests",
            title=gettext_lazy("民情诉求"),
            build=requests_section,
            tables=requests_tables,
            rows=request_rows,
            order=20,
        )
    )
    reports.register(
        ReportSection(
            key="party",
            title=gettext_lazy("党建引领"),
            build=party_section,
            tables=party_tables,
            rows=party_rows,
            order=50,
        )
    )
    reports.register_village_figure(VILLAGE_REQUESTS)
    monthly.register(MonthEndMeasure(VISITED, visited_counts_at, drill=("visit_coverage", "unvisited")))
