import pytest

from households.models import Household, SearchKey
from households.search import name_readings, normalize_query
from households.services import reindex_households
from tests.factories import HouseholdFactory, ResidentFactory


def test_heteronym_surnames_have_every_reading():
    readings = name_readings("单雄信")
    assert ("shanxiongxin", "sxx") in readings
    assert ("danxiongxin", "dxx") in readings
    assert {full for full, _ in name_readings("曾国藩")} >= {"zengguofan", "cengguofan"}


def test_room_code_keeps_dashes_and_drops_spaces():
    assert normalize_query(" 3-2-501 ") == "3-2-501"
    assert normalize_query("Wei Yong Kai") == "weiyongkai"


@pytest.mark.parametrize(
    "query", ["wyk", "weiyongkai", "WYK", "魏永凯", "永凯", "3-2-501", "3-2", "2345", "13853712345"]
)
def test_household_is_found_by(query, building):
    household = HouseholdFactory(building=building, unit=2, room="501", phone="13853712345")
    ResidentFactory(household=household, name="魏永凯")
    reindex_households([household.pk])
    assert list(Household.objects.search(query)) == [household]


@pytest.mark.parametrize("query", ["sxx", "dxx", "shanxiongxin", "danxiongxin"])
def test_heteronym_surname_is_found_under_each_reading(query, other_household):
    assert list(Household.objects.search(query)) == [other_household]


def test_search_words_narrow_each_other(building):
    first = HouseholdFactory(building=building, unit=1, room="101")
    ResidentFactory(household=first, name="王芳")
    second = HouseholdFactory(building=building, unit=2, room="101")
    ResidentFactory(household=second, name="王芳")
    reindex_households([first.pk, second.pk])
    assert set(Household.objects.search("wf")) == {first, second}
    assert list(Household.objects.search("wf 3-2")) == [second]


def test_reindex_replaces_old_keys(household):
    resident = household.residents.get()
    resident.name = "曾小红"
    resident.save()
    reindex_households([household.pk])
    assert not Household.objects.search("wyk").exists()
    assert Household.objects.search("zxh").get() == household


def test_deleting_a_household_removes_its_search_keys(household):
    household.residents.all().delete()
    household.delete()
    assert not SearchKey.objects.exists()
