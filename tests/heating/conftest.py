"""Heating fixtures: the current season of the personas' community, a company supplying their buildings."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from heating.models import BuildingSupply, HeatingCompany, HeatingSeason


@pytest.fixture
def season(community):
    """A season running today (tests run on any date; the season's own edges are tested with explicit dates)."""
    today = timezone.localdate()
    return HeatingSeason.objects.create(
        community=community,
        name="本供暖季",
        starts_on=today - datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=100),
    )


@pytest.fixture
def company(building, other_building):
    company = HeatingCompany.objects.create(name="济宁热力公司", contact_person="孙经理", phone="05372345678")
    BuildingSupply.objects.create(building=building, company=company)
    BuildingSupply.objects.create(building=other_building, company=company)
    return company


@pytest.fixture
def heating(season, company):
    return season


def celsius(value):
    return Decimal(str(value))
