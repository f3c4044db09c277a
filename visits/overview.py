"""The supervisor's landing page ("is the grid working?"): a workbench section for cadres, street leaders and
admins, in place of the grid worker's own "我的走访" card.

Rows are communities when the user's grids span more than one community (a street leader), else grids (a
cadre). Every figure is counted in SQL over the user's grids, and every figure links to the rows behind it.
The section costs the same number of queries whatever the number of communities, grids or households:

- per row: the coverage figures of `grids.coverage.annotate_coverage` (households, households visited within
  their policy interval, and the other registered measures) — one query;
- the visit trend: for each of the last `TREND_MONTHS` calendar months (the current one so far), the share of
  households with a counting visit (`visits.policy.COUNTING_OUTCOMES`: met or refused) in that month:
  households of the row with such a visit in the month ÷ households of the row today — one grouped query;
- overdue tasks (`VisitTask.objects.overdue`) and overdue requests (`ResidentRequest.objects.overdue`) per
  grid, worst grids first — two grouped queries;
- the backlog: open tasks that are overdue or have no assignee — one query;
- requests by category: not yet closed, and registered since the first of this month — one query;
- unstaffed grids: grids with no grid worker (`grids.staffing.grid_worker_assignments`) — one query;
- the user's own open tasks, if any — one query.

The table and the trend show at most `SHOWN_ROWS` rows, those furthest behind on visits (`most_behind`), with
the totals over every row; the unstaffed grids the first `SHOWN_UNSTAFFED` of them, with their number.

The coverage rows and the visit trend count every household in scope, so they come from the nightly snapshot
(`grids.snapshots`: the coverage counts, and each grid's households visited in each of the last `TREND_MONTHS`
months, registered here as `visited_month_counts`) when it covers the user's grids — one query to check it, one
for the trend — and are counted live otherwise. The rest is counted live: overdue work changes by the hour.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.workbench import WorkbenchSection
from core.figures import kept
from core.numbers import percent_value, share
from grids.coverage import annotate_coverage, measures_for, shortfalls
from grids.models import Community, Grid
from grids.snapshots import snapshot_counts, snapshot_taken_at
from grids.staffing import grid_worker_assignments

from .models import ResidentRequest, Visit, VisitTask
from .policy import COUNTING_OUTCOMES

TREND_MONTHS = 6
# A cadre's community has a hundred grids or more: the table and the trend show those furthest behind.
SHOWN_ROWS = 12
SHOWN_UNSTAFFED = 10
WORST_GRIDS = 5
CHART_SCRIPTS = ("vendor/chartjs-4.6.1/chart.umd.min.js", "js/overview.js")


@dataclass(frozen=True)
class Scope:
    """The grids a user oversees: every grid (`grid_ids` None) or these ids, and the level of the rows."""

    grid_ids: list | None
    by_community: bool

    def narrow(self, queryset, grid_lookup):
        if self.grid_ids is None:
            return queryset
        return queryset.filter(**{f"{grid_lookup}__in": self.grid_ids})

    def grids(self):
        """The grids in scope as a Grid queryset, None for every grid."""
        return None if self.grid_ids is None else Grid.objects.filter(pk__in=self.grid_ids)


def scope_for(user):
    """The user's grids as literal ids (one query; none for users who see everything)."""
    if user.sees_everything:
        return Scope(grid_ids=None, by_community=True)
    rows = list(Grid.objects.visible_to(user).values_list("pk", "community_id"))
    return Scope(grid_ids=[pk for pk, _c in rows], by_community=len({c for _p, c in rows}) > 1)


def month_starts(today, months=TREND_MONTHS):
    """The first day of each of the last `months` calendar months, oldest first, this month last."""
    firsts = []
    year, month = today.year, today.month
    for _i in range(months):
        firsts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return firsts[::-1]


def _aware(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _url(name, **params):
    query = urlencode({key: value for key, value in params.items() if value not in (None, "")})
    return f"{reverse(name)}?{query}" if query else reverse(name)


def coverage_rows(scope, *, snapshot=False):
    """Communities or grids in scope, with every coverage count and share annotated (from the nightly snapshot
    with `snapshot`)."""
    grids = scope.grids()
    if scope.by_community:
        nodes = Community.objects.all()
        if grids is not None:
            nodes = nodes.filter(pk__in=grids.values("community"))
        nodes = nodes.order_by("name")
    else:
        nodes = grids.select_related("community").order_by("community__name", "name")
    return list(annotate_coverage(nodes, grids=grids, snapshot=snapshot))


def visited_by_month(scope, firsts):
    """{(node id, month first day): households with a counting visit in that month}, in one grouped query."""
    node = "household__building__grid__community" if scope.by_community else "household__building__grid"
    visits = scope.narrow(
        Visit.objects.filter(outcome__in=COUNTING_OUTCOMES, visited_at__gte=_aware(firsts[0])),
        "household__building__grid",
    )
    rows = (
        visits.annotate(month=TruncMonth("visited_at"))
        .order_by()
        .values(node, "month")
        .annotate(households=Count("household", distinct=True))
    )
    counts = {}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month) if timezone.is_aware(month) else month
            month = month.date()
        counts[(row[node], month.replace(day=1))] = row["households"]
    return counts


