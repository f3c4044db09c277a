"""A paginator that stops counting: "找到 1000+ 户" rather than counting every one of 20,000 households whose
residents' names start with "wang".

A page shows 20 rows; the exact number of matches beyond `cap` helps no one (they refine the search), and counting
them was most of the cost of a search by a common surname. The count reads at most `cap + 1` rows of the list
(without its ordering and computed columns), so it costs the same for 1,001 matches or 100,000. Pages past the cap
are not offered.
"""

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet

COUNT_CAP = 1000


class CappedPaginator(Paginator):
    """`counted`: the same rows as `object_list` without what only the page shows (annotations, their joins), to
    count instead of it."""

    def __init__(self, object_list, per_page, *, cap=None, counted=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.counted_rows = object_list if counted is None else counted

    @cached_property
    def _counted(self):
        rows = self.counted_rows
        if isinstance(rows, QuerySet):  # count primary keys only, unordered
            counted = rows.order_by().values("pk")[: self.cap + 1].count()
        else:
            counted = len(rows[: self.cap + 1])
        return min(counted, self.cap), counted > self.cap

    @property
    def count(self):
        """The number of rows, at most `cap`."""
        return self._counted[0]

    @property
    def capped(self):
        """Whether there are more rows than `count` says."""
        return self._counted[1]
