"""Writes across rows for heating: an inspection in the home (saved as a heating visit) that may open or add to
the household's ticket and a re-inspection task, and tickets raised by temperature loggers.

Each service runs in one transaction and locks the household row first, so repeated or concurrent posts for one
household are serialised: at most one open ticket (also a unique constraint) and one open re-inspection task
(one open task per household and kind) whatever happens. Each recounts the grid's season figures
(`heating.grid_figures.refresh`) after its writes, in the same transaction; a ticket's moves do the same
(`move_ticket`).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household
from visits.purposes import Purpose
from visits.services import log_visit, open_visit_task

from . import grid_figures, kinds
from .models import (
    BuildingSupply,
    HeatingInspection,
    HeatingSeason,
    HeatingTicket,
    InvalidTicketMove,
    TemperatureReading,
    TicketEvent,
)


class NoSeason(Exception):
    """The household's community has no heating season running on that day."""


class NoCompany(Exception):
    """The household's building has no heating company set (admin: 楼宇供热单位)."""


@dataclass(frozen=True)
class Reading:
    room_type: str
    celsius: Decimal
    label: str = ""
    measured_at: datetime.datetime | None = None


def season_for(household, day):
    """The heating season of the household's community running on `day`; NoSeason when there is none."""
    season = HeatingSeason.objects.filter(community=household.building.grid.community_id).on(day).first()
    if season is None:
        raise NoSeason(household.pk)
    return season


def cold_readings(season, readings):
    """The bedroom and living-room readings below the season's standard."""
    return [r for r in readings if r.room_type in TemperatureReading.STANDARD_ROOMS and season.is_below(r.celsius)]


def record_inspection(
    *,
    household,
    by,
    readings,
    valve,
    faults=(),
    advice="",
    resident_can_fix=False,
    satisfaction="",
    inspected_at=None,
    photo=None,
    idempotency_key=None,
):
    """Record a heating inspection as a home visit with the heating purpose; returns `(inspection, created)`.

    The visit completes the household's open heating tasks (and only those). A reading below the season's
    standard in a bedroom or living room, or a fault the resident cannot fix (`HeatingInspection.needs_company`),
    opens a ticket to the building's company — or, when one is open, adds this inspection to it (a ticket the
    company marked handled is re-checked and fails: 复查不合格) — and one re-inspection task due within 48 hours.
    A second call with the same `idempotency_key` creates nothing and returns the first inspection.
    """
    inspected_at = inspected_at or timezone.now()
    season = season_for(household, timezone.localdate(inspected_at))
    cold = cold_readings(season, readings)
    problem = _problem(season, cold, valve, faults)
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        visit, created = log_visit(
            household=household,
            by=by,
            outcome="met",
            visited_at=inspected_at,
            purposes=(Purpose.HEATING.value,),
            problem=problem,
            measures=advice,
            photo=photo,
            idempotency_key=idempotency_key,
        )
        if not created:
            return visit.heating_inspection, False
        inspection = HeatingInspection.objects.create(
            household=household,
            season=season,
            visit=visit,
            inspected_at=inspected_at,
            inspected_by=by,
            valve=valve,
            faults=list(faults),
            advice=advice,
            resident_can_fix=resident_can_fix,
            satisfaction=satisfaction,
            lowest_celsius=min((r.celsius for r in readings), default=None),
            below_standard=bool(cold),
        )
        TemperatureReading.objects.bulk_create(
            TemperatureReading(
                inspection=inspection,
                room_type=r.room_type,
                label=r.label,
                celsius=r.celsius,
                measured_at=r.measured_at or inspected_at,
            )
            for r in readings
        )
        if cold or inspection.needs_company:
            inspection.ticket = _report(household, season, by=by, problem=problem)
            inspection.save(update_fields=["ticket"])
            _schedule_recheck(household, inspected_at)
        grid_figures.refresh(season_id=season.pk, grid_id=household.building.grid_id)
    return inspection, True


