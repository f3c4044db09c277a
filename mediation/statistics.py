"""The mediation room's figures on `/mediation/`: the monthly return by dispute type for a chosen month
(`?month=2026-11`, this month so far by default), the last twelve months as a series, the month by grid, and
the disputes resolved since the room opened.

`statistics_context(request)` is what the index view adds to its context, under the one key `statistics`, for
`mediation/_statistics.html`. The figures (defined in `mediation.figures`) are counted over
`Dispute.objects.counted_for(user)` — counts, never content — and cost the same number of queries whatever the
number of disputes or grids: the communities counted (1), then overall figures (1), the return and the month by
grid (2) and the series (2), which are kept for a few minutes per communities and month (`core.figures.kept`:
the page says when they were counted; the list of disputes below them is never kept).
"""

import datetime
import re
from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.figures import kept
from visits.overview import month_starts

from . import figures
from .models import Dispute, counted_communities

VIEW_PERMISSION = "mediation.view_dispute"
EXPORT_PERMISSION = "mediation.export_dispute"
SERIES_MONTHS = 12
CHART_SCRIPTS = ("vendor/chartjs-4.6.1/chart.umd.min.js", "js/mediation_charts.js")
MONTH = re.compile(r"(\d{4})-(\d{1,2})")
EARLIEST_YEAR = 2000
# The three figures the charts compare, in their order (the templates colour them by key).
CHART_FIGURES = ("received", "succeeded", "escalated")


def parse_month(raw, today):
    """The first day of the month `raw` names ("2026-11"), or None when it names no month from 2000 up to
    this one."""
    match = MONTH.fullmatch((raw or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if year < EARLIEST_YEAR or not 1 <= month <= 12:
        return None
    first = datetime.date(year, month, 1)
    return first if first <= today else None


def month_error(raw):
    return _("无法识别月份“%(month)s”，请按“2026-11”的格式选择本月或以前的月份。") % {"month": raw[:20]}


def month_label(first):
    return _("%(year)s年%(month)s月") % {"year": first.year, "month": first.month}


def month_value(first):
    return f"{first:%Y-%m}"


def month_choices(first_accepted, today, chosen):
    """(value, label) of the months the picker offers, newest first: the last twelve, and back to the first month
    a dispute was accepted in (from 2000) and to the chosen month."""
    oldest = min(month_starts(today, SERIES_MONTHS)[0], chosen)
    if first_accepted:
        oldest = min(oldest, max(first_accepted.replace(day=1), datetime.date(EARLIEST_YEAR, 1, 1)))
    choices, month = [], today.replace(day=1)
    while month >= oldest:
        choices.append((month_value(month), month_label(month)))
        month = figures.shift_months(month, -1)
    return choices


def chart_labels():
    return {
        "received": _("受理"),
        "succeeded": _("调解成功"),
        "escalated": _("矛盾上行"),
    }


def _datasets(rows):
    labels = chart_labels()
    return [{"key": key, "label": str(labels[key]), "data": [row[key] for row in rows]} for key in CHART_FIGURES]


def short_month_label(first, index):
    """ "5月", with the year on the first month and on each January: short enough for a phone's axis."""
    if index == 0 or first.month == 1:
        return month_label(first)
    return _("%(month)s月") % {"month": first.month}


def trend_chart(series):
    """Received, succeeded and escalated in each month of the series (a line each)."""
    labels = [short_month_label(row["month"], index) for index, row in enumerate(series)]
    return {"labels": labels, "datasets": _datasets(series)}


def grid_chart(rows):
    """Received, succeeded and escalated per grid, or per community when the rows span several communities."""
    if len({row["community"] for row in rows}) > 1:
        merged = defaultdict(lambda: dict.fromkeys(CHART_FIGURES, 0))
        for row in rows:
            for key in CHART_FIGURES:
                merged[row["community"]][key] += row[key]
        return {"labels": list(merged), "datasets": _datasets(list(merged.values())), "by_community": True}
    return {"labels": [row["name"] for row in rows], "datasets": _datasets(rows), "by_community": False}


def counted_figures(communities, month, today):
    """(overall, the month's return and grids, the series) of the disputes of `communities` (ids) — five queries.
    The communities are named by id rather than as `Dispute.objects.counted_for`'s subqueries of the user's grids,
    which every query would repeat (with a street's worth of grid ids)."""
    disputes = Dispute.objects.filter(community__in=communities)
    return (
        figures.overall(disputes, today),
        figures.month_figures(disputes, month, communities),
        figures.monthly_series(disputes, month_starts(today, SERIES_MONTHS)),
    )


def statistics_context(request):
    """What `/mediation/` shows above (or, for those who see counts only, instead of) the list of disputes:
    `{"statistics": None}` for users without the mediation pages."""
    user = request.user
    if not user.has_perm(VIEW_PERMISSION):
        return {"statistics": None}
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    month = parse_month(raw, today) if raw else today.replace(day=1)
    error = month_error(raw) if month is None else ""
    month = month or today.replace(day=1)

    communities = list(counted_communities(user).values_list("pk", flat=True))
    (overall, report, series), counted_at = kept(
        ("mediation.statistics", communities, month), lambda: counted_figures(communities, month, today)
    )
    grids = report["grids"]
    active = [row for row in grids if figures.has_data(row)]
    may_export = user.has_perm(EXPORT_PERMISSION)
    return {
        "statistics": {
            "today": today,
            "counted_at": counted_at,
            "month": month,
            "month_label": month_label(month),
            "month_value": month_value(month),
            "is_current": month == today.replace(day=1),
            "month_error": error,
            "choices": month_choices(overall["first_accepted"], today, month),
            "resolved": overall["resolved"],
            # The statistical list has fourteen types, most without a dispute in a month: those with any figure
            # (the Excel return keeps every type).
            "rows": [row for row in report["rows"] if figures.has_data(row)],
            "quiet_types": sum(not figures.has_data(row) for row in report["rows"]),
            "total": report["total"],
            "series": series,
            # A community has a hundred grids or more, most without a dispute in a month: those with one.
            "grids": active,
            "quiet_grids": len(grids) - len(active),
            "by_community": len({row["community"] for row in grids}) > 1,
            "trend_chart": trend_chart(series),
            "grid_chart": grid_chart(active),
            "export_url": f"{reverse('mediation_return')}?month={month_value(month)}" if may_export else "",
            "scripts": CHART_SCRIPTS,
        }
    }
