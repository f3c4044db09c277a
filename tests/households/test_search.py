import pytest

from households.models import Household, SearchKey
from households.rows import matched_residents
from households.search import name_keys, name_readings, normalize_query, query_words
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


def make_household(building, unit, room, *people):
    """A household of (name, relation) residents, its search keys built."""
    household = HouseholdFactory(building=building, unit=unit, floor=int(room[:-2]), room=room)
    for name, relation in people:
        ResidentFactory(household=household, name=name, relation=relation)
    reindex_households([household.pk])
    return household


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("shan xiong xin", ["shanxiongxin"]),
        ("Wei Yong Kai", ["weiyongkai"]),
        ("王 3-2", ["王", "3-2"]),
        ("wang 3-2 fang", ["wang", "3-2", "fang"]),
        ("tiangr", ["tiangr"]),
        ("a 1 b 2 c 3 d 4", ["a", "1", "b", "2", "c"]),
        ("x" * 80, ["x" * 50]),
        ("  ·  ", []),
    ],
)
def test_query_words(text, words):
    assert query_words(text) == words


def test_name_keys_mix_full_syllables_and_initials():
    keys = name_keys("田国荣")
    assert {"tianguorong", "tiangrong", "tguorong", "tgrong", "田国荣", "国荣"} <= keys


@pytest.mark.parametrize("query", ["tiangr", "tgr", "tianguor", "tguor", "tgrong", "TianGR", "tian g r"])
def test_mixed_pinyin_finds_the_person(query, building):
    household = make_household(building, 1, "101", ("田国荣", "head"))
    make_household(building, 1, "102", ("田国华", "head"))
    assert list(Household.objects.search(query)) == [household]


def test_a_shorter_mix_finds_everyone_it_starts(building):
    rong = make_household(building, 1, "101", ("田国荣", "head"))
    hua = make_household(building, 1, "102", ("田国华", "head"))
    assert set(Household.objects.search("tiang")) == {rong, hua}


@pytest.mark.parametrize("query", ["shan xiong xin", "Shan Xiong Xin", "dan xiong xin", "shan x x", "单 雄信"])
def test_syllables_typed_apart_are_read_as_one_name(query, other_household):
    assert list(Household.objects.search(query)) == [other_household]


def test_name_and_building_unit_narrow_to_one_household(building):
    wang_in_3_2 = make_household(building, 2, "301", ("季金生", "head"), ("王秀英", "spouse"))
    make_household(building, 1, "301", ("王秀兰", "head"))
    make_household(building, 2, "302", ("李强", "head"))
    assert list(Household.objects.search("王 3-2")) == [wang_in_3_2]
    assert list(Household.objects.search("wxy 3-2")) == [wang_in_3_2]


def test_each_word_must_match_the_same_household(building):
    make_household(building, 1, "101", ("田国荣", "head"))
    make_household(building, 2, "101", ("单雄信", "head"))
    assert not Household.objects.search("tgr 3-2").exists()


def test_resident_keys_name_the_resident_and_household_keys_name_none(building):
    household = make_household(building, 2, "501", ("季金生", "head"), ("曾国强", "child"))
    son = household.residents.get(name="曾国强")
    assert set(SearchKey.objects.filter(key="zengguoqiang").values_list("resident_id", flat=True)) == {son.pk}
    assert SearchKey.objects.get(key="3-2-501").resident_id is None


def test_matched_residents_are_the_ones_a_word_matched(building):
    household = make_household(building, 2, "501", ("季金生", "head"), ("曾国强", "child"))
    son = household.residents.get(name="曾国强")
    assert matched_residents([household.pk], ["zengguoqiang"]) == {household.pk: {son.pk}}
    assert matched_residents([household.pk], ["3-2-501"]) == {}


def test_each_word_and_the_matched_residents_are_read_through_indexes_on_postgresql(building):
    """Each word is one range scan of the key index (varchar_pattern_ops), the matched residents one probe of the
    household index per result; on SQLite (no pattern index for LIKE) only the answers are checked."""
    from django.db import connection

    household = make_household(building, 2, "501", ("季金生", "head"), ("曾国强", "child"))
    words = query_words("zeng guo qiang 3-2")
    assert list(Household.objects.search("zeng guo qiang 3-2")) == [household]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        search = Household.objects.search("zeng guo qiang 3-2").values("pk")
        assert "searchkey_key_prefix" in search.explain()
        matched = SearchKey.objects.filter(household_id__in=[household.pk], key__startswith=words[0])
        assert "household_id" in matched.explain()