def record_reply(*, ticket, by, note, now=None):
    """Record what the heating company replied on an open ticket: an event that leaves the state as it is.

    Raises InvalidTicketMove when the ticket is closed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = HeatingTicket.objects.select_for_update().get(pk=ticket.pk)
        if not current.is_open:
            raise InvalidTicketMove(_("报修单已结单，不能再记录答复。"))
        return TicketEvent.objects.create(
            ticket=current, from_state=current.state, to_state=current.state, by=by, at=now, note=note
        )


def report_from_logger(*, household, season, readings, now=None):
    """Raise the household's ticket from a temperature logger (no visit, no one reporting): `readings` are the
    consecutive cold readings that crossed the season's threshold. Opens a ticket to the building's company, or
    adds them to the open one (re-checked and failed when the company had marked it handled). Returns the ticket.

    How often this may happen (at most once per household and day) is the logger import's rule
    (`heating.imports`).
    """
    problem = _("测温设备：%(room)s连续 %(count)s 次低于标准 %(standard)s ℃（%(values)s）") % {
        "room": TemperatureReading.Room(readings[0].room_type).label,
        "count": len(readings),
        "standard": season.standard_celsius,
        "values": "、".join(f"{timezone.localtime(r.measured_at):%m-%d %H:%M} {r.celsius} ℃" for r in readings),
    }
    with transaction.atomic():
        Household.objects.select_for_update().filter(pk=household.pk).first()
        ticket = _report(household, season, by=None, problem=problem, source=HeatingTicket.Source.LOGGER, now=now)
        grid_figures.refresh(season_id=ticket.season_id, grid_id=household.building.grid_id)
        return ticket


def move_ticket(ticket, to_state, *, by, note="", at=None, **details):
    """Move a ticket along its flow (`HeatingTicket.MOVES`) and recount its grid's season figures, in one
    transaction: closing a ticket changes its household's state."""
    with transaction.atomic():
        ticket.advance(to_state, by=by, note=note, at=at, **details)
        grid_figures.refresh_household(season_id=ticket.season_id, household_id=ticket.household_id)
    return ticket


def _problem(season, cold, valve, faults):
    """What the company is told: the cold rooms with their readings, a stuck valve, the faults it must fix."""
    parts = [
        _("%(room)s %(celsius)s ℃（标准 %(standard)s ℃）")
        % {
            "room": r.label or TemperatureReading.Room(r.room_type).label,
            "celsius": r.celsius,
            "standard": season.standard_celsius,
        }
        for r in cold
    ]
    if valve == HeatingInspection.Valve.STUCK:
        parts.append(str(HeatingInspection.Valve.STUCK.label))
    parts += [str(HeatingInspection.Fault(f).label) for f in faults if f in HeatingInspection.NEEDS_COMPANY]
    return "；".join(parts)


def _report(household, season, *, by, problem, source=HeatingTicket.Source.INSPECTION, now=None):
    """The household's open ticket with this problem added, or a new one to the building's company.

    The caller holds the household's row lock.
    """
    now = now or timezone.now()
    ticket = HeatingTicket.objects.open().select_for_update().filter(household=household).first()
    if ticket is not None:
        ticket.problem = f"{ticket.problem}\n{timezone.localtime(now):%m-%d %H:%M} {problem}"
        ticket.save(update_fields=["problem"])
        if ticket.state == HeatingTicket.State.HANDLED:
            ticket.advance(HeatingTicket.State.RECHECK_FAILED, by=by, note=problem, at=now)
        return ticket
    supply = BuildingSupply.objects.select_related("company").filter(building=household.building_id).first()
    if supply is None:
        raise NoCompany(household.building_id)
    ticket = HeatingTicket.objects.create(
        household=household,
        season=season,
        company=supply.company,
        source=source,
        problem=problem,
        reported_at=now,
        deadline_at=now + datetime.timedelta(hours=supply.company.response_hours),
        created_by=by,
    )
    TicketEvent.objects.create(ticket=ticket, from_state="", to_state=ticket.state, by=by, at=now, note=problem)
    return ticket


def _schedule_recheck(household, after):
    due_on = timezone.localdate(after + datetime.timedelta(hours=kinds.RECHECK_HOURS))
    return open_visit_task(household=household, kind=kinds.RECHECK, due_on=due_on, note=str(_("供暖复查")))
