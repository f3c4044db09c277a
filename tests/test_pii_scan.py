"""Every page a role can reach, scanned for residents' phones and identity numbers the role may not see.

The rule is `households.pii`: phones in full need `households.view_full_phone` (grid workers, cadres, admins),
identity numbers in full need `households.reveal_id_number` and a recorded reveal. A page a persona cannot
reach (redirect, 403, 404) is skipped. The pages are the shared list of `tests.pages`, where a later app adds
its own.
"""

from types import SimpleNamespace

import pytest
from django.utils import timezone

from households.idcard import mask_phone
from households.pii import may_reveal_id_number, may_see_phone
from tests import pages as portal_pages
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory

PERSONAS = ["grid_worker", "cadre", "leader", "mediator", "admin_user", "staff_leader"]
PAGES = {**portal_pages.PAGES, **portal_pages.ADMIN_PAGES}


@pytest.fixture
def staff_leader(leader):
    """The street leader with admin access: view-only admin pages, neither phones nor identity numbers."""
    leader.is_staff = True
    leader.save()
    return leader


@pytest.fixture
def world(household, other_household, grid_worker, cadre, mediator):
    """A household with its phone, a resident with phone and identity number, a visit, a request and a task, a
    heating ticket, and disputes with the resident as a party (`tests.pages.mediation_cases`)."""
    resident = household.residents.get()
    assert household.phone and resident.phone and resident.id_number
    ticket = portal_pages.heating_ticket(household, by=grid_worker, now=timezone.now())
    cases = portal_pages.mediation_cases(
        applicant=resident, respondent=other_household.residents.get(), cadre=cadre, mediator=mediator, by=grid_worker
    )
    return SimpleNamespace(
        household=household,
        resident=resident,
        grid=household.building.grid,
        visit=VisitFactory(household=household, logged_by=grid_worker),
        request=ResidentRequestFactory(household=household, created_by=grid_worker),
        task=VisitTaskFactory(household=household, assignee=grid_worker),
        ticket=ticket,
        inspection=ticket.inspections.get(),
        **vars(cases),
    )


def forbidden_values(user, world):
    values = {}
    if not may_see_phone(user):
        values |= {"household phone": world.household.phone, "resident phone": world.resident.phone}
    if not may_reveal_id_number(user):
        values["identity number"] = world.resident.id_number
    return values


def reachable_pages(client, world):
    for name, url_for in PAGES.items():
        response = client.get(url_for(world))
        if response.status_code == 200:
            yield name, response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_shows_a_phone_or_identity_number_the_role_may_not_see(client_for, request, world, persona):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    forbidden = forbidden_values(user, world)

    reached = []
    for page, content in reachable_pages(client, world):
        reached.append(page)
        leaks = [what for what, value in forbidden.items() if value in content]
        assert not leaks, f"{persona} sees {', '.join(leaks)} on {page}"

    assert "workbench" in reached


def test_the_scan_reaches_the_pages_and_finds_permitted_values(
    client_for, grid_worker, admin_user, staff_leader, world
):
    """The scan is not vacuous: the grid worker's pages show the full phone, the leader reaches the sheet and
    the admin's change pages."""
    worker_pages = dict(reachable_pages(client_for(grid_worker), world))
    leader_pages = dict(reachable_pages(client_for(staff_leader), world))
    admin_pages = dict(reachable_pages(client_for(admin_user), world))

    assert world.resident.phone in worker_pages["household"]
    assert world.household.phone in worker_pages["visit sheet"]
    assert world.household.phone[-4:] in leader_pages["visit sheet"]
    assert {"household", "visit", "request", "visit sheet", "admin household", "admin resident"} <= set(leader_pages)
    assert world.resident.id_number in admin_pages["admin resident"]


def test_the_scan_reaches_the_mediation_pages_with_the_partys_phone(client_for, mediator, cadre, world):
    """The dispute's pages carry the resident's phone as a party's: masked for the mediator (no full phones),
    in full for the cadre who manages the committee."""
    mediator_pages = dict(reachable_pages(client_for(mediator), world))
    cadre_pages = dict(reachable_pages(client_for(cadre), world))

    mediation = {"dispute in mediation", "mediation agreement", "mediation case file", "mediation follow-up"}
    assert mediation | {"mediation watch list", "dispute party search"} <= set(mediator_pages)
    assert mask_phone(world.resident.phone) in mediator_pages["dispute in mediation"]
    assert world.resident.phone in cadre_pages["dispute in mediation"]
