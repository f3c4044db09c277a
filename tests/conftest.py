"""Personas: named users whose permissions make tests read like sentences.

`grid` and `other_grid` are two grids of one community; `grid_worker` works the first, `other_grid_worker`
the second, `cadre` the whole community, `leader` the street (read-only), `mediator` nothing by grid.
"""

import os

import pytest
from django.apps import apps as django_apps
from django.core.cache import caches

from accounts.models import User
from core import refdata
from households.services import reindex_households
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
    assign,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_figures():
    """Every test counts its own figures: none kept from an earlier test (core.figures)."""
    caches["figures"].clear()


@pytest.fixture(autouse=True)
def reference_data(request):
    """Rows that data migrations create (role groups and their permissions, priority groups, visit policies, the
    beat schedule), as each app registers them in `core.refdata`. A transactional test flushes every table when
    it ends, so the next one puts them back."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    refdata.load_all(django_apps)


@pytest.fixture
def street(db):
    return StreetFactory(name="黄屯街道")


@pytest.fixture
def community(street):
    return CommunityFactory(street=street, name="金色嘉苑社区")


@pytest.fixture
def grid(community):
    return GridFactory(community=community, name="东区第一网格", area="东区")


@pytest.fixture
def other_grid(community):
    return GridFactory(community=community, name="西区第一网格", area="西区")


@pytest.fixture
def building(grid):
    return BuildingFactory(grid=grid, number="3")


@pytest.fixture
def other_building(other_grid):
    return BuildingFactory(grid=other_grid, number="12")


@pytest.fixture
def household(building):
    household = HouseholdFactory(building=building, unit=2, floor=5, room="501")
    ResidentFactory(household=household, name="魏永凯")
    reindex_households([household.pk])
    return household


@pytest.fixture
def other_household(other_building):
    household = HouseholdFactory(building=other_building, unit=1, floor=3, room="301")
    ResidentFactory(household=household, name="单雄信")
    reindex_households([household.pk])
    return household


@pytest.fixture
def grid_worker(grid):
    user = UserFactory(username="grid01", full_name="张立平", role=User.Role.GRID_WORKER)
    assign(user, grid)
    return user


@pytest.fixture
def other_grid_worker(other_grid):
    user = UserFactory(username="grid02", full_name="李红", role=User.Role.GRID_WORKER)
    assign(user, other_grid)
    return user


@pytest.fixture
def cadre(community):
    user = UserFactory(username="cadre", full_name="姚凌燕", role=User.Role.CADRE)
    assign(user, community)
    return user


@pytest.fixture
def leader(street):
    user = UserFactory(username="leader", full_name="王书记", role=User.Role.LEADER)
    assign(user, street)
    return user


@pytest.fixture
def mediator(db):
    return UserFactory(username="mediator", full_name="张艳国", role=User.Role.MEDIATOR)


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("admin", "admin@example.com", "pw-test-2026", role=User.Role.ADMIN)


@pytest.fixture
def client_for(client):
    """Log the client in as the given persona: `client_for(grid_worker).get(...)`."""

    def login(user):
        client.force_login(user)
        return client

    return login


def pytest_sessionfinish(session, exitstatus):
    """In CI (PYTEST_FAIL_ON_SKIP=1) a skipped test fails the run: every test must run there."""
    if os.environ.get("PYTEST_FAIL_ON_SKIP") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and reporter.stats.get("skipped"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
