"""The season dashboard `/heating/`: how warm the user's households are this season, by grid and building.

Scope is the user's grids (`Grid.objects.visible_to`: a grid worker's grids, a cadre's community, everything for
the street leader). Seasons are per community; the page shows one season per community, chosen by the year it
starts (`?season=2026`): by default the season running today, and out of season the latest one that has
started, with a note that heating is off. A user with several communities sees a row per community, each
leading to its grids (`?community=`); a grid's row leads to its buildings (`?grid=`). Figures (definitions in
`heating.figures`) cost the same number of queries whatever the number of grids, buildings or households:

- the seasons of the user's communities — one query (plus one for the user's grid ids, `scope_for`);
- per grid: households, inspected, below standard now, households per state, the standard rooms' readings —
  the grids' stored figures (`heating.grid_figures`, kept current by every inspection and ticket move): one
  query for the grids and one for their figures (five more to count live the grids that have none stored);
- per company: the season's tickets, open and overdue — one grouped query;
- households below standard now, priority groups first: the first `BELOW_LIST` of the scope, picked from the
  grids' stored first ones (one query for their details); with a grid chosen, all of that grid's, a page of
  `BELOW_LIST` at a time (`?page=`), counted from its stored figures: the first page from its stored first ones
  (one query), a later page live (one query);
- the buildings of one grid (`?grid=`, or the user's only grid): households per state and readings — kept in
  the grid's stored figures, one query (and one to check the grid is the user's when it comes from the request).

A cadre's community has a hundred grids or more: the grid table and the chart show the `SHOWN_GRIDS` grids with
the most households below standard now (`furthest_behind`), with the totals over every grid and a link to all of
them (`?grids=all`).
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import share
from core.parsing import parse_id
from grids.access import access_grid
from grids.models import Community, Grid
from households.models import NATURAL_ORDER, Household, PriorityGroup, head_name_of, in_priority_group
from visits.overview import scope_for

from . import figures, grid_figures
from .models import HeatingSeason, HeatingTicket

BELOW_LIST = grid_figures.KEPT  # a day's work; each grid keeps this many of its first ones
SHOWN_GRIDS = 20  # grid rows on landing: a cadre's community has a hundred or more
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


def _average(row):
    return row["reading_sum"] / row["readings"] if row.get("readings") else None


def _state_of(row):
    """A building's or grid's state for its tile: the worst state any of its households is in."""
    for state in ("ticket", "cold", "warm"):
        if row[state]:
            return state
    return "none"


def _combine(rows):
    """Each row's shares, average and state, and the totals (averages from sums, lowest the minimum)."""
    total = {key: 0 for key in ("households", "inspected", "below", *figures.STATES, "readings")}
    total["reading_sum"], total["lowest"] = 0, None
    for row in rows:
        row["below"] = row["ticket"] + row["cold"]
        row["average"] = _average(row)
        row["inspected_share"] = share(row["inspected"], row["households"])
        row["state"] = _state_of(row)
        for key in ("households", "inspected", "below", *figures.STATES, "readings", "reading_sum"):
            total[key] += row[key]
        if row["lowest"] is not None and (total["lowest"] is None or row["lowest"] < total["lowest"]):
            total["lowest"] = row["lowest"]
    total["average"] = _average(total)
    total["inspected_share"] = share(total["inspected"], total["households"])
    return rows, total


def grid_rows(grids, counted):
    """The grids in scope with their season figures (`counted`, by grid id), those without households left out;
    and the totals."""
    rows = [
        {
            **counted[grid["pk"]],
            "key": grid["pk"],
            "name": grid["name"],
            "community": grid["community__name"],
            "community_id": grid["community_id"],
        }
        for grid in grids
        if grid["pk"] in counted and counted[grid["pk"]]["households"]
    ]
    rows.sort(key=lambda r: (r["community"], r["name"]))
    return _combine(rows)


def with_links(rows, year):
    """The shown grid rows with their links: to the grid's buildings and to its full list below standard."""
    url = reverse("heating_dashboard")
    for row in rows:
        grid = f"{url}?grid={row['key']}&season={year}"
        row["url"], row["below_url"] = f"{grid}#buildings", f"{grid}#heating-below-title"
    return rows


def furthest_behind(rows, count=SHOWN_GRIDS):
    """The `count` rows with the most households below standard now (then the lowest inspected share), worst
    first; all of them, in their own order, when there are no more than `count`."""
    if len(rows) <= count:
        return rows

    def behind(row):
        return -row["below"], row["inspected_share"] or 0, row["community"], row["name"]

    return sorted(rows, key=behind)[:count]