def _month_key(first):
    return f"visited_in_{first:%Y_%m}"


def visited_month_counts(today):
    """Nightly figures (`grids.snapshots.NightlyFigures`): each grid's households with a counting visit in each of
    the last `TREND_MONTHS` months, zeros included — two queries."""
    firsts = month_starts(today)
    visited = visited_by_month(Scope(grid_ids=None, by_community=False), firsts)
    return {
        grid_id: {_month_key(first): visited.get((grid_id, first), 0) for first in firsts}
        for grid_id in Grid.objects.values_list("pk", flat=True)
    }


def nightly_visited_by_month(scope, firsts):
    """`visited_by_month` from the nightly snapshot (one query); None when the snapshot lacks one of the months
    (it was taken before a month began)."""
    counts = {}
    for grid_id, community_id, values in snapshot_counts(scope.grids()):
        node = community_id if scope.by_community else grid_id
        for first in firsts:
            households = values.get(_month_key(first))
            if households is None:
                return None
            counts[(node, first)] = counts.get((node, first), 0) + households
    return counts


def trend(rows, visited, firsts, *, shown=None):
    """Chart data: the month labels, one line for the whole scope (percent of households) and one per row of
    `shown` (default: every row)."""
    total_households = sum(row.household_count for row in rows)
    datasets = [
        {
            "label": _("合计"),
            "total": True,
            "data": [
                percent_value(share(sum(visited.get((row.pk, m), 0) for row in rows), total_households)) for m in firsts
            ],
        }
    ]
    for row in rows if shown is None else shown:
        datasets.append(
            {
                "label": str(row),
                "total": False,
                "data": [percent_value(share(visited.get((row.pk, m), 0), row.household_count)) for m in firsts],
            }
        )
    return {"labels": [_("%(m)s月") % {"m": m.month} for m in firsts], "datasets": datasets}


def most_behind(rows, count=SHOWN_ROWS):
    """The `count` rows furthest behind on visits within their interval (nothing to count last); all of them,
    in their own order, when there are no more than `count`."""
    if len(rows) <= count:
        return rows
    return sorted(rows, key=lambda row: (row.visited_share is None, row.visited_share or 0))[:count]


def overdue_by_grid(scope, today, now):
    """Grids with overdue tasks or requests, worst first, and the totals — two grouped queries."""
    grid = "household__building__grid"
    fields = (grid, f"{grid}__name", f"{grid}__community__name")
    grids = {}
    for key, queryset in (
        ("tasks", VisitTask.objects.overdue(today)),
        ("requests", ResidentRequest.objects.overdue(now)),
    ):
        for row in scope.narrow(queryset, grid).order_by().values(*fields).annotate(n=Count("pk")):
            entry = grids.setdefault(
                row[grid],
                {"pk": row[grid], "name": row[fields[1]], "community": row[fields[2]], "tasks": 0, "requests": 0},
            )
            entry[key] = row["n"]
    ranked = sorted(grids.values(), key=lambda g: (-(g["tasks"] + g["requests"]), g["community"], g["name"]))
    for entry in ranked:
        entry["tasks_url"] = _url("visittask_list", grid=entry["pk"], overdue=1)
        entry["requests_url"] = _url("request_list", grid=entry["pk"], overdue="yes")
    return {
        "worst": ranked[:WORST_GRIDS],
        "grid_count": len(ranked),
        "tasks": sum(g["tasks"] for g in ranked),
        "requests": sum(g["requests"] for g in ranked),
        "tasks_url": _url("visittask_list", overdue=1),
        "requests_url": _url("request_list", overdue="yes"),
    }


def backlog(scope, today):
    """Open tasks that are in no one's day yet: overdue, or with no assignee (one query)."""
    overdue = VisitTask.objects.overdue_q(today)
    unassigned = Q(assignee__isnull=True)
    counts = scope.narrow(VisitTask.objects.open(), "household__building__grid").aggregate(
        total=Count("pk", filter=overdue | unassigned),
        unassigned=Count("pk", filter=unassigned),
    )
    return {
        **counts,
        "url": _url("visittask_list", backlog=1),
        "unassigned_url": _url("visittask_list", worker="none"),
    }


