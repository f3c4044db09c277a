"""A hand-built street whose coverage figures are known exactly.

黄屯街道
├── 金色嘉苑社区
│   ├── 东区第一网格 (grid; grid_worker)         buildings 1 (party group) and 2 (no group leader)
│   │     building 1: 4 households, 2 linked to the lead household in it; building 2: 2 households, none linked
│   └── 西区第一网格 (other_grid; only an inactive grid worker)   building 3 (party group): 3 households, all linked
└── 西城社区
    └── 西城第一网格 (staffed, no buildings)
"""

from types import SimpleNamespace

import pytest

from accounts.models import User
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    LeadHouseholdFactory,
    UserFactory,
    assign,
)

GRIDS_MEASURES = ("linked", "group", "staffed")


@pytest.fixture
def grids_measures_only(monkeypatch):
    """Only the grids app's own coverage measures, without those other apps register (visits: 按期走访), for
    tests whose expected below-target nodes are worked out from the grids figures alone."""
    from grids import coverage

    monkeypatch.setattr(coverage, "MEASURES", [m for m in coverage.MEASURES if m.key in GRIDS_MEASURES])


def households_in(building, count, lead=None):
    return [HouseholdFactory(building=building, lead_household=lead) for _ in range(count)]


@pytest.fixture
def coverage_street(street, community, grid, other_grid, grid_worker):
    b1 = BuildingFactory(grid=grid, number="1")
    b2 = BuildingFactory(grid=grid, number="2", party_group_leader="")
    b3 = BuildingFactory(grid=other_grid, number="3")

    h1, _h2, _h3, _h4 = households_in(b1, 4)
    lead1 = LeadHouseholdFactory(party_member__resident__household=h1)
    for household in (_h2, _h3):
        household.lead_household = lead1
        household.save()
    households_in(b2, 2)
    (h5,) = households_in(b3, 1)
    lead3 = LeadHouseholdFactory(party_member__resident__household=h5)
    h5.lead_household = lead3
    h5.save()
    households_in(b3, 2, lead=lead3)

    inactive = UserFactory(username="grid-left", role=User.Role.GRID_WORKER, is_active=False)
    assign(inactive, other_grid)

    west = CommunityFactory(street=street, name="西城社区")
    west_grid = GridFactory(community=west, name="西城第一网格")
    assign(UserFactory(username="grid-west", role=User.Role.GRID_WORKER), west_grid)
    return SimpleNamespace(
        street=street,
        community=community,
        west=west,
        grid=grid,
        other_grid=other_grid,
        west_grid=west_grid,
        b1=b1,
        b2=b2,
        b3=b3,
    )


def build_grids(community, count, households_per_building=2):
    """`count` grids of one building each, each building with a few households and a grid worker."""
    grids = []
    for _ in range(count):
        grid = GridFactory(community=community)
        building = BuildingFactory(grid=grid)
        households_in(building, households_per_building)
        assign(UserFactory(role=User.Role.GRID_WORKER), grid)
        grids.append(grid)
    return grids
