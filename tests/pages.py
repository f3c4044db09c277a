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

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from heating.models import BuildingSupply, HeatingCompany, HeatingSeason, HeatingTicket
from heating.services import Reading, record_inspection, record_reply
from households.models import PriorityGroup, Resident
from households.services import reindex_households
from mediation.models import Dispute, DisputeType, Mediator, Party
from mediation.services import conclude_success, flag_early_sign, party_from_resident, record_session, register_dispute
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import ResidentRequest, Visit, VisitStatus

# The personas whose main pages the page-wide tests go over (the admin's own pages are Django's).
ROLES = ["grid_worker", "cadre", "leader", "mediator"]


def this_month():
    return f"{timezone.localdate():%Y-%m}"


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
    "mediation": lambda w: reverse("mediation_index"),
    "mediation open disputes": lambda w: query("mediation_index", state="open", month=this_month()),
    "dispute form": lambda w: reverse("dispute_create"),
    "dispute form for a household": lambda w: query("dispute_create", household=w.household.pk),
    "dispute form from a watch item": lambda w: query("dispute_create", watch=w.watch_item.pk),
    "dispute party search": lambda w: query("dispute_party_search", q="wyk"),
    "dispute in mediation": lambda w: reverse("dispute_detail", args=[w.dispute.pk]),
    "dispute settled": lambda w: reverse("dispute_detail", args=[w.settled_dispute.pk]),
    "mediation session form": lambda w: reverse("session_create", args=[w.dispute.pk]),
    "mediation agreement": lambda w: reverse("dispute_agreement", args=[w.settled_dispute.pk]),
    "mediation case file": lambda w: reverse("dispute_case_file", args=[w.settled_dispute.pk]),
    "mediation follow-up": lambda w: reverse("followup_record", args=[w.follow_up.pk]),
    "mediation watch list": lambda w: reverse("watch_list"),
    "monthly report": lambda w: reverse("report"),
    "monthly report of a grid": lambda w: query("report", node=f"grid:{w.grid.pk}", month=this_month()),
    "monthly report rows": lambda w: query(
        "report_rows", "visit_coverage", "unvisited", node=f"grid:{w.grid.pk}", month=this_month()
    ),
    "monthly report printed": lambda w: query("report_print", node=f"grid:{w.grid.pk}", month=this_month()),
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
    cases = mediation_cases(
        applicant=head, respondent=other_household.residents.first(), cadre=cadre, mediator=mediator, by=grid_worker
    )

    return SimpleNamespace(
        household=household,
        resident=head,
        visit=visit,
        request=request,
        task=visit_task,
        grid=building.grid,
        ticket=ticket,
        inspection=ticket.inspections.get(),
        **vars(cases),
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


def mediation_cases(*, applicant, respondent, cadre, mediator, by):
    """The applicant's community's committee with the `mediator` persona on its roster; two neighbour disputes
    between the applicant and the respondent that the cadre registered and accepted and the mediator held a
    session on — one still in mediation, one settled with a written agreement and its follow-up; and a watch item
    raised by two early signs `by` flagged on visits to the applicant's household. The dispute's parties carry
    the residents' phones, which only some roles may see in full."""
    today = timezone.localdate()
    household = applicant.household
    community = household.building.grid.community
    lead = Mediator.objects.create(
        community=community,
        name=mediator.full_name,
        category=Mediator.Category.LEGAL_WORKER,
        skills=["neighbour", "contract"],
        phone="13905370001",
        user=mediator,
    )
    Mediator.objects.create(
        community=community, name="刘守义", category=Mediator.Category.OLD_TEACHER, skills=["family", "neighbour"]
    )

    def accepted_dispute(title):
        dispute = register_dispute(
            community=community,
            grid=household.building.grid,
            by=cadre,
            parties=[
                party_from_resident(applicant, side=Party.Side.APPLICANT, claims="赔偿漏水损失 2000 元"),
                party_from_resident(respondent, side=Party.Side.RESPONDENT, claims="只同意修好防水"),
            ],
            mediators=[lead],
            dispute_type=DisputeType.NEIGHBOUR,
            title=title,
            facts="楼上卫生间漏水，致楼下天花板受损，双方多次协商未果。",
            matters="损失金额及维修责任",
        )
        dispute.advance(Dispute.State.ACCEPTED, by=cadre)
        record_session(
            dispute,
            by=mediator,
            mediators=[lead],
            held_on=today,
            attendees=f"{applicant.name}、{respondent.name}",
            record="双方陈述了漏水经过，同意请物业查看防水层。",
            next_step="物业查看后再次调解",
        )
        return dispute

    dispute = accepted_dispute("楼上漏水致楼下受损")
    settled = conclude_success(
        accepted_dispute("楼道堆物影响通行"),
        by=mediator,
        agreement_kind=Dispute.AgreementKind.WRITTEN,
        responsibility="被申请人在楼道堆放杂物，应负主要责任。",
        agreement="被申请人于十日内清理楼道杂物，今后不再堆放。",
        performance_manner="被申请人自行清理，网格员见证。",
        performance_deadline=today + datetime.timedelta(days=10),
        court_confirmation=False,
    )

    other = respondent.household
    with transaction.atomic():  # the flag locks the pair's open watch item, as inside `log_visit`'s transaction
        for days_ago in (30, 3):
            visit = VisitFactory(
                household=household, logged_by=by, visited_at=timezone.now() - datetime.timedelta(days=days_ago)
            )
            watch_item = flag_early_sign(
                visit,
                other_household=other,
                dispute_type=DisputeType.NEIGHBOUR,
                description="楼上漏水，双方争吵",
                by=by,
            )

    return SimpleNamespace(
        dispute=dispute,
        settled_dispute=settled,
        follow_up=settled.follow_ups.get(),
        watch_item=watch_item,
    )
