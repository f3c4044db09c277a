"""factory_boy factories for the grid, households and staff; `assign(user, node)` gives a user their grid node."""

import datetime

import factory

from accounts.models import User
from grids.models import Building, Community, Grid, StaffAssignment, Street, forget_scope
from households.idcard import check_digit
from households.models import Household, LeadHousehold, OriginVillage, PartyMember, Resident


def make_id_number(serial, born=datetime.date(1960, 5, 17), region="370811"):
    first17 = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"工作人员{n}")
    password = factory.django.Password("pw-test-2026")
    role = User.Role.GRID_WORKER

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create:
            self.set_role(self.role)


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"黄屯街道{n}")
    party_org_name = "街道党工委"


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"金色嘉苑{n}社区")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    grid = factory.SubFactory(GridFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    units = 2
    floors = 6
    party_group_name = "楼宇党小组"
    party_group_leader = "王建国"


class OriginVillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OriginVillage
        django_get_or_create = ("street", "name")

    street = factory.SubFactory(StreetFactory)
    name = "前屯村"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    building = factory.SubFactory(BuildingFactory)
    unit = 1
    floor = factory.Sequence(lambda n: n % 6 + 1)
    room = factory.Sequence(lambda n: f"{n % 6 + 1}{n:02d}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    household = factory.SubFactory(HouseholdFactory)
    name = "魏永凯"
    gender = Resident.Gender.MALE
    relation = Resident.Relation.HEAD
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    id_number = factory.Sequence(lambda n: make_id_number(n))
    birth_date = datetime.date(1960, 5, 17)


class PartyMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyMember

    resident = factory.SubFactory(ResidentFactory)
    joined_on = datetime.date(1990, 7, 1)


class LeadHouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadHousehold

    party_member = factory.SubFactory(PartyMemberFactory)
    household = factory.SelfAttribute("party_member.resident.household")


def assign(user, node):
    """Assign a user to a street, community or grid."""
    field = node._meta.model_name
    forget_scope(user)
    return StaffAssignment.objects.create(user=user, **{field: node})
