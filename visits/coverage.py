"""The visits app's coverage figure: households visited within their policy interval, per grid node.

Counted on the same grouped join over households as the grids app's own household figures, through the
one-to-one `Household.visit_status` (a LEFT JOIN on the household's pk, so no row is multiplied): a household
counts when it has been visited and its next visit is not yet overdue (`due_on >= today`). A household with
no status row, or never visited, counts as not visited.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.coverage import Measure


def visited_counts(level, scope):
    households = level.households
    within = Q(
        **{f"{households}__visit_status__last_visited_at__isnull": False},
        **{f"{households}__visit_status__due_on__gte": timezone.localdate()},
    )
    in_scope = scope.condition(level)
    return {
        # The same as the grids' own household count (the first definition is kept), so the measure stands alone.
        "household_count": Count(households, filter=in_scope),
        "visited_count": Count(households, filter=within & in_scope if in_scope else within),
    }


VISITED = Measure(
    key="visited",
    label=_("按期走访"),
    numerator="visited_count",
    denominator="household_count",
    counts=visited_counts,
    numerator_label=_("按期走访的户数"),
    denominator_label=_("居民户数"),
)
