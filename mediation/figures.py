"""The mediation room's figures, counted in SQL: the one home of the monthly return's definitions, read by the
statistics on `/mediation/` (`mediation.statistics`), the Excel return (`mediation.exports`), the workbench
card and the monthly report section (`mediation.sections`).

For a period (a calendar month: its first day up to the next month's first day), a dispute is

- **received** (受理) when it was accepted in the period (`accepted_on`); a dispute refused (不予受理) was never
  accepted and is counted nowhere;
- **mediated** (调解) when its mediation ended in the period (`concluded_on`), with an agreement (调解成功) or
  without one (调解不成) — whenever it was accepted, and whatever happened after (回访, 结案);
- **succeeded** (调解成功): mediated, with an agreement (`agreement_kind`), either **written** (书面协议) or
  **oral** (口头协议, recorded by the mediator, 人民调解法 art. 28);
- **not succeeded** (调解不成): mediated, without an agreement;
- **escalated** (矛盾上行): not succeeded and gone to the court, 司法所, the police, the petition office,
  arbitration or another office (`escalated_to` other than 当事人未再主张) — counted against the room;
- **success rate**: succeeded ÷ mediated (None when nothing was mediated; pages show "—");
- **days to close**: `concluded_on − accepted_on` in days, averaged (in SQL) over the mediated disputes.

The figures read each dispute's current fields. A dispute reopened because its agreement was not performed
(回访：协议未履行) has `concluded_on` and `agreement_kind` cleared: it leaves the month it had succeeded in, and
is counted again in the month its new mediation ends. So a past month's figures can drop after a reopening;
the dispute's history keeps the earlier outcome.

Scope is `Dispute.objects.counted_for(user)`: counts (never content) of the communities the user works in or
mediates for, every community for the street leader and admins. Each function below is one query, or two.
"""

import datetime
from collections import defaultdict

from django.db.models import Avg, Count, F, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from grids.models import Grid

from .models import Dispute, DisputeType, counted_communities

COUNTS = ("received", "mediated", "succeeded", "failed", "written", "oral", "escalated")
NOT_ESCALATED = ("", Dispute.EscalatedTo.NONE)


def month_bounds(month):
    """(the month's first day, the next month's first day) for any day of the month."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following


def shift_months(first, months):
    """The first day of the month `months` calendar months after (before, when negative) `first`'s month."""
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _aggregates(first, following):
    accepted = Q(accepted_on__gte=first, accepted_on__lt=following)
    concluded = Q(concluded_on__gte=first, concluded_on__lt=following)
    failed = concluded & Q(agreement_kind="")
    return {
        "received": Count("pk", filter=accepted),
        "mediated": Count("pk", filter=concluded),
        "succeeded": Count("pk", filter=concluded & ~Q(agreement_kind="")),
        "failed": Count("pk", filter=failed),
        "written": Count("pk", filter=concluded & Q(agreement_kind=Dispute.AgreementKind.WRITTEN)),
        "oral": Count("pk", filter=concluded & Q(agreement_kind=Dispute.AgreementKind.ORAL)),
        "escalated": Count("pk", filter=failed & ~Q(escalated_to__in=NOT_ESCALATED)),
        "days": Avg(F("concluded_on") - F("accepted_on"), filter=concluded),
    }


def _in_period(disputes, first, following):
    return disputes.filter(
        Q(accepted_on__gte=first, accepted_on__lt=following) | Q(concluded_on__gte=first, concluded_on__lt=following)
    ).order_by()


def finish(row):
    """Add the success rate and turn the average duration into days (a float, or None)."""
    days = row.get("days")
    if isinstance(days, datetime.timedelta):
        days = days.total_seconds() / 86400
    row["days"] = days
    row["success_rate"] = row["succeeded"] / row["mediated"] if row["mediated"] else None
    return row


def empty():
    return finish({**dict.fromkeys(COUNTS, 0), "days": None})


def has_data(row):
    return any(row[key] for key in COUNTS)


def totals(disputes, first, following):
    """The period's figures for all of `disputes` — one query."""
    return finish(_in_period(disputes, first, following).aggregate(**_aggregates(first, following)))


def grouped(disputes, first, following, key):
    """{value of `key`: the period's figures} for the groups with any — one grouped query."""
    rows = _in_period(disputes, first, following).values(key).annotate(**_aggregates(first, following))
    return {row.pop(key): finish(row) for row in rows}


def monthly_return(disputes, month):
    """The monthly return: one row per dispute type, in the statistical list's order, and the total (合计) —
    two queries."""
    first, following = month_bounds(month)
    by_type = grouped(disputes, first, following, "dispute_type")
    rows = [{"key": value, "label": str(label), **by_type.get(value, empty())} for value, label in DisputeType.choices]
    return {"month": first, "rows": rows, "total": totals(disputes, first, following)}


def _month_of(value):
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.replace(day=1)


