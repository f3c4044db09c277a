"""Step `seed_heating` of `seed_demo`: heating seasons, companies, inspections, tickets and logger readings.

Runs after `demo.visits.seed_visits`. Every community gets the current season and the last one (济宁: 15 November
– 15 March, the years counted from today, so the demo works in any year); two or three heating companies supply
every building. About 60% of households were inspected this season (about a third last season), some cold, and
each inspection is a heating visit with its readings; a cold inspection (or a fault the resident cannot fix)
has a ticket, this season's left at every state of the flow with its recorded steps, last season's all closed.
A few households carry temperature loggers, imported through `heating.imports` so their cold runs raise tickets
the way a real file would.

Seasons, companies and supplies are found or made by name; the rest is made only when the street has no
inspection yet, which makes the step idempotent. Bulk inserts (`core.bulk`), no history rows; the grids' stored
season figures (`heating.grid_figures`) are rebuilt at the end, whichever way the step went.
"""

import datetime
import json
import uuid
from decimal import Decimal

from django.utils import timezone

from core.bulk import adapt, copy_rows, insert_rows, next_pk, reset_sequences
from demo.visits import VISIT_COLUMNS, Workers
from grids.models import Building, Grid
from heating import grid_figures
from heating import kinds as heating_kinds
from heating.imports import COLUMNS as LOGGER_COLUMNS
from heating.imports import import_logger_readings
from heating.models import (
    BuildingSupply,
    HeatingCompany,
    HeatingInspection,
    HeatingSeason,
    HeatingTicket,
    TemperatureReading,
    TicketEvent,
)
from households.models import Household
from visits.models import Visit, VisitTask
from visits.scheduling import refresh_visit_statuses

SEASON_START = (11, 15)
SEASON_END = (3, 15)
THIS_SEASON_SHARE = 0.6
LAST_SEASON_SHARE = 0.35
COLD_SHARE = 0.1
COMPANIES = [
    ("济宁高新区热力有限公司", "孙经理", "0537-2345678", 24),
    ("黄屯华润供热站", "刘站长", "0537-3456789", 24),
    ("金色嘉苑换热站（物业代管）", "陈师傅", "0537-4567890", 12),
]
Room = TemperatureReading.Room
Valve = HeatingInspection.Valve
Fault = HeatingInspection.Fault
State = HeatingTicket.State
# (valve, faults, advice, resident can fix) for a cold home and for a warm one, with weights.
COLD_FINDINGS = [
    ((Valve.HALF_OPEN, [], "阀门往左是开，往右是关，一定要开到底。", True), 25),
    ((Valve.FULLY_OPEN, [Fault.AIR_LOCKED], "指导居民给暖气片放气。", True), 15),
    ((Valve.FULLY_OPEN, [Fault.COLD_VALVE_OPEN], "阀门已全开，联系供热公司上门检查。", False), 25),
    ((Valve.FULLY_OPEN, [Fault.NARROW_PIPE], "建议更换粗一些的管道。", False), 15),
    ((Valve.STUCK, [], "阀门拧不动，联系供热公司更换。", False), 10),
    ((Valve.FULLY_OPEN, [Fault.BLOCKED], "管道疑似堵塞，联系供热公司疏通。", False), 10),
]
WARM_FINDINGS = [
    ((Valve.FULLY_OPEN, [], "", False), 90),
    ((Valve.HALF_OPEN, [], "提醒居民阀门一定要开到底。", True), 8),
    ((Valve.FULLY_OPEN, [Fault.LEAKING], "接口处渗水，联系供热公司维修。", False), 2),
]
# Where this season's tickets are left, with weights; the walk to each state through the flow.
TICKET_STATES = [
    (State.REPORTED, 25),
    (State.ACCEPTED, 20),
    (State.HANDLED, 15),
    (State.RECHECK_PASSED, 30),
    (State.RECHECK_FAILED, 10),
]
WALKS = {
    State.REPORTED: [State.REPORTED],
    State.ACCEPTED: [State.REPORTED, State.ACCEPTED],
    State.HANDLED: [State.REPORTED, State.ACCEPTED, State.HANDLED],
    State.RECHECK_PASSED: [State.REPORTED, State.ACCEPTED, State.HANDLED, State.RECHECK_PASSED],
    State.RECHECK_FAILED: [State.REPORTED, State.ACCEPTED, State.HANDLED, State.RECHECK_FAILED],
}
EVENT_NOTES = {
    State.ACCEPTED: "供热公司已受理，安排师傅上门。",
    State.HANDLED: "师傅已上门处理（放气、调阀、疏通）。",
    State.RECHECK_PASSED: "复查室温达标，居民满意。",
    State.RECHECK_FAILED: "复查室温仍低于标准，重新报修。",
}
_COLD = ([f for f, _w in COLD_FINDINGS], [w for _f, w in COLD_FINDINGS])
_WARM = ([f for f, _w in WARM_FINDINGS], [w for _f, w in WARM_FINDINGS])
ROOMS = [(Room.BEDROOM, "主卧"), (Room.LIVING, "客厅"), (Room.BEDROOM, "次卧")]
TENTHS = {n: Decimal(n) / 10 for n in range(100, 300)}
STEP_HOURS = 10
LOGGER_HOMES = 4
LOGGER_HOURS = (36, 33, 30, 27, 24, 21, 18, 15, 12, 9, 6, 3)
INSPECTION_COLUMNS = (
    "id", "household_id", "season_id", "visit_id", "inspected_at", "inspected_by_id", "valve", "faults", "advice",
    "resident_can_fix", "satisfaction", "lowest_celsius", "below_standard", "ticket_id", "created_at",
)  # fmt: skip
READING_COLUMNS = ("inspection_id", "room_type", "label", "celsius", "measured_at")
TICKET_COLUMNS = (
    "id", "household_id", "season_id", "company_id", "source", "problem", "state", "reported_at", "deadline_at",
    "closed_at", "company_at_fault", "created_by_id",
)  # fmt: skip
EVENT_COLUMNS = ("ticket_id", "from_state", "to_state", "by_id", "at", "note")
RECHECK_COLUMNS = ("household_id", "assignee_id", "kind", "note", "earliest_on", "due_on", "state", "created_at",
                   "assigned_at")  # fmt: skip


