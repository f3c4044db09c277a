"""Visit-policy arithmetic: which policy applies to a household, when its next visit is due, its last visit.

A household's visit interval is the tightest (smallest) `VisitPolicy.interval_days` among the priority groups
of its residents; a household with no priority-group resident (or whose groups have no policy) falls back to
the default policy (the one with no priority group), and to `FALLBACK_INTERVAL_DAYS` if even that is missing.

Only visits in which the household was actually reached count as "visited" (`COUNTING_OUTCOMES`): a
not-at-home visit schedules a re-visit instead and leaves the household due.

The rule lives here for one household (`policy_for`) and in `visits.scheduling._VisitFacts` for a range of
households at once (grouped queries); `tests/visits/test_jobs.py` checks that the two agree.
"""

import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .models import Visit, VisitPolicy

FALLBACK_INTERVAL_DAYS = 182  # twice a year, as the default policy (migration 0008)
FALLBACK_REVISIT_DAYS = 3
COUNTING_OUTCOMES = (Visit.Outcome.MET, Visit.Outcome.REFUSED)


def _default_policy():
    return VisitPolicy.objects.filter(priority_group__isnull=True)


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


def visit_due_on(last_visited_at, interval_days, *, never):
    """The day a household's next visit is due: the local date of its last counting visit plus the interval;
    `never` (usually today) when it was never visited."""
    if last_visited_at is None:
        return never
    return timezone.localdate(last_visited_at) + datetime.timedelta(days=interval_days)
