"""The mediation room's figures outside its own pages: the 调解 menu entry, the workbench card and the monthly
report section. Both figures read the rules of `mediation.figures` over `Dispute.objects.counted_for(user)`
and cost a fixed number of queries.
"""

from django.urls import reverse
from django.utils import timezone

from accounts.workbench import WorkbenchSection
from grids.models import Community, Grid, Street

from . import figures
from .models import Dispute
from .statistics import VIEW_PERMISSION


def may_view(user):
    return user.is_authenticated and user.has_perm(VIEW_PERMISSION)


def mediation_card(request):
    """Workbench card for mediators (their committee), cadres and leaders: disputes resolved since the room
    opened, and this month's received, open and overdue disputes — one query. Nothing for users without the
    mediation pages (grid workers)."""
    user = request.user
    if not may_view(user):
        return None
    today = timezone.localdate()
    counts = figures.overall(Dispute.objects.counted_for(user), today)
    return WorkbenchSection(
        template="mediation/_workbench.html",
        order=7,
        context={**counts, "month": today.replace(day=1), "url": reverse("mediation_index")},
    )


def disputes_under(node, user):
    """The disputes `user` counts under `node`: a street's communities, a community, or the disputes recorded
    in a grid (None: all the user counts; any other node, such as a building, none: disputes are kept by grid)."""
    disputes = Dispute.objects.counted_for(user)
    if isinstance(node, Street):
        return disputes.filter(community__street=node)
    if isinstance(node, Community):
        return disputes.filter(community=node)
    if isinstance(node, Grid):
        return disputes.filter(grid=node)
    if node is None:
        return disputes
    return disputes.none()


def mediation_section(node, month, user):
    """The month's return for `node` (a street, community or grid; None for all) as `user` counts it: the
    figures by dispute type (the types with any) and in total, with the previous month's and the same month
    last year's totals beside them when they have any. Four queries."""
    disputes = disputes_under(node, user)
    return _with_comparisons(disputes, figures.monthly_return(disputes, month))


def report_section(node, month, user):
    """What the monthly report builds (`core.reports`): `mediation_section`, or None for users without the
    mediation pages (grid workers) and for a month with nothing received or mediated — the report then compares
    no figure with that month. Two queries for such a month, four otherwise."""
    if not may_view(user):
        return None
    disputes = disputes_under(node, user)
    report = figures.monthly_return(disputes, month)
    return _with_comparisons(disputes, report) if figures.has_data(report["total"]) else None


def _with_comparisons(disputes, report):
    """The return's types with any figure, its total, and the previous month's and the same month last year's
    totals (None without data) — two queries."""
    compared = {}
    for key, first in (
        ("previous", figures.shift_months(report["month"], -1)),
        ("last_year", figures.shift_months(report["month"], -12)),
    ):
        total = figures.totals(disputes, *figures.month_bounds(first))
        compared[key] = {"month": first, **total} if figures.has_data(total) else None
    return {
        "month": report["month"],
        "rows": [row for row in report["rows"] if figures.has_data(row)],
        "total": report["total"],
        **compared,
    }
