"""CappedPaginator: counts at most `cap` rows, and says whether there are more."""

import pytest

from core.paging import CappedPaginator
from grids.models import Grid
from tests.factories import GridFactory


def test_a_list_is_counted_up_to_the_cap():
    capped = CappedPaginator(list(range(25)), 10, cap=20)
    assert (capped.count, capped.capped, capped.num_pages) == (20, True, 2)

    exact = CappedPaginator(list(range(20)), 10, cap=20)
    assert (exact.count, exact.capped) == (20, False)


@pytest.mark.django_db
def test_a_queryset_is_counted_in_one_query_up_to_the_cap(community, django_assert_num_queries):
    GridFactory.create_batch(4, community=community)
    paginator = CappedPaginator(Grid.objects.order_by("name"), 2, cap=3)

    with django_assert_num_queries(1):
        assert (paginator.count, paginator.capped) == (3, True)
    assert [grid.pk for grid in paginator.page(2)] == list(
        Grid.objects.order_by("name").values_list("pk", flat=True)[2:3]
    )


def test_it_counts_the_rows_it_is_given_to_count():
    paginator = CappedPaginator(list(range(25)), 10, cap=100, counted=list(range(7)))
    assert (paginator.count, paginator.capped, paginator.num_pages) == (7, False, 1)