def monthly_series(disputes, firsts):
    """The figures of each month in `firsts` (consecutive first days, oldest first) — two grouped queries: the
    disputes accepted in each month, and those whose mediation ended in each month."""
    start, end = firsts[0], month_bounds(firsts[-1])[1]
    received = {
        _month_of(row["month"]): row["received"]
        for row in disputes.filter(accepted_on__gte=start, accepted_on__lt=end)
        .order_by()
        .annotate(month=TruncMonth("accepted_on"))
        .values("month")
        .annotate(received=Count("pk"))
    }
    aggregates = _aggregates(start, end)
    del aggregates["received"]
    concluded = {
        _month_of(row.pop("month")): row
        for row in disputes.filter(concluded_on__gte=start, concluded_on__lt=end)
        .order_by()
        .annotate(month=TruncMonth("concluded_on"))
        .values("month")
        .annotate(**aggregates)
    }
    series = []
    for first in firsts:
        row = {**empty(), **concluded.get(first, {})}
        row["received"] = received.get(first, 0)
        series.append({"month": first, **finish(row)})
    return series


def grid_rows(disputes, month, user):
    """The month's figures per grid of the communities the user counts (every grid, with or without disputes),
    and per community a row for its disputes recorded without a grid when there are any; in community and grid
    order — two queries. A dispute counts in the row of its community's grid."""
    first, following = month_bounds(month)
    groups = _in_period(disputes, first, following).values("community", "community__name", "grid")
    by_grid, community_names = {}, {}
    for row in groups.annotate(**_aggregates(first, following)):
        community = row.pop("community")
        community_names[community] = row.pop("community__name")
        by_grid[(community, row.pop("grid"))] = finish(row)
    return _grid_table(by_grid, community_names, counted_communities(user))


def _grid_table(by_grid, community_names, communities):
    """The grid table's rows from {(community, grid or None): figures}, with every grid of `communities` — one
    query (the grids)."""
    grids = Grid.objects.filter(community__in=communities)
    rows = [
        {"key": pk, "name": name, "community": community, **by_grid.get((community_id, pk), empty())}
        for pk, name, community_id, community in grids.values_list("pk", "name", "community", "community__name")
    ]
    rows += [
        {"key": None, "name": _("未填网格"), "community": community_names[community], **row}
        for (community, grid), row in by_grid.items()
        if grid is None
    ]
    rows.sort(key=lambda row: (row["community"], row["key"] is None, row["name"]))
    return rows


def _summed(rows):
    """The figures of `rows` (each with the duration summed over its mediated disputes, `days_sum`) together:
    the counts added up and the average days over all their mediated disputes."""
    merged, days_sum = dict.fromkeys(COUNTS, 0), None
    for row in rows:
        for key in COUNTS:
            merged[key] += row[key]
        if row["days_sum"] is not None:
            days_sum = row["days_sum"] + (days_sum or datetime.timedelta())
    merged["days"] = days_sum.total_seconds() / 86400 / merged["mediated"] if days_sum is not None else None
    return finish(merged)


def month_figures(disputes, month, communities):
    """What `/mediation/` shows of a month: the return (`monthly_return`'s rows and total) and the month by grid
    (`grid_rows`, with every grid of `communities`, the communities `disputes` are counted in), from one query
    grouped by community, grid and dispute type, and the grids' list — two queries where the two functions take
    four. The days to close are summed per group and averaged once, so they are those of the two functions."""
    first, following = month_bounds(month)
    aggregates = _aggregates(first, following)
    aggregates["days_sum"] = Sum(F("concluded_on") - F("accepted_on"), filter=aggregates.pop("days").filter)
    groups = list(
        _in_period(disputes, first, following)
        .values("community", "community__name", "grid", "dispute_type")
        .annotate(**aggregates)
    )
    by_type, by_grid, community_names = defaultdict(list), defaultdict(list), {}
    for group in groups:
        by_type[group["dispute_type"]].append(group)
        by_grid[(group["community"], group["grid"])].append(group)
        community_names[group["community"]] = group["community__name"]
    rows = [
        {"key": value, "label": str(label), **_summed(by_type.get(value, ()))} for value, label in DisputeType.choices
    ]
    grids = _grid_table({key: _summed(members) for key, members in by_grid.items()}, community_names, communities)
    return {"month": first, "rows": rows, "total": _summed(groups), "grids": grids}


def overall(disputes, today):
    """Since the room opened: disputes resolved (with an agreement, as they stand now) and the first month a
    dispute was accepted in (None before any); this month so far: received, and open and overdue now — one
    query."""
    return disputes.order_by().aggregate(
        resolved=Count("pk", filter=~Q(agreement_kind="")),
        first_accepted=Min("accepted_on"),
        received=Count("pk", filter=Q(accepted_on__gte=today.replace(day=1))),
        open=Count("pk", filter=~Q(state__in=Dispute.FINAL_STATES)),
        overdue=Count("pk", filter=Dispute.objects.overdue_q(today)),
    )
