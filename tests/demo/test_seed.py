"""The demo households `seed_demo` makes: heads, identity numbers, party members, lead households, search."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.models import User
from grids.models import Grid
from households.idcard import birth_date_of, validate_id_number
from households.models import Household, LeadHousehold, PartyMember, Resident, SearchKey
from households.services import reindex_households

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", households=60, stdout=io.StringIO())


def test_every_household_has_exactly_one_head(demo):
    heads = Household.objects.annotate(heads=Count("residents", filter=Q(residents__relation="head")))

    assert heads.count() == 60
    assert set(heads.values_list("heads", flat=True)) == {1}


def test_identity_numbers_are_valid_and_match_birth_dates(demo):
    residents = list(Resident.objects.all())

    assert len(residents) > 100
    for resident in residents:
        validate_id_number(resident.id_number)
        assert birth_date_of(resident.id_number) == resident.birth_date
        assert int(resident.id_number[16]) % 2 == (resident.gender == "male")
        assert resident.id_number[:6] in {"370811", "370812", "370883", "370881"}


def test_households_come_from_a_dozen_villages_and_spread_over_floors(demo):
    assert Household.objects.values("origin_village").distinct().count() >= 6
    assert Household.objects.values("floor").distinct().count() >= 4
    for household in Household.objects.select_related("building"):
        assert 1 <= household.unit <= household.building.units
        assert 1 <= household.floor <= household.building.floors
        assert household.room.startswith(str(household.floor)) and len(household.room) in (3, 4)


def test_some_residents_are_party_members_with_join_dates(demo):
    members = PartyMember.objects.select_related("resident")
    share = members.count() / Resident.objects.count()

    assert 0.03 <= share <= 0.1
    for member in members:
        assert member.joined_on > member.resident.birth_date
        assert member.joined_on <= timezone.localdate()


def test_lead_households_are_party_households_linking_their_own_building(demo):
    leads = LeadHousehold.objects.select_related("household", "party_member__resident")

    assert leads.exists()
    for lead in leads:
        assert lead.party_member.resident.household_id == lead.household_id
        assert lead.party_member.party_role == PartyMember.PartyRole.LEAD_HOUSEHOLD
    assert not Household.objects.exclude(lead_household=None).exclude(lead_household__household__building=F("building"))


def test_not_every_household_is_linked_to_a_lead_household(demo):
    linked = Household.objects.exclude(lead_household=None).count()

    assert 0 < linked < Household.objects.count()


def test_elders_of_80_and_over_are_tagged(demo):
    today = timezone.localdate()
    cutoff = today.replace(year=today.year - 80)
    tagged = set(Resident.objects.filter(priority_groups__code="aged_80").values_list("pk", flat=True))

    assert tagged == set(Resident.objects.filter(birth_date__lte=cutoff).values_list("pk", flat=True))


def test_single_elders_are_tagged_living_alone(demo):
    alone = Resident.objects.filter(priority_groups__code="living_alone")

    assert alone.exists()
    for resident in alone:
        assert resident.household.residents.count() == 1
        assert resident.age >= 60


def test_wei_yongkai_is_found_by_pinyin_initials(demo):
    found = Household.objects.search("wyk").filter(residents__name="魏永凯").select_related("building__grid")

    household = found.get()
    assert household.room_code == "3-2-501"
    assert household.building.grid.name == "东区第一网格"
    assert household.residents.get(relation="head").name == "魏永凯"
    assert Household.objects.search("weiyongkai").filter(pk=household.pk).exists()
    assert Household.objects.search("3-2-501").filter(pk=household.pk).exists()


def test_search_keys_are_the_ones_reindex_builds(demo):
    written = set(SearchKey.objects.values_list("household_id", "resident_id", "key"))

    reindex_households(Household.objects.values_list("pk", flat=True))

    assert set(SearchKey.objects.values_list("household_id", "resident_id", "key")) == written


def test_grid01_sees_only_the_households_of_their_grid(demo):
    grid01 = User.objects.get(username="grid01")
    grid = Grid.objects.get(name="东区第一网格")

    visible = Household.objects.visible_to(grid01)

    assert visible.count() == Household.objects.filter(building__grid=grid).count() > 0
    assert not visible.exclude(building__grid=grid).exists()
    assert visible.count() < Household.objects.count()


def test_buildings_mostly_have_a_party_group(demo):
    buildings = [b for grid in Grid.objects.all() for b in grid.buildings.all()]

    with_group = [b for b in buildings if b.party_group_name]
    assert len(buildings) > len(with_group) >= len(buildings) * 0.6
    assert any(b.has_party_group for b in buildings)