def community_rows(rows, year, scope_query):
    """The grid rows added up per community: the table of a user with several communities, one row per community
    linking to its grids (`?community=`)."""
    url = reverse("heating_dashboard")
    merged = {}
    for row in rows:
        community = merged.get(row["community_id"])
        if community is None:
            community = merged[row["community_id"]] = {
                **dict.fromkeys(grid_figures.COUNTS, 0),
                "reading_sum": 0,
                "lowest": None,
                "key": row["community_id"],
                "name": row["community"],
                "community": row["community"],
                "url": f"{url}?{scope_query(community=row['community_id'], season=year)}",
                "below_url": f"{url}?{scope_query(community=row['community_id'], season=year)}",
            }
        for key in (*grid_figures.COUNTS, "reading_sum"):
            community[key] += row[key]
        if row["lowest"] is not None and (community["lowest"] is None or row["lowest"] < community["lowest"]):
            community["lowest"] = row["lowest"]
    communities, _total = _combine(list(merged.values()))
    return communities


def building_rows(buildings):
    """A grid's buildings with their figures (`grid_figures.buildings_of`), in number order."""
    rows = [
        {
            **building,
            "key": int(pk),
            "name": _("%(number)s号楼") % {"number": building["number"]},
            "url": reverse("building_detail", args=[pk]),
            "reading_sum": Decimal(building["reading_sum"]),
            "lowest": None if building["lowest"] is None else Decimal(building["lowest"]),
        }
        for pk, building in buildings.items()
    ]
    rows.sort(key=lambda r: (len(r["number"]), r["number"]))
    rows, _total = _combine(rows)
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


def with_below_details(households, season_ids):
    """Households annotated for the list: the first priority-group name, the head's name, the latest inspection's
    lowest reading and time this season, whether a ticket is open."""
    latest = figures.season_inspections(season_ids).order_by("-inspected_at", "-pk")
    first_group = PriorityGroup.objects.filter(residents__household=OuterRef("pk")).order_by("order", "name")
    return (
        figures.with_ticket_open(households, season_ids)
        .annotate(
            priority_group=Subquery(first_group.values("name")[:1]),
            head_name=head_name_of("pk"),
            latest_lowest=Subquery(latest.values("lowest_celsius")[:1]),
            latest_at=Subquery(latest.values("inspected_at")[:1]),
        )
        .select_related("building__grid")
    )


def below_first(rows, season_ids):
    """The scope's first `BELOW_LIST` households below standard now — priority groups first, then in walking
    order — from the grids' stored first ones (walking order starts with the grid); one query."""
    by_grid = sorted(rows, key=lambda row: row["key"])
    kept = [pk for row in by_grid for pk, priority in row["below_first"] if priority]
    kept += [pk for row in by_grid for pk, priority in row["below_first"] if not priority]
    kept = kept[:BELOW_LIST]
    if not kept:
        return []
    place = {pk: n for n, pk in enumerate(kept)}
    return sorted(with_below_details(Household.objects.filter(pk__in=kept), season_ids), key=lambda h: place[h.pk])


