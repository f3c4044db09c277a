"""Writes to households and residents rebuild the search keys they change, in the same transaction."""

import pytest

from households.models import Household, Resident
from households.services import delete_residents, save_household, save_resident
from tests.factories import HouseholdFactory, ResidentFactory


def test_save_resident_reindexes_the_household_it_left_and_the_one_it_joined(household, building):
    resident = household.residents.get()
    other = HouseholdFactory(building=building)
    resident.household = other

    save_resident(resident=resident, previous_household_id=household.pk)

    assert list(Household.objects.search("wyk")) == [other]


def test_save_household_with_residents_is_one_transaction(household):
    household.phone = "13900001111"

    def fail():
        ResidentFactory(household=household, name="单雄信", relation=Resident.Relation.CHILD)
        raise RuntimeError("inline failed")

    with pytest.raises(RuntimeError):
        save_household(household=household, save_residents=fail)

    household.refresh_from_db()
    assert household.phone != "13900001111"
    assert not Resident.objects.filter(name="单雄信").exists()


def test_save_household_reindexes_residents_saved_with_it(household):
    save_household(
        household=household,
        save_residents=lambda: ResidentFactory(household=household, name="单雄信", relation=Resident.Relation.CHILD),
    )

    assert list(Household.objects.search("sxx")) == [household]


@pytest.mark.parametrize("as_queryset", [True, False])
def test_delete_residents_reindexes_their_households(household, other_household, as_queryset):
    residents = Resident.objects.filter(household__in=[household, other_household])

    delete_residents(residents=residents if as_queryset else list(residents))

    assert not Household.objects.search("wyk").exists()
    assert not Household.objects.search("sxx").exists()