def season_years(today):
    """The first years of the current season (the latest to have started by `today`) and of the last one."""
    year = today.year if (today.month, today.day) >= SEASON_START else today.year - 1
    return year, year - 1


def seed_heating(ctx):
    """Seasons, companies, inspections, tickets and logger readings for the demo street (see the module docstring)."""
    street = ctx.state["street"]
    now = timezone.now()
    seasons = _seed_seasons(street, timezone.localdate(now))
    companies = _seed_companies(ctx, street)
    households = Household.objects.filter(building__grid__community__street=street)
    if HeatingInspection.objects.filter(household__in=households).exists():
        ctx.log("入户测温已存在，跳过")
        _count_grid_figures(ctx)
        return
    draw = _Draw(ctx.rng("heating"), Workers(street), seasons, companies, now)
    homes = households.order_by("pk").values_list(
        "pk", "building__grid_id", "building__grid__community_id", "building_id"
    )
    for home in homes:
        draw.household(*home)
    copy_rows(Visit, VISIT_COLUMNS, draw.visits)
    copy_rows(Visit.visitors.through, ("id", "visit_id", "user_id"), draw.visitors)
    copy_rows(HeatingTicket, TICKET_COLUMNS, draw.tickets)
    copy_rows(HeatingInspection, INSPECTION_COLUMNS, draw.inspections)
    copy_rows(TemperatureReading, READING_COLUMNS, draw.readings)
    copy_rows(TicketEvent, EVENT_COLUMNS, draw.events)
    reset_sequences([Visit, Visit.visitors.through, HeatingTicket, HeatingInspection, TemperatureReading, TicketEvent])
    # No visit may predate its household's registration: those inspected last season were registered before it.
    earliest = min(last.starts_on for _current, last in seasons.values())
    registered = timezone.make_aware(datetime.datetime.combine(earliest, datetime.time())) - datetime.timedelta(days=30)
    last_seasons = [last.pk for _current, last in seasons.values()]
    households.filter(
        pk__in=HeatingInspection.objects.filter(season__in=last_seasons).values("household"), created_at__gt=registered
    ).update(created_at=registered)
    insert_rows(VisitTask, RECHECK_COLUMNS, draw.rechecks, on_conflict="ON CONFLICT DO NOTHING")
    cold = sum(1 for row in draw.inspections if row[12])
    ctx.log(
        f"入户测温 {len(draw.inspections)}（低于标准 {cold}），室温读数 {len(draw.readings)}，"
        f"报修单 {len(draw.tickets)}，办理记录 {len(draw.events)}，复查任务 {len(draw.rechecks)}"
    )
    ctx.log(f"走访到期日 {refresh_visit_statuses()} 户")
    _seed_loggers(ctx, street, seasons, now)
    _count_grid_figures(ctx)


def _count_grid_figures(ctx):
    """The grids' stored season figures, counted once over what was inserted around the services."""
    ctx.log(f"网格供暖统计 {grid_figures.rebuild()} 行")


def _seed_seasons(street, today):
    """{community id: (current season, last season)}, found or made."""
    current_year, last_year = season_years(today)
    seasons = {}
    for community in street.communities.order_by("pk"):
        made = []
        for year in (current_year, last_year):
            season, _created = HeatingSeason.objects.get_or_create(
                community=community,
                starts_on=datetime.date(year, *SEASON_START),
                defaults={"name": f"{year}—{year + 1} 供暖季", "ends_on": datetime.date(year + 1, *SEASON_END)},
            )
            made.append(season)
        seasons[community.pk] = tuple(made)
    return seasons


