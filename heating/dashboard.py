"""The season dashboard `/heating/`: how warm the user's households are this season, by grid and building.

Scope is the user's grids (`Grid.objects.visible_to`: a grid worker's grids, a cadre's community, everything for
the street leader). Seasons are per community; the page shows one season per community, chosen by the year it
starts (`?season=2026`): by default the season running today, and out of season the latest one that has
started, with a note that heating is off. Figures (definitions in `heating.figures`) are SQL aggregates, and
the page costs the same number of queries whatever the number of grids, buildings or households:

- the seasons of the user's communities — one query (plus one for the user's grid ids, `scope_for`);
- per grid: households, inspected, below standard now, households per state — three grouped queries (over
  the households, the season's inspections and its open tickets: no subquery per household);
- per grid: the standard rooms' readings (count, average, lowest) — one grouped query;
- per company: the season's tickets, open and overdue — one grouped query;
- households below standard now, priority groups first (the first `BELOW_LIST` of them), and how many of
  them have a resident in a priority group — two queries;
- the buildings of one grid (`?grid=`, or the user's only grid): households per state and readings — four
  grouped queries (and one to check the grid is the user's when it comes from the request).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.access import access_grid
from grids.models import Community, Grid
from households.models import NATURAL_ORDER, Household, PriorityGroup, head_name_of
from visits.overview import scope_for

from . import figures
from .models import HeatingSeason, HeatingTicket

BELOW_LIST = 50
CHART_SCRIPTS = ("vendor/chartjs-4.6.1/chart.umd.min.js", "js/heating_dashboard.js")
STATE_LABELS = {
    "ticket": gettext_lazy("已报修未结"),
    "cold": gettext_lazy("低于标准"),
    "warm": gettext_lazy("达标"),
    "none": gettext_lazy("未测温"),
}
STATE_ICONS = {
    "ticket": "wrench-adjustable",
    "cold": "thermometer-snow",
    "warm": "thermometer-sun",
    "none": "dash-circle",
}


@dataclass(frozen=True)
class SeasonChoice:
    year: int
    label: str
    running: bool


def season_label(year):
    return _("%(start)s—%(end)s 供暖季") % {"start": year, "end": year + 1}


def choose_seasons(seasons, requested, today):
    """(the chosen year or None, the seasons of that year, whether any is running today, the choices)."""
    running_years = {s.starts_on.year for s in seasons if s.contains(today)}
    started_years = {s.starts_on.year for s in seasons if s.starts_on <= today}
    years = sorted({s.starts_on.year for s in seasons}, reverse=True)
    default = max(running_years) if running_years else max(started_years, default=None)
    try:
        year = int(requested) if requested and int(requested) in years else default
    except ValueError:
        year = default
    choices = [SeasonChoice(y, season_label(y), y in running_years) for y in years]
    chosen = [s for s in seasons if s.starts_on.year == year]
    return year, chosen, bool(running_years), choices


def _share(numerator, denominator):
    return numerator / denominator if denominator else None


def _average(row):
    return row["reading_sum"] / row["readings"] if row.get("readings") else None


def _state_of(row):
    """A building's or grid's state for its tile: the worst state any of its households is in."""
    for state in ("ticket", "cold", "warm"):
        if row[state]:
            return state
    return "none"


def _combine(rows, readings):
    """Household counts joined with reading figures; totals summed (averages from sums, lowest the minimum)."""
    total = {key: 0 for key in ("households", "inspected", "below", *figures.STATES, "readings")}
    total["reading_sum"], total["lowest"] = 0, None
    for row in rows:
        reading = readings.get(row["key"], {})
        row["readings"] = reading.get("readings", 0)
        row["reading_sum"] = reading.get("reading_sum") or 0
        row["lowest"] = reading.get("lowest")
        row["average"] = _average(row)
        row["inspected_share"] = _share(row["inspected"], row["households"])
        row["state"] = _state_of(row)
        for key in ("households", "inspected", "below", *figures.STATES, "readings", "reading_sum"):
            total[key] += row[key]
        if row["lowest"] is not None and (total["lowest"] is None or row["lowest"] < total["lowest"]):
            total["lowest"] = row["lowest"]
    total["average"] = _average(total)
    total["inspected_share"] = _share(total["inspected"], total["households"])
    return rows, total


def grid_rows(households, season_ids, readings, year, scope_query):
    grid = "building__grid"
    counts = figures.household_counts(households, season_ids, grid, f"{grid}__name", f"{grid}__community__name")
    by_grid = {
        row["inspection__household__building__grid"]: row
        for row in figures.reading_figures(readings, "inspection__household__building__grid")
    }
    rows = [
        {
            **row,
            "key": row[grid],
            "name": row[f"{grid}__name"],
            "community": row[f"{grid}__community__name"],
            "url": f"{reverse('heating_dashboard')}?{scope_query(grid=row[grid], season=year)}#buildings",
        }
        for row in counts
    ]
    rows.sort(key=lambda r: (r["community"], r["name"]))
    return _combine(rows, by_grid)


def building_rows(grid_id, season_ids):
    households = Household.objects.filter(building__grid=grid_id)
    counts = figures.household_counts(households, season_ids, "building", "building__number")
    readings = figures.reading_figures(
        figures.season_readings(season_ids).filter(inspection__household__building__grid=grid_id),
        "inspection__household__building",
    )
    by_building = {row["inspection__household__building"]: row for row in readings}
    rows = [
        {
            **row,
            "key": row["building"],
            "name": _("%(number)s号楼") % {"number": row["building__number"]},
            "url": reverse("building_detail", args=[row["building"]]),
        }
        for row in counts
    ]
    rows.sort(key=lambda r: (len(r["building__number"]), r["building__number"]))
    rows, _total = _combine(rows, by_building)
    return rows


def company_rows(tickets, now):
    rows = list(
        tickets.order_by()
        .values("company", "company__name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(state__in=HeatingTicket.OPEN_STATES)),
            overdue=Count("pk", filter=HeatingTicket.objects.overdue_q(now)),
        )
        .order_by("company__name")
    )
    tickets_url = reverse("ticket_list")
    for row in rows:
        row["open_url"] = f"{tickets_url}?state=open&company={row['company']}"
        row["overdue_url"] = f"{tickets_url}?overdue=yes&company={row['company']}"
        row["export_url"] = f"{reverse('ticket_export')}?company={row['company']}"
    return rows


def below_list(households, season_ids):
    """Households below standard now, those with a resident in a priority group first, then in walking order.

    The priority test is the household's first priority-group name (a subquery per cold household): an
    EXISTS here made PostgreSQL hash every tagged resident of the street before sorting."""
    latest = figures.season_inspections(season_ids).order_by("-inspected_at", "-pk")
    first_group = PriorityGroup.objects.filter(residents__household=OuterRef("pk")).order_by("order", "name")
    cold = figures.below_now(households, season_ids).annotate(priority_group=Subquery(first_group.values("name")[:1]))
    no_priority = ExpressionWrapper(Q(priority_group__isnull=True), output_field=BooleanField())
    rows = list(
        figures.with_ticket_open(cold, season_ids)
        .annotate(
            no_priority=no_priority,
            head_name=head_name_of("pk"),
            latest_lowest=Subquery(latest.values("lowest_celsius")[:1]),
            latest_at=Subquery(latest.values("inspected_at")[:1]),
        )
        .select_related("building__grid")
        .order_by("no_priority", *NATURAL_ORDER)[:BELOW_LIST]
    )
    counts = cold.aggregate(total=Count("pk"), priority=Count("pk", filter=Q(priority_group__isnull=False)))
    return rows, counts


def chart_data(rows, by_community):
    """Households per state, one bar per community (several communities in scope) or grid."""
    if by_community:
        merged = defaultdict(lambda: dict.fromkeys(figures.STATES, 0))
        for row in rows:
            for state in figures.STATES:
                merged[row["community"]][state] += row[state]
        labels, values = list(merged), list(merged.values())
    else:
        labels, values = [row["name"] for row in rows], rows
    return {
        "labels": labels,
        "datasets": [
            {"key": state, "label": str(STATE_LABELS[state]), "data": [v[state] for v in values]}
            for state in figures.STATES
        ],
    }


def dashboard_context(user, *, season=None, grid=None, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = scope_for(user)
    communities = Community.objects.all()
    if scope.grid_ids is not None:
        communities = communities.filter(pk__in=Grid.objects.filter(pk__in=scope.grid_ids).values("community"))
    seasons = list(HeatingSeason.objects.filter(community__in=communities).select_related("community"))
    year, chosen, in_season, choices = choose_seasons(seasons, season, today)
    season_ids = [s.pk for s in chosen]
    context = {
        "year": year,
        "season_label": season_label(year) if year else "",
        "seasons": chosen,
        "in_season": in_season,
        "choices": choices,
        "state_labels": [(state, STATE_LABELS[state], STATE_ICONS[state]) for state in figures.STATES],
        "scripts": CHART_SCRIPTS,
    }
    if year is None:
        return context

    def scope_query(**params):
        return "&".join(f"{key}={value}" for key, value in params.items() if value not in (None, ""))

    households = scope.narrow(
        Household.objects.filter(building__grid__community__in=[s.community_id for s in chosen]), "building__grid"
    )
    readings = scope.narrow(figures.season_readings(season_ids), "inspection__household__building__grid")
    rows, total = grid_rows(households, season_ids, readings, year, scope_query)
    tickets = scope.narrow(HeatingTicket.objects.filter(season__in=season_ids), "household__building__grid")
    companies = company_rows(tickets, now)
    below, below_counts = below_list(households, season_ids)

    selected = None
    if grid:
        chosen_grid = access_grid(user, grid)
        selected = {"pk": chosen_grid.pk, "name": chosen_grid.name, "community": chosen_grid.community.name}
    elif scope.grid_ids is not None and len(rows) == 1:
        selected = {"pk": rows[0]["key"], "name": rows[0]["name"], "community": rows[0]["community"]}
    buildings = building_rows(selected["pk"], season_ids) if selected else []

    by_community = len({row["community"] for row in rows}) > 1
    context.update(
        {
            "today": today,
            "rows": rows,
            "total": total,
            "companies": companies,
            "may_export": user.has_perm("heating.export_heatingticket"),
            "tickets": {
                "open": sum(c["open"] for c in companies),
                "overdue": sum(c["overdue"] for c in companies),
            },
            "below": below,
            "below_counts": below_counts,
            "below_limit": BELOW_LIST,
            "selected": selected,
            "buildings": buildings,
            "by_community": by_community,
            "chart": chart_data(rows, by_community),
            "standards": sorted({s.standard_celsius for s in chosen}),
            "without_season": sorted({s.community.name for s in seasons} - {s.community.name for s in chosen}),
            "all_grids_url": f"{reverse('heating_dashboard')}?season={year}",
        }
    )
    return context


@login_required
@permission_required("heating.view_heatinginspection", raise_exception=True)
def heating_dashboard(request):
    """The season dashboard for the user's grids: figures by grid, building tiles, households below standard."""
    context = dashboard_context(request.user, season=request.GET.get("season"), grid=request.GET.get("grid"))
    return render(request, "heating/dashboard.html", context)
