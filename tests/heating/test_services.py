from heating.kinds import RECHECK
from heating.models import HeatingTicket
from heating.services import Reading, record_inspection
from tests.heating.conftest import celsius
from visits.models import VisitTask


def inspect(household, by, *temperatures, **kwargs):
    readings = [Reading("bedroom", celsius(t), label=f"卧室{i}") for i, t in enumerate(temperatures, 1)]
    return record_inspection(
        household=household, by=by, readings=readings, valve=kwargs.pop("valve", "fully_open"), **kwargs
    )


def test_a_reading_of_exactly_the_standard_is_warm_and_a_tenth_below_is_cold(heating, household, grid_worker):
    warm, _ = inspect(household, grid_worker, 18.0)
    assert not warm.below_standard and warm.ticket is None

    cold, created = inspect(household, grid_worker, 17.9)

    assert created and cold.below_standard
    assert cold.ticket.state == HeatingTicket.State.REPORTED
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1


def test_repeated_cold_inspections_keep_one_open_ticket_and_one_recheck(heating, household, grid_worker):
    first, _ = inspect(household, grid_worker, 16.5)
    second, _ = inspect(household, grid_worker, 15.0)

    assert second.ticket == first.ticket
    assert HeatingTicket.objects.open().filter(household=household).count() == 1
    assert VisitTask.objects.open().filter(household=household, kind=RECHECK).count() == 1
