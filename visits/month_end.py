"""Visit coverage as it stood at the end of a past day: the households visited within their policy interval,
counted from the visits recorded by then, under the visit policies in force now.

`visits.coverage` counts "visited within policy" today from each household's `VisitStatus` (refreshed nightly
and by `log_visit`); a past month's report and the coverage matrix need the same rule at the end of a month,
when no status was kept. The rule is that of `visits.policy` — only `COUNTING_OUTCOMES` visits count; due =
local date of the last counting visit + the household's interval — asked of the visits dated before `day` ended:

    visited within policy on `day`  ⇔  a counting visit before the end of `day`
                                        at or after local midnight of (`day` − interval)

which for `day` = today is `VisitStatus.due_on >= today`. Only households registered by the end of `day` count.

The interval is the household's interval under the current policies, as `VisitStatus.interval_days` keeps it
(the tightest policy of its residents' priority groups, else the default; refreshed every night and when a
visit is logged); a household without a status yet (registered since the last night) has the default. Each
interval becomes its window start by a CASE over a handful of constants, so SQL does no date arithmetic, and
each household costs one index probe (`visit_household_recent`) per day asked — one formulation for the
counts (`coverage_counts`: a page of nodes, six months, one query) and for the households themselves
(`visited` / `unvisited`, the drill-down lists).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, Count, DateTimeField, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from households.models import Household

from .models import Visit, VisitPolicy, VisitStatus
from .policy import COUNTING_OUTCOMES, FALLBACK_INTERVAL_DAYS


def midnight(day):
    """The aware local midnight at the start of `day`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def month_bounds(first):
    """The aware local midnights at the start of the month of `first` and of the next month."""
    following = (first.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return midnight(first.replace(day=1)), midnight(following)


def coverage_day(first, today=None):
    """The day a month's coverage is read at: its last day, or today while the month is still running."""
    today = today or timezone.localdate()
    last = (first.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    return min(last, today)


def intervals():
    """(the default interval, every interval a household may have): the policies' and those kept on the
    statuses (a policy changed today reaches the statuses tonight). Two small queries."""
    policies = list(VisitPolicy.objects.values_list("priority_group_id", "interval_days"))
    default = min((days for group, days in policies if group is None), default=FALLBACK_INTERVAL_DAYS)
    kept = VisitStatus.objects.order_by().values_list("interval_days", flat=True).distinct()
    return default, {days for _group, days in policies} | set(kept) | {default}


@dataclass(frozen=True)
class MonthEnd:
    """The rule's constants for one day: the end of `day` and the window start of each interval."""

    day: datetime.date
    end: datetime.datetime
    starts: dict
    default_start: datetime.datetime

    @classmethod
    def on(cls, day, known=None):
        """The constants for `day`; `known` is `intervals()` when already read."""
        default, every = known or intervals()

        def start(days):
            return midnight(day - datetime.timedelta(days=days))

        return cls(
            day=day,
            end=midnight(day + datetime.timedelta(days=1)),
            starts={days: start(days) for days in sorted(every)},
            default_start=start(default),
        )

    def registered(self):
        """Households registered by the end of the day."""
        return Q(created_at__lt=self.end)

    def window(self):
        """A household's window start on this day, from its kept interval (the default without a status)."""
        return Case(
            *(When(visit_status__interval_days=days, then=Value(start)) for days, start in self.starts.items()),
            default=Value(self.default_start),
            output_field=DateTimeField(),
        )

    def seen_within(self, window="window"):
        """On a household annotated with its `window`: a counting visit between the window start and the end of
        the day."""
        return Exists(
            Visit.objects.filter(
                household=OuterRef("pk"),
                outcome__in=COUNTING_OUTCOMES,
                visited_at__lt=self.end,
                visited_at__gte=OuterRef(window),
            )
        )

    def last_visit(self):
        """On a household: its last counting visit before the end of the day (NULL if none), for lists."""
        visits = Visit.objects.filter(
            household=OuterRef("pk"), outcome__in=COUNTING_OUTCOMES, visited_at__lt=self.end
        ).order_by("-visited_at")
        return Subquery(visits.values("visited_at")[:1], output_field=DateTimeField())

    def visited(self, households):
        """`households` registered by the day and visited within their policy on it."""
        return households.alias(window=self.window()).filter(self.registered(), self.seen_within())

    def unvisited(self, households):
        """`households` registered by the day and not visited within their policy on it."""
        return households.alias(window=self.window()).filter(self.registered()).exclude(self.seen_within())


def coverage_counts(households, path, days):
    """{node id: [(visited within policy, registered) at the end of each of `days`]} for the nodes at `path`
    from a household ("building", "building__grid", …) over `households`: one grouped query (and two small
    ones for the intervals)."""
    known = intervals()
    ends = [MonthEnd.on(day, known) for day in days]
    counts = {}
    for i, end in enumerate(ends):
        counts[f"r{i}"] = Count("pk", filter=end.registered())
        counts[f"v{i}"] = Count("pk", filter=end.registered() & Q(end.seen_within(f"window_{i}")))
    rows = (
        households.alias(**{f"window_{i}": end.window() for i, end in enumerate(ends)})
        .order_by()
        .values(path)
        .annotate(**counts)
    )
    return {row[path]: [(row[f"v{i}"], row[f"r{i}"]) for i in range(len(ends))] for row in rows}


def visited_counts_at(level, grids, days):
    """`visits.coverage.VISITED` as it stood at the end of each of `days`, for `grids.monthly`: {node id of
    `level`: [(households visited within policy, households registered) per day]} under `grids` (None: all)."""
    households = Household.objects.all()
    if grids is not None:
        households = households.filter(building__grid__in=grids)
    path = "building" if level.building_path == "pk" else f"building__{level.building_path}"
    return coverage_counts(households, path, days)
