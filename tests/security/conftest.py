"""Fixtures of the security tests: a household in another community, a client that returns 500s instead of raising,
and a cadre with staff status (the admin's door)."""

import pytest
from django.test import Client

from households.models import IdentityReveal
from households.services import reindex_households
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    LeadHouseholdFactory,
    PartyMemberFactory,
    ResidentFactory,
    make_id_number,
)
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory


@pytest.fixture
def staff_cadre(cadre):
    cadre.is_staff = True
    cadre.save(update_fields=["is_staff"])
    return cadre


@pytest.fixture
def far_household(street, admin_user):
    """A household of another community of the street, with a resident, a party member leading it, a visit, a task,
    a request and an identity-number reveal: nothing a cadre of the first community may open."""
    community = CommunityFactory(street=street, name="远方社区")
    building = BuildingFactory(grid=GridFactory(community=community, name="远方网格"), number="88")
    household = HouseholdFactory(building=building, unit=1, floor=8, room="808")
    resident = ResidentFactory(household=household, name="远方居民", id_number=make_id_number(808))
    LeadHouseholdFactory(party_member=PartyMemberFactory(resident=resident))
    VisitFactory(household=household, logged_by=admin_user, problem="远方走访记录")
    VisitTaskFactory(household=household)
    ResidentRequestFactory(household=household, description="远方诉求")
    IdentityReveal.objects.create(user=admin_user, resident=resident)
    reindex_households([household.pk])
    return household


@pytest.fixture
def quiet_client():
    """A test client that answers a server error with its 500 page (as a browser sees it) instead of raising."""

    def make(user=None):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        return client

    return make