def requests_by_category(scope, month_start):
    """Per category: requests not yet closed, and registered since `month_start` (one grouped query)."""
    since = _aware(month_start)
    is_open = ~Q(state=ResidentRequest.State.CLOSED)
    this_month = Q(created_at__gte=since)
    counts = {
        row["category"]: row
        for row in scope.narrow(ResidentRequest.objects.filter(is_open | this_month), "household__building__grid")
        .order_by()
        .values("category")
        .annotate(open=Count("pk", filter=is_open), this_month=Count("pk", filter=this_month))
    }
    rows = []
    for value, label in ResidentRequest.Category.choices:
        row = counts.get(value, {})
        rows.append(
            {
                "label": label,
                "open": row.get("open", 0),
                "this_month": row.get("this_month", 0),
                "open_url": _url("request_list", category=value, state="open"),
                "this_month_url": _url("request_list", category=value, created_from=month_start.isoformat()),
            }
        )
    return {
        "rows": rows,
        "open": sum(r["open"] for r in rows),
        "this_month": sum(r["this_month"] for r in rows),
        "open_url": _url("request_list", state="open"),
        "chart": {
            "labels": [str(r["label"]) for r in rows],
            "datasets": [
                {"label": _("未办结"), "data": [r["open"] for r in rows]},
                {"label": _("本月登记"), "data": [r["this_month"] for r in rows]},
            ],
        },
    }


def unstaffed_grids(scope):
    """Grids with no grid worker, by community and name (one query)."""
    grids = scope.narrow(Grid.objects.all(), "pk").exclude(pk__in=grid_worker_assignments().values("grid"))
    return [
        {"grid": grid, "url": _url("coverage", grid=grid.pk) + "#grid-detail"}
        for grid in grids.select_related("community").order_by("community__name", "name")
    ]


def my_tasks(user, today):
    """The supervisor's own open tasks (a grid without a worker sends its tasks up to its cadres) — one query."""
    counts = (
        VisitTask.objects.open()
        .filter(assignee=user)
        .aggregate(total=Count("pk"), overdue=Count("pk", filter=VisitTask.objects.overdue_q(today)))
    )
    return {**counts, "url": _url("visittask_list", worker=user.pk)}


def _row_url(node, by_community):
    if by_community:
        return reverse("coverage") + f"#community-{node.pk}"
    return _url("coverage", grid=node.pk) + "#grid-detail"


def overview_context(user, *, today=None, now=None):
    """Everything the overview shows, for a user who supervises, in a bounded number of queries: the scope's
    figures as counted in the last few minutes (`core.figures.kept`, shared by users with the same grids), the
    user's own tasks live."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    scope = scope_for(user)
    figures, counted_at = kept(("overview", scope), lambda: scope_figures(scope, today, now))
    return {
        **figures,
        "counted_at": counted_at,
        # The figures' markup is kept with them (templates/visits/_overview.html): what it depends on.
        "cache_key": repr((scope, counted_at.isoformat())),
        "figures_seconds": settings.FIGURES_CACHE_SECONDS,
        "measures": measures_for("community" if scope.by_community else "grid"),
        "mine": my_tasks(user, today),
        "coverage_url": reverse("coverage"),
        "scripts": CHART_SCRIPTS,
    }


def scope_figures(scope, today, now):
    """The overview's figures for the grids of `scope`."""
    firsts = month_starts(today)
    taken_at = snapshot_taken_at(scope.grids())
    rows = coverage_rows(scope, snapshot=taken_at is not None)
    visited = nightly_visited_by_month(scope, firsts) if taken_at else None
    if visited is None:
        visited = visited_by_month(scope, firsts)
    this_month = firsts[-1]
    households = sum(row.household_count for row in rows)
    visited_total = sum(row.visited_count for row in rows)
    shown = most_behind(rows)
    unstaffed = unstaffed_grids(scope)
    return {
        "by_community": scope.by_community,
        "rows": [
            {
                "node": row,
                "url": _row_url(row, scope.by_community),
                "shortfalls": shortfalls(row),
                "month_visited": visited.get((row.pk, this_month), 0),
                "month_share": share(visited.get((row.pk, this_month), 0), row.household_count),
            }
            for row in shown
        ],
        "row_count": len(rows),
        "households": households,
        "visited": visited_total,
        "visited_share": share(visited_total, households),
        "trend": trend(rows, visited, firsts, shown=shown),
        "overdue": overdue_by_grid(scope, today, now),
        "backlog": backlog(scope, today),
        "requests": requests_by_category(scope, this_month),
        "unstaffed": unstaffed,
        "unstaffed_shown": unstaffed[:SHOWN_UNSTAFFED],
        "month_start": this_month,
        "figures_taken_at": taken_at,
    }


def overview(request):
    """Workbench provider: the overview for users who supervise, nothing for everyone else."""
    if not request.user.supervises:
        return None
    return WorkbenchSection(template="visits/_overview.html", order=5, context=overview_context(request.user))
