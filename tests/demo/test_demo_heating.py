"""The demo heating data: two seasons per community in any year, every building supplied, about 60% inspected
this season with some cold, tickets at every state with their steps, logger readings, and a second run adds
nothing."""

import datetime

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from demo.context import DemoContext
from demo.heating import season_years, seed_heating
from demo.visits import seed_visits
from grids.models import Building
from heating.models import (
    BuildingSupply,
    HeatingInspection,
    HeatingSeason,
    HeatingTicket,
    LoggerReading,
    TemperatureReading,
    TicketEvent,
)
from tests.factories import HouseholdFactory
from visits.models import Visit, VisitTask

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (datetime.date(2026, 12, 1), (2026, 2025)),
        (datetime.date(2027, 3, 15), (2026, 2025)),
        (datetime.date(2027, 11, 14), (2026, 2025)),
        (datetime.date(2027, 11, 15), (2027, 2026)),
    ],
)
def test_the_current_season_is_the_latest_to_have_started(today, years):
    assert season_years(today) == years


def counts():
    models = [HeatingSeason, BuildingSupply, HeatingInspection, TemperatureReading, HeatingTicket, TicketEvent]
    return {model.__name__: model.objects.count() for model in [*models, LoggerReading, Visit, VisitTask]}


@pytest.fixture
def demo_street(street, community, grid, other_grid, building, other_building, grid_worker, cadre):
    Building.objects.create(grid=grid, number="5")
    for index in range(150):
        HouseholdFactory(building=building if index % 2 else other_building)
    ctx = DemoContext(households=150, seed=7, log=lambda message: None)
    ctx.state["street"] = street
    with time_machine.travel(datetime.datetime(2026, 12, 20, 10, tzinfo=datetime.UTC), tick=False):
        seed_visits(ctx)
        seed_heating(ctx)
        yield ctx


def test_every_community_has_this_and_last_season(demo_street, community):
    seasons = list(HeatingSeason.objects.filter(community=community).order_by("-starts_on"))
    assert [(s.starts_on, s.ends_on) for s in seasons] == [
        (datetime.date(2026, 11, 15), datetime.date(2027, 3, 15)),
        (datetime.date(2025, 11, 15), datetime.date(2026, 3, 15)),
    ]
    assert seasons[0].name == "2026—2027 供暖季"


def test_every_building_has_a_company(demo_street):
    assert BuildingSupply.objects.count() == Building.objects.count() == 3
    assert BuildingSupply.objects.values("company").distinct().count() == 2  # one per grid here


def test_about_sixty_percent_inspected_this_season_some_cold(demo_street, community):
    current = HeatingSeason.objects.get(community=community, starts_on=datetime.date(2026, 11, 15))
    inspections = HeatingInspection.objects.filter(season=current)
    assert 0.5 <= inspections.values("household").distinct().count() / 150 <= 0.7
    cold = inspections.filter(below_standard=True).count()
    assert 0.04 <= cold / inspections.count() <= 0.18
    assert not inspections.filter(inspected_at__gt=timezone.now()).exists()
    assert not inspections.filter(inspected_at__date__lt=current.starts_on).exists()
    sample = inspections.filter(below_standard=True).first()
    assert sample.visit.purposes == ["heating"] and sample.visit.household_id == sample.household_id
    assert sample.readings.filter(celsius__lt=current.standard_celsius).exists()
    assert sample.ticket is not None


def test_tickets_at_every_state_with_their_steps(demo_street):
    assert set(HeatingTicket.objects.values_list("state", flat=True)) == set(HeatingTicket.State.values)
    for ticket in HeatingTicket.objects.prefetch_related("events"):
        steps = [event.to_state for event in ticket.events.all()]
        assert steps[-1] == ticket.state and steps[0] == "reported"
        assert (ticket.closed_at is not None) == (ticket.state == "recheck_passed")
    last_season = HeatingTicket.objects.filter(season__starts_on=datetime.date(2025, 11, 15))
    assert set(last_season.values_list("state", flat=True)) == {"recheck_passed"}
    assert not TicketEvent.objects.filter(at__gt=timezone.now()).exists()


def test_logger_readings_raise_a_ticket(demo_street):
    assert LoggerReading.objects.values("household").distinct().count() == 4
    assert HeatingTicket.objects.filter(source=HeatingTicket.Source.LOGGER).count() == 1


def test_a_second_run_adds_nothing(demo_street):
    before = counts()
    seed_heating(demo_street)
    assert counts() == before


def test_no_inspection_predates_its_households_registration(demo_street):
    assert not HeatingInspection.objects.filter(inspected_at__lt=F("household__created_at")).exists()
    assert not Visit.objects.filter(visited_at__lt=F("household__created_at")).exists()
