"""Heating's figures outside its own pages: the workbench card (in season) and the monthly report section.

Both read the rules of `heating.figures` and cost a fixed number of queries. Heating figures are seasonal, so
they are not a coverage measure: out of season the card is not shown and the report section says nothing.
"""

import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from accounts.workbench import WorkbenchSection
from grids.models import Community, Grid, Street
from households.models import Household
from visits.overview import scope_for

from . import grid_figures
from .models import HeatingInspection, HeatingSeason, HeatingTicket, TicketEvent

VIEW_PERMISSION = "heating.view_heatinginspection"


def may_view(user):
    return user.is_authenticated and user.has_perm(VIEW_PERMISSION)


def heating_card(request):
    """Workbench card, in season: households below standard now (the grids' stored figures,
    `heating.grid_figures`) and open and overdue tickets in the user's grids (five queries; none shown to users
    without heating, or when no season of theirs is running)."""
    user = request.user
    if not may_view(user):
        return None
    now = timezone.now()
    scope = scope_for(user)
    communities = Community.objects.all()
    if scope.grid_ids is not None:
        communities = communities.filter(pk__in=Grid.objects.filter(pk__in=scope.grid_ids).values("community"))
    seasons = list(HeatingSeason.objects.filter(community__in=communities).on(timezone.localdate(now)))
    if not seasons:
        return None
    grids, narrowed = grid_figures.grids_in_scope(scope, seasons)
    below = sum(row["ticket"] + row["cold"] for row in grid_figures.stored(seasons, grids).values())
    tickets = HeatingTicket.objects.filter(season__in=[season.pk for season in seasons]).open()
    if narrowed is not None:
        tickets = tickets.filter(household__in=narrowed)
    counts = tickets.aggregate(open=Count("pk"), overdue=Count("pk", filter=HeatingTicket.objects.overdue_q(now)))
    return WorkbenchSection(
        template="heating/_workbench.html",
        order=8,
        context={
            "below": below,
            **counts,
            "url": reverse("heating_dashboard"),
            "open_url": reverse("ticket_list") + "?state=open",
            "overdue_url": reverse("ticket_list") + "?overdue=yes",
        },
    )


def _grids_under(node, user):
    grids = Grid.objects.visible_to(user)
    if isinstance(node, Street):
        return grids.filter(community__street=node)
    if isinstance(node, Community):
        return grids.filter(community=node)
    if isinstance(node, Grid):
        return grids.filter(pk=node.pk)
    return grids


def _month_bounds(month):
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    aware = [timezone.make_aware(datetime.datetime.combine(day, datetime.time())) for day in (first, following)]
    return first, following, *aware


def heating_section(node, month, user):
    """The month's heating figures for `node` (a street, community or grid; None for all) as `user` sees it,
    or None when no season of its communities runs in that month. Four queries.

    - households: of the node's grids in communities with a season running in the month;
    - inspected: households with an inspection in the month; below standard: households whose last inspection
      in the month was below the standard;
    - per company: tickets reported in the month, closed in the month (复查合格), and of those closed within
      the deadline (the company's last 已处理 step at or before the ticket's response deadline).
    """
    first, following, start, end = _month_bounds(month)
    grids = _grids_under(node, user)
    seasons = list(
        HeatingSeason.objects.filter(
            community__in=grids.values("community"), starts_on__lt=following, ends_on__gte=first
        ).values_list("pk", "community_id")
    )
    if not seasons:
        return None
    season_ids = [pk for pk, _community in seasons]
    households = Household.objects.filter(
        building__grid__in=grids, building__grid__community__in=[c for _pk, c in seasons]
    )
    in_month = HeatingInspection.objects.filter(
        household=OuterRef("pk"), season__in=season_ids, inspected_at__gte=start, inspected_at__lt=end
    )
    counts = households.annotate(
        month_inspected=Exists(in_month),
        month_latest_below=Subquery(in_month.order_by("-inspected_at", "-pk").values("below_standard")[:1]),
    ).aggregate(
        households=Count("pk"),
        inspected=Count("pk", filter=Q(month_inspected=True)),
        below=Count("pk", filter=Q(month_latest_below=True)),
    )
    last_handled = (
        TicketEvent.objects.filter(ticket=OuterRef("pk"), to_state=HeatingTicket.State.HANDLED)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    reported = Q(reported_at__gte=start, reported_at__lt=end)
    closed = Q(state=HeatingTicket.State.RECHECK_PASSED, closed_at__gte=start, closed_at__lt=end)
    companies = list(
        HeatingTicket.objects.filter(season__in=season_ids, household__in=households)
        .filter(reported | closed)
        .annotate(handled_at=Subquery(last_handled))
        .order_by()
        .values("company", "company__name")
        .annotate(
            reported=Count("pk", filter=reported),
            closed=Count("pk", filter=closed),
            closed_on_time=Count("pk", filter=closed & Q(handled_at__lte=F("deadline_at"))),
        )
        .order_by("company__name")
    )
    for row in companies:
        row["name"] = row.pop("company__name")
        row["on_time_share"] = row["closed_on_time"] / row["closed"] if row["closed"] else None
    totals = {key: sum(row[key] for row in companies) for key in ("reported", "closed", "closed_on_time")}
    return {
        "month": first,
        **counts,
        "inspected_share": counts["inspected"] / counts["households"] if counts["households"] else None,
        "tickets": {
            **totals,
            "on_time_share": totals["closed_on_time"] / totals["closed"] if totals["closed"] else None,
        },
        "companies": companies,
    }
