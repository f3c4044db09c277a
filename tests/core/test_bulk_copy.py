"""`core.bulk.copy_rows`, `next_pk` and `reset_sequences`: the loader behind the demo seed, on either database."""

import pytest
from django.utils import timezone

from core.bulk import adapt, copy_rows, next_pk, reset_sequences
from households.models import Household, SearchKey
from tests.factories import BuildingFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def test_text_with_tabs_newlines_and_backslashes_arrives_unchanged():
    household = HouseholdFactory()
    keys = ["a\tb", "line\nbreak", "back\\slash", "cr\rhere", "\\N"]

    sent = copy_rows(SearchKey, ("household_id", "key"), [(household.pk, key) for key in keys])

    assert sent == len(keys)
    assert sorted(SearchKey.objects.filter(household=household).values_list("key", flat=True)) == sorted(keys)


def test_columns_left_out_get_their_field_defaults():
    building = BuildingFactory()
    first = next_pk(Household)
    created_at = adapt(timezone.now())

    copy_rows(
        Household,
        ("id", "building_id", "unit", "floor", "room", "created_at"),
        [(first, building.pk, 1, 5, "501", created_at), (first + 1, building.pk, 1, 5, "502", created_at)],
    )
    reset_sequences([Household])

    loaded = Household.objects.get(pk=first)
    assert (loaded.status, loaded.phone, loaded.note, loaded.lead_household_id) == ("resident", "", "", None)
    assert HouseholdFactory(building=building).pk == first + 2 == next_pk(Household) - 1


def test_no_rows_sends_nothing():
    assert copy_rows(SearchKey, ("household_id", "key"), []) == 0
