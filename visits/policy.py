"""Visit-policy arithmetic, as set-based queryset annotations the scheduler can run over 100,000 households.

A household's visit interval is the tightest (smallest) `VisitPolicy.interval_days` among the priority groups
of its residents; a household with no priority-group resident (or whose groups have no policy) falls back to
the default policy (the one with no priority group), and to `FALLBACK_INTERVAL_DAYS` if even that is missing.

Only visits in which the household was actually reached count as "visited" (`COUNTING_OUTCOMES`): a
not-at-home visit schedules a re-visit instead and leaves the household due.
"""

from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Visit, VisitPolicy

FALLBACK_INTERVAL_DAYS = 180
FALLBACK_REVISIT_DAYS = 3
COUNTING_OUTCOMES = (Visit.Outcome.MET, Visit.Outcome.REFUSED)


def _group_policies():
    return VisitPolicy.objects.filter(
        priority_group__isnull=False, priority_group__residents__household=OuterRef("pk")
    ).order_by("interval_days", "revisit_days")


def _default_policy():
    return VisitPolicy.objects.filter(priority_group__isnull=True)


def annotate_visit_interval(households):
    """Annotate each household of the queryset with `visit_interval_days` (an integer, never NULL).

    One correlated subquery for the tightest group policy, one for the default: no Python loop.
    """
    return households.annotate(
        visit_interval_days=Coalesce(
            Subquery(_group_policies().values("interval_days")[:1], output_field=IntegerField()),
            Subquery(_default_policy().values("interval_days")[:1], output_field=IntegerField()),
            Value(FALLBACK_INTERVAL_DAYS),
            output_field=IntegerField(),
        )
    )


def annotate_last_visit(households):
    """Annotate each household with `last_visited_at`: its latest visit that reached it, or NULL if never.

    Uses the (household, -visited_at) index: one index probe per household.
    """
    latest = Visit.objects.filter(household=OuterRef("pk"), outcome__in=COUNTING_OUTCOMES).order_by("-visited_at")
    return households.annotate(last_visited_at=Subquery(latest.values("visited_at")[:1]))


def policy_for(household):
    """The VisitPolicy that applies to one household (tightest group policy, else the default).

    When the table is empty an unsaved policy with the fallback figures is returned.
    """
    policy = (
        VisitPolicy.objects.filter(priority_group__residents__household=household)
        .order_by("interval_days", "revisit_days")
        .first()
    )
    return (
        policy
        or _default_policy().first()
        or VisitPolicy(interval_days=FALLBACK_INTERVAL_DAYS, revisit_days=FALLBACK_REVISIT_DAYS)
    )