def _seed_companies(ctx, street):
    """{building id: company} for every building of the street: each grid's buildings go to one company."""
    companies = [
        HeatingCompany.objects.get_or_create(
            name=name, defaults={"contact_person": person, "phone": phone, "response_hours": hours}
        )[0]
        for name, person, phone, hours in COMPANIES
    ]
    grids = list(Grid.objects.filter(community__street=street).order_by("pk").values_list("pk", flat=True))
    company_of_grid = {grid_id: companies[index % len(companies)] for index, grid_id in enumerate(grids)}
    buildings = Building.objects.filter(grid__in=grids, heating_supply__isnull=True).values_list("pk", "grid_id")
    made = BuildingSupply.objects.bulk_create(
        [BuildingSupply(building_id=pk, company=company_of_grid[grid_id]) for pk, grid_id in buildings],
        ignore_conflicts=True,
    )
    ctx.log(f"供热公司 {len(companies)}，新设楼宇供热单位 {len(made)}")
    by_id = HeatingCompany.objects.in_bulk()
    supplies = BuildingSupply.objects.filter(building__grid__in=grids).values_list("building_id", "company_id")
    return {building_id: by_id[company_id] for building_id, company_id in supplies}


class _Draw:
    """Rows (in the *_COLUMNS orders) of the heating visits, inspections, readings, tickets and their events."""

    def __init__(self, rng, workers, seasons, companies, now):
        self.rng, self.workers, self.seasons, self.companies, self.now = rng, workers, seasons, companies, now
        self.created_at = adapt(now)
        self.purposes = json.dumps([Visit.Purpose.HEATING.value])
        self.next = {
            model: next_pk(model) for model in (Visit, Visit.visitors.through, HeatingInspection, HeatingTicket)
        }
        self.visits, self.visitors, self.inspections, self.readings = [], [], [], []
        self.tickets, self.events, self.rechecks = [], [], []
        self.spans = {}

    def _span(self, season):
        """(first moment, seconds to draw from) of inspections in `season`: from 08:00 on its first day until its
        last day or two hours ago."""
        if season.pk not in self.spans:
            start = timezone.make_aware(datetime.datetime.combine(season.starts_on, datetime.time(8)))
            end = min(self.now - datetime.timedelta(hours=2), start + (season.ends_on - season.starts_on))
            self.spans[season.pk] = (start, max(int((end - start).total_seconds()), 60))
        return self.spans[season.pk]

    def _id(self, model):
        self.next[model] += 1
        return self.next[model] - 1

    def household(self, household_id, grid_id, community_id, building_id):
        current, last = self.seasons[community_id]
        company = self.companies.get(building_id)
        for season, share in ((current, THIS_SEASON_SHARE), (last, LAST_SEASON_SHARE)):
            if self.rng.random() < share:
                self._inspection(household_id, grid_id, community_id, season, company, season is current)

    def _inspection(self, household_id, grid_id, community_id, season, company, current):
        rng = self.rng
        start, seconds = self._span(season)
        at = start + datetime.timedelta(seconds=rng.randrange(seconds))
        worker = rng.choice(self.workers.of_grid(grid_id, community_id))
        cold = rng.random() < COLD_SHARE
        valve, faults, advice, can_fix = rng.choices(*(_COLD if cold else _WARM))[0]
        rooms = ROOMS if rng.random() < 0.5 else ROOMS[:2]
        temperatures = [TENTHS[rng.randint(180, 235)] for _room in rooms]
        if cold:
            temperatures[rng.randrange(len(rooms))] = TENTHS[rng.randint(130, 179)]
        problem = "；".join(
            [f"{label} {value} ℃（标准 {season.standard_celsius} ℃）" for (_room, label), value in zip(rooms, temperatures, strict=True) if value < season.standard_celsius]
            + ([str(Valve.STUCK.label)] if valve == Valve.STUCK else [])
            + [str(Fault(f).label) for f in faults if f in HeatingInspection.NEEDS_COMPANY]
        )  # fmt: skip
        visit_id, inspection_id = self._id(Visit), self._id(HeatingInspection)
        visited_at = adapt(at)
        key = uuid.UUID(int=rng.getrandbits(128), version=4).hex
        self.visits.append(
            (visit_id, household_id, visited_at, worker.pk, self.purposes, Visit.Outcome.MET.value, problem, advice,
             "", "", key, self.created_at)
        )  # fmt: skip
        self.visitors.append((self._id(Visit.visitors.through), visit_id, worker.pk))
        needs_company = valve == Valve.STUCK or bool(HeatingInspection.NEEDS_COMPANY & set(faults))
        ticket_id = None
        if (cold or needs_company) and company is not None:
            ticket_id = self._ticket(household_id, grid_id, community_id, season, company, worker, at, problem, current)
        satisfaction = rng.choice(
            ["basic", "unsatisfied"] if cold else ["satisfied", "satisfied", "satisfied", "basic"]
        )
        self.inspections.append(
            (inspection_id, household_id, season.pk, visit_id, visited_at, worker.pk, valve.value,
             json.dumps([str(f) for f in faults]), advice, can_fix, satisfaction, min(temperatures), cold, ticket_id,
             self.created_at)
        )  # fmt: skip
        for (room, label), value in zip(rooms, temperatures, strict=True):
            self.readings.append((inspection_id, room.value, label, value, visited_at))

    def _ticket(self, household_id, grid_id, community_id, season, company, worker, at, problem, current):
        rng = self.rng
        state = rng.choices([s for s, _w in TICKET_STATES], weights=[w for _s, w in TICKET_STATES])[0]
        state = state if current else State.RECHECK_PASSED
        walk = WALKS[state]
        cadre = rng.choice(self.workers.of_community(community_id) or [worker])
        step = min(datetime.timedelta(hours=STEP_HOURS), (self.now - at) / (len(walk) + 1))
        ticket_id, previous, moved_at = self._id(HeatingTicket), "", at
        deadline = at + datetime.timedelta(hours=company.response_hours)
        for index, to_state in enumerate(walk):
            moved_at = at + step * index
            by = worker if to_state in (State.REPORTED, State.RECHECK_PASSED, State.RECHECK_FAILED) else cadre
            note = problem if index == 0 else EVENT_NOTES[to_state]
            self.events.append((ticket_id, previous, to_state.value, by.pk, adapt(moved_at), note))
            previous = to_state.value
        if state == State.RECHECK_FAILED:
            deadline = moved_at + datetime.timedelta(hours=company.response_hours)
        closed = state == State.RECHECK_PASSED
        self.tickets.append(
            (ticket_id, household_id, season.pk, company.pk, HeatingTicket.Source.INSPECTION.value, problem,
             state.value, adapt(at), adapt(deadline), adapt(moved_at) if closed else None,
             (rng.random() < 0.3) if closed else None, worker.pk)
        )  # fmt: skip
        if state == State.HANDLED:
            # The company says it is fixed: a re-inspection within 48 hours, as `record_inspection` would open.
            due = timezone.localdate(moved_at + datetime.timedelta(hours=heating_kinds.RECHECK_HOURS))
            self.rechecks.append(
                (household_id, worker.pk, heating_kinds.RECHECK, "供暖复查", adapt(timezone.localdate(moved_at)),
                 adapt(due), VisitTask.State.OPEN.value, self.created_at, self.created_at)
            )  # fmt: skip
        return ticket_id