def grid_below(grid_id, season_ids, page, rows, counts):
    """One grid's households below standard now, a page of `BELOW_LIST` (priority groups first, then in walking
    order), and the pages; `rows` is the grid's row and `counts` how many there are, from its stored figures. The
    first page is the grid's stored first ones (`below_first`, one query for their details); a later page is
    counted live — one query."""
    pages = max(1, -(-counts["total"] // BELOW_LIST))
    number = min(max(page, 1), pages)
    if number == 1:
        return below_first(rows, season_ids), {"number": number, "count": pages}
    cold = figures.below_now(Household.objects.filter(building__grid=grid_id), season_ids)
    start = (number - 1) * BELOW_LIST
    households = list(
        with_below_details(cold.annotate(priority=in_priority_group()), season_ids).order_by(
            F("priority").desc(), *NATURAL_ORDER
        )[start : start + BELOW_LIST]
    )
    return households, {"number": number, "count": pages}


def chart_data(rows, by_community):
    """Households per state, one bar per community (several communities in scope), grid, or building (`rows` are
    a chosen grid's buildings)."""
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


def dashboard_context(user, *, season=None, grid=None, community=None, page=None, all_grids=False, now=None):
    now = now or timezone.now()
    today = timezone.localdate(now)
    scope = scope_for(user)
    communities = Community.objects.all()
    if scope.grid_ids is not None:
        communities = communities.filter(pk__in=Grid.objects.filter(pk__in=scope.grid_ids).values("community"))
    seasons = list(HeatingSeason.objects.filter(community__in=communities).select_related("community"))
    year, chosen, in_season, choices = choose_seasons(seasons, season, today)
    without_season = sorted({s.community.name for s in seasons} - {s.community.name for s in chosen})
    dashboard = reverse("heating_dashboard")
    community_view = None
    in_community = [s for s in chosen if str(s.community_id) == community]
    if in_community and len(chosen) > 1:
        # One of the user's communities (a community without a season that year, or not theirs: all of them).
        chosen = in_community
        community_view = {
            "pk": chosen[0].community_id,
            "name": chosen[0].community.name,
            "all_url": f"{dashboard}?season={year}",
        }
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

    grids, narrowed = grid_figures.grids_in_scope(scope, chosen)
    several_communities = len({g["community_id"] for g in grids}) > 1
    selected = None
    if grid:
        # A grid chosen from the table: the whole page narrows to it (figures, tickets, buildings, full list).
        chosen_grid = access_grid(user, grid)
        selected = {
            "pk": chosen_grid.pk,
            "name": chosen_grid.name,
            "community": chosen_grid.community.name,
            "community_id": chosen_grid.community_id,
        }
        grids = [g for g in grids if g["pk"] == chosen_grid.pk]
        narrowed = Household.objects.filter(building__grid=chosen_grid.pk)
    tickets = HeatingTicket.objects.filter(season__in=season_ids)
    if narrowed is not None:
        tickets = tickets.filter(household__in=narrowed)
    counted = grid_figures.stored(chosen, grids)
    rows, total = grid_rows(grids, counted)
    companies = company_rows(tickets, now)
    if selected is None and scope.grid_ids is not None and len(rows) == 1:
        selected = {k: rows[0][k] for k in ("name", "community", "community_id")} | {"pk": rows[0]["key"]}
    below_pages = None
    if selected:
        buildings = building_rows(grid_figures.buildings_of(season_ids, selected["pk"]))
        below_counts = {"total": total["below"], "priority": sum(row["below_priority"] for row in rows)}
        below, below_pages = grid_below(selected["pk"], season_ids, parse_id(page) or 1, rows, below_counts)
        for key, number in (("previous_url", below_pages["number"] - 1), ("next_url", below_pages["number"] + 1)):
            if 1 <= number <= below_pages["count"]:
                query = scope_query(grid=selected["pk"], season=year, page=number)
                below_pages[key] = f"{dashboard}?{query}#heating-below-title"
    else:
        buildings = []
        below = below_first(rows, season_ids)
        below_counts = {"total": total["below"], "priority": sum(row["below_priority"] for row in rows)}

    by_community = len({row["community"] for row in rows}) > 1
    all_grids_url = None
    if grid:
        back = {"community": selected["community_id"]} if several_communities or community_view else {}
        all_grids_url = f"{dashboard}?{scope_query(**back, season=year)}"
    shown = [] if by_community else with_links(rows if selected or all_grids else furthest_behind(rows), year)
    in_view = {"community": community_view["pk"]} if community_view else {}
    grid_links = None
    if not by_community and not selected and len(rows) > SHOWN_GRIDS:
        grid_links = {
            "count": len(rows),
            "shown": SHOWN_GRIDS,
            "all": all_grids,
            "url": f"{dashboard}?{scope_query(**in_view, season=year, grids=None if all_grids else 'all')}"
            "#heating-grids-title",
        }
    context.update(
        {
            "today": today,
            "rows": community_rows(rows, year, scope_query) if by_community else shown,
            "grid_links": grid_links,
            "community_view": community_view,
            "total": total,
            "companies": companies,
            "may_export": user.has_perm("heating.export_heatingticket"),
            "tickets": {
                "open": sum(c["open"] for c in companies),
                "overdue": sum(c["overdue"] for c in companies),
            },
            "below": below,
            "below_counts": below_counts,
            "below_pages": below_pages,
            "below_limit": BELOW_LIST,
            "selected": selected,
            "buildings": buildings,
            "by_community": by_community,
            "chart": chart_data(buildings if selected else rows if by_community else shown, by_community),
            "standards": sorted({s.standard_celsius for s in chosen}),
            "without_season": without_season,
            "all_grids_url": all_grids_url,
        }
    )
    return context


@login_required
@permission_required("heating.view_heatinginspection", raise_exception=True)
def heating_dashboard(request):
    """The season dashboard for the user's grids: figures by grid, building tiles, households below standard."""
    context = dashboard_context(
        request.user,
        season=request.GET.get("season"),
        grid=request.GET.get("grid"),
        community=request.GET.get("community"),
        page=request.GET.get("page"),
        all_grids=request.GET.get("grids") == "all",
    )
    return render(request, "heating/dashboard.html", context)
