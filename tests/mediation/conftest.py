"""Mediation fixtures: the personas' community's committee with its roster (the `mediator` persona is on it),
another rostered mediator, another community's cadre, and an accepted neighbour dispute between the residents
of `household` and `other_household`, mediated by the `mediator` persona."""

import pytest

from accounts.models import User
from grids.models import StaffAssignment
from mediation.models import Dispute, Mediator, Party
from mediation.services import party_from_resident, register_dispute
from tests.factories import CommunityFactory, UserFactory


@pytest.fixture
def roster(community, mediator):
    """The committee's roster: the `mediator` persona (a legal worker) and an old teacher who signs in too."""
    return {
        "mediator": Mediator.objects.create(
            community=community,
            name=mediator.full_name,
            category=Mediator.Category.LEGAL_WORKER,
            skills=["neighbour", "contract"],
            phone="13905370001",
            user=mediator,
        ),
        "teacher": Mediator.objects.create(
            community=community,
            name="刘守义",
            category=Mediator.Category.OLD_TEACHER,
            skills=["family", "neighbour"],
            user=UserFactory(username="mediator2", full_name="刘守义", role=User.Role.MEDIATOR),
        ),
        "veteran": Mediator.objects.create(
            community=community, name="高建军", category=Mediator.Category.OLD_VETERAN, skills=["housing"]
        ),
    }


@pytest.fixture
def other_mediator(roster):
    """A mediator of the same committee who is not assigned to `dispute`."""
    return roster["teacher"].user


@pytest.fixture
def other_community_cadre(street):
    other = CommunityFactory(street=street, name="幸福里社区")
    user = UserFactory(username="cadre_other", full_name="孔繁华", role=User.Role.CADRE)
    StaffAssignment.objects.create(user=user, community=other)
    return user


@pytest.fixture
def new_dispute(community, grid, household, other_household, cadre, roster):
    """A neighbour dispute just registered (登记) by the cadre, the `mediator` persona assigned as lead."""
    return register_dispute(
        community=community,
        grid=grid,
        by=cadre,
        parties=[
            party_from_resident(household.residents.get(), side=Party.Side.APPLICANT, claims="赔偿漏水损失 2000 元"),
            party_from_resident(other_household.residents.get(), side=Party.Side.RESPONDENT, claims="只同意修好防水"),
        ],
        mediators=[roster["mediator"]],
        dispute_type="neighbour",
        source=Dispute.Source.WALK_IN,
        risk=Dispute.Risk.YELLOW,
        title="楼上漏水致楼下受损",
        facts="12号楼1单元301室卫生间漏水，致3号楼2单元501室天花板受损。",
        matters="损失金额及维修责任",
    )


@pytest.fixture
def dispute(new_dispute, cadre):
    """The same dispute, accepted (受理): its one-month deadline runs."""
    return new_dispute.advance(Dispute.State.ACCEPTED, by=cadre)