def _seed_loggers(ctx, street, seasons, now):
    """Readings every three hours over the last day and a half for LOGGER_HOMES households of the main community
    without a ticket this season; the first one's bedroom runs cold, so the import raises its ticket."""
    main = street.communities.order_by("pk").first()
    if main is None:
        return
    season = seasons[main.pk][0]
    if not season.contains(timezone.localdate(now)):
        return
    rng = ctx.rng("loggers")
    homes = list(
        Household.objects.filter(building__grid__community=main, building__heating_supply__isnull=False)
        .exclude(heating_tickets__season=season)
        .select_related("building")
        .order_by("pk")[: LOGGER_HOMES * 10]
    )
    rows = []
    for index, home in enumerate(rng.sample(homes, min(len(homes), LOGGER_HOMES))):
        for hours in LOGGER_HOURS:
            measured_at = timezone.localtime(now - datetime.timedelta(hours=hours))
            if not season.contains(measured_at.date()):
                continue
            for room in (Room.BEDROOM, Room.LIVING):
                cold = index == 0 and room == Room.BEDROOM and hours <= 12
                value = Decimal(rng.randint(150, 172) if cold else rng.randint(185, 225)) / 10
                rows.append({
                    LOGGER_COLUMNS["building"]: home.building.number,
                    LOGGER_COLUMNS["room_code"]: f"{home.unit}-{home.room}",
                    LOGGER_COLUMNS["room_type"]: str(room.label),
                    LOGGER_COLUMNS["measured_at"]: f"{measured_at:%Y-%m-%d %H:%M}",
                    LOGGER_COLUMNS["celsius"]: str(value),
                })  # fmt: skip
    result = import_logger_readings(season=season, rows=rows, now=now)
    ctx.log(f"测温设备读数 {result.created}（{LOGGER_HOMES} 户），自动报修 {len(result.tickets)}")
