"""The portal's main pages, in one list that the page-wide tests share, and a small world that fills them.

`PAGES` maps a page's name to a function from the `world` (household, resident, visit, request, grid …) to its
URL; `ADMIN_PAGES` does the same for the admin pages a role may open; `PUBLIC_PAGES` are pages for anyone,
with the status they answer. tests/test_pii_scan.py, tests/test_html_validity.py and
tests/browser/test_accessibility.py go over them for every persona: a later app adds its pages here once.
A page a persona cannot reach (redirect, 403, 404) is left out for that persona.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from heating.models import BuildingSupply, HeatingCompany, HeatingSeason, HeatingTicket
from heating.services import Reading, record_inspection, record_reply
from households.models import PriorityGroup, Resident
from households.services import reindex_households
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import ResidentRequest, Visit, VisitStatus

# The personas whose main pages the page-wide tests go over (the admin's own pages are Django's).
ROLES = ["grid_worker", "cadre", "leader", "mediator"]


def query(url_name, *args, **params):
    url = reverse(url_name, args=args)
    return f"{url}?{'&'.join(f'{key}={value}' for key, value in params.items())}" if params else url


PAGES = {
    "workbench": lambda w: reverse("workbench"),
    "household search": lambda w: query("household_list", q="wyk"),
    "household search by phone": lambda w: query("household_list", q=w.resident.phone[-4:]),
    "grids to browse": lambda w: reverse("grid_list"),
    "buildings of a grid": lambda w: reverse("building_list", args=[w.household.building.grid_id]),
    "units of a building": lambda w: reverse("building_detail", args=[w.household.building_id]),
    "households of a unit": lambda w: reverse("unit_detail", args=[w.household.building_id, w.household.unit]),
    "household": lambda w: reverse("household_detail", args=[w.household.pk]),
    "visit form": lambda w: query("visit_create", household=w.household.pk),
    "visit": lambda w: reverse("visit_detail", args=[w.visit.pk]),
    "visit tasks": lambda w: reverse("visittask_list"),
    "visit task backlog": lambda w: query("visittask_list", view="backlog"),
    "visit sheet": lambda w: query("visit_sheet", building=w.household.building_id),
    "visit sheet entry": lambda w: query("visit_backfill", building=w.household.building_id),
    "requests": lambda w: reverse("request_list"),
    "request form": lambda w: query("request_create", household=w.household.pk),
    "request": lambda w: reverse("request_detail", args=[w.request.pk]),
    "coverage": lambda w: reverse("coverage"),
    "coverage of a grid": lambda w: query("coverage", grid=w.household.building.grid_id),
    "notifications": lambda w: reverse("notification_list"),
    "heating dashboard": lambda w: reverse("heating_dashboard"),
    "heating dashboard of a grid": lambda w: query("heating_dashboard", grid=w.household.building.grid_id),
    "heating tickets": lambda w: reverse("ticket_list"),
    "heating ticket": lambda w: reverse("ticket_detail", args=[w.ticket.pk]),
    "heating inspection form": lambda w: query("inspection_create", household=w.household.pk),
    "heating inspection": lambda w: reverse("inspection_detail", args=[w.inspection.pk]),
}

ADMIN_PAGES = {
    "admin households": lambda w: reverse("admin:households_household_changelist"),
    "admin household": lambda w: reverse("admin:households_household_change", args=[w.household.pk]),
    "admin residents": lambda w: reverse("admin:households_resident_changelist"),
    "admin resident": lambda w: reverse("admin:households_resident_change", args=[w.resident.pk]),
}

# Pages for anyone, signed in or not, with the status they answer.
PUBLIC_PAGES = {
    "sign in": ("/accounts/login/", 200),
    "missing page": ("/no-such-page/", 404),
}


def build_world(*, household, other_household, grid_worker, other_grid_worker, cadre, leader, mediator):
    """A small lived-in community so no list is empty: households with members and priority tags, tasks overdue
    and due today, an unassigned backlog, requests open, overdue and closed, a visit in three parts, notifications
    read and unread for every persona."""
    now = timezone.now()
    today = timezone.localdate()
    building = household.building
    elderly = PriorityGroup.objects.order_by("order").first()

    head = household.residents.get()
    head.priority_groups.add(elderly)
    ResidentFactory(
        household=household, name="王秀英", gender=Resident.Gender.FEMALE, relation=Resident.Relation.SPOUSE
    )
    neighbours = [HouseholdFactory(building=building, unit=unit, floor=floor) for unit, floor in ((1, 2), (2, 3))]
    ResidentFactory(household=neighbours[0], name="曾国强")
    ResidentFactory(household=neighbours[1], name="李桂兰", gender=Resident.Gender.FEMALE)
    second_building = BuildingFactory(grid=building.grid, number="10")
    ResidentFactory(household=HouseholdFactory(building=second_building, unit=1, floor=1), name="赵建华")
    reindex_households([neighbours[0].pk, neighbours[1].pk, *second_building.households.values_list("pk", flat=True)])

    VisitStatus.objects.create(
        household=household,
        interval_days=30,
        last_visited_at=now - datetime.timedelta(days=40),
        due_on=today - datetime.timedelta(days=10),
        refreshed_at=now,
    )
    visit = VisitFactory(
        household=household,
        logged_by=grid_worker,
        visited_at=now - datetime.timedelta(days=40),
        problem="楼道灯不亮，老人夜间出行不便",
        measures="当场联系物业报修",
        feedback="物业答应三日内更换",
        handling=Visit.Handling.TAKEN_BACK,
    )
    VisitFactory(household=neighbours[0], logged_by=grid_worker, outcome=Visit.Outcome.NOT_HOME)

    def task(target, due_in, assignee=grid_worker, **fields):
        due = today + datetime.timedelta(days=due_in)
        return VisitTaskFactory(
            household=target, assignee=assignee, earliest_on=due - datetime.timedelta(days=14), due_on=due, **fields
        )

    visit_task = task(household, -3)
    task(neighbours[0], 0)
    task(neighbours[1], -20, assignee=None)
    task(other_household, -2, assignee=other_grid_worker)

    request = ResidentRequestFactory(
        household=household, created_by=grid_worker, due_at=now - datetime.timedelta(days=1), raised_in=visit
    )
    ResidentRequestFactory(household=neighbours[0], created_by=grid_worker, category=ResidentRequest.Category.HEATING)
    ResidentRequestFactory(
        household=neighbours[1],
        created_by=grid_worker,
        state=ResidentRequest.State.CLOSED,
        closed_at=now,
        satisfaction=ResidentRequest.Satisfaction.SATISFIED,
    )
    ResidentRequestFactory(household=other_household, created_by=other_grid_worker)

    for user in (grid_worker, other_grid_worker, cadre, leader, mediator):
        Notification.objects.create(
            user=user, key=f"world:{user.pk}:overdue", title="今日走访提醒：逾期 1 户", url=reverse("visittask_list")
        )
        Notification.objects.create(user=user, key=f"world:{user.pk}:read", title="诉求已办结", read_at=now)

    ticket = heating_ticket(household, by=grid_worker, now=now)

    return SimpleNamespace(
        household=household,
        resident=head,
        visit=visit,
        request=request,
        task=visit_task,
        grid=building.grid,
        ticket=ticket,
        inspection=ticket.inspections.get(),
    )


def heating_ticket(household, *, by, now):
    """A running season, the building's company, a cold inspection whose ticket is overdue with a reply."""
    today = timezone.localdate()
    HeatingSeason.objects.create(
        community=household.building.grid.community,
        name="本供暖季",
        starts_on=today - datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=100),
    )
    company = HeatingCompany.objects.create(name="济宁热力公司", contact_person="孙经理", phone="05372345678")
    BuildingSupply.objects.create(building=household.building, company=company)
    inspection, _created = record_inspection(
        household=household,
        by=by,
        readings=[Reading("bedroom", Decimal("16.5"), label="主卧"), Reading("living", Decimal("18.5"))],
        valve="fully_open",
        faults=["cold_valve_open"],
    )
    HeatingTicket.objects.filter(pk=inspection.ticket_id).update(deadline_at=now - datetime.timedelta(hours=26))
    record_reply(ticket=inspection.ticket, by=by, note="热力公司：已派单，明早上门")
    return HeatingTicket.objects.get(pk=inspection.ticket_id)
