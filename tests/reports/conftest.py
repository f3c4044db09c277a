"""A hand-built month for the monthly report: February 2026, read on 15 March 2026 (Asia/Shanghai).

Policies: ordinary households every 60 days, the first priority group (独居老人) every 30 days (each household's
interval kept on its `VisitStatus`, as the nightly job refreshes it). So at the end of
February (the 28th) a household is visited within policy when its last counting visit (met or refused) is on or
after 30 December 2025 (default) or 29 January 2026 (priority group); at the end of January, 2 December and
1 January. Every household is registered on 1 December 2025 unless said otherwise.

黄屯街道
- 金色嘉苑社区
  - 东区第一网格, building 3: h1 (前屯村; met 10 Feb ✓), h2 (前屯村, 独居老人; met 20 Jan, not at home 5 Feb ✗),
    h3 (met 5 Jan ✓), h4 (never visited ✗), h5 (registered 2 March: not counted)
  - 西区第一网格, building 12: o1 (后屯村; refused 28 Feb 23:30 ✓), o2 (met 1 March 00:10 ✗)
- 银河社区 — 北区网格, building 7 (no party group): n1 (met 20 Dec ✗), n2 (met 1 Feb 00:05 ✓)

February: 8 households, 4 within policy (h1, h3, o1, n2), 4 visits (h1, h2 not at home, o1, n2), 1 not at home.
January: 8 households, 3 within policy (h2, h3, n1), 2 visits (h2, h3). February 2025: no household yet.

Requests: r1 h1 物业维修 3 Feb, closed 10 Feb (due 12 Feb) 满意; r2 h2 供暖 4 Feb, closed 20 Feb (due 6 Feb) 不满意;
r3 o1 物业维修 25 Feb, open; r4 n1 供暖 10 Jan, closed 2 Feb (due 5 Feb) 基本满意; r5 h3 其他 2 March.
February: received 3 (维修 2, 供暖 1), closed 3 (维修 1, 供暖 2), on time 2, satisfied 2 of 3 answered, 1 unsatisfied.

Party: lead household L1 = h1 with linked h2, h3 (neither seen in February); L2 = o2 with linked o1 (seen).
"""

import datetime
import zoneinfo

import pytest
import time_machine

from households.models import Household, PriorityGroup
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    LeadHouseholdFactory,
    OriginVillageFactory,
    PartyMemberFactory,
    ResidentFactory,
)
from tests.visits.factories import ResidentRequestFactory, VisitFactory
from visits.models import ResidentRequest, Visit, VisitPolicy
from visits.scheduling import refresh_visit_statuses

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI)
FEBRUARY = datetime.date(2026, 2, 1)
JANUARY = datetime.date(2026, 1, 1)


def at(year, month, day, hour=12, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def month_world(frozen, street, community, grid, other_grid, building, other_building, grid_worker):
    """The street of this module's docstring; returns its rows by name."""
    VisitPolicy.objects.all().delete()
    elderly = PriorityGroup.objects.order_by("order").first()
    VisitPolicy.objects.create(priority_group=None, interval_days=60)
    VisitPolicy.objects.create(priority_group=elderly, interval_days=30)

    silver = CommunityFactory(street=street, name="银河社区")
    north = GridFactory(community=silver, name="北区网格")
    building7 = BuildingFactory(grid=north, number="7", party_group_name="", party_group_leader="")
    front = OriginVillageFactory(street=street, name="前屯村")
    back = OriginVillageFactory(street=street, name="后屯村")

    def household(on, room, village=None, created=None):
        made = HouseholdFactory(building=on, unit=1, room=room, origin_village=village)
        Household.objects.filter(pk=made.pk).update(created_at=created or at(2025, 12, 1))
        made.refresh_from_db()
        return made

    h = {
        "h1": household(building, "101", front),
        "h2": household(building, "102", front),
        "h3": household(building, "103"),
        "h4": household(building, "104"),
        "h5": household(building, "105", created=at(2026, 3, 2)),
        "o1": household(other_building, "201", back),
        "o2": household(other_building, "202"),
        "n1": household(building7, "301"),
        "n2": household(building7, "302"),
    }
    ResidentFactory(household=h["h2"], name="王秀英").priority_groups.add(elderly)

    def visit(name, when, outcome=Visit.Outcome.MET):
        VisitFactory(household=h[name], logged_by=grid_worker, visited_at=when, outcome=outcome)

    visit("h1", at(2026, 2, 10))
    visit("h2", at(2026, 1, 20))
    visit("h2", at(2026, 2, 5), Visit.Outcome.NOT_HOME)
    visit("h3", at(2026, 1, 5))
    visit("o1", at(2026, 2, 28, 23, 30), Visit.Outcome.REFUSED)
    visit("o2", at(2026, 3, 1, 0, 10))
    visit("n1", at(2025, 12, 20))
    visit("n2", at(2026, 2, 1, 0, 5))

    closed = ResidentRequest.State.CLOSED
    satisfaction = ResidentRequest.Satisfaction

    def request(name, category, created, *, due, closed_at=None, rated=""):
        return ResidentRequestFactory(
            household=h[name],
            created_by=grid_worker,
            category=category,
            created_at=created,
            due_at=due,
            state=closed if closed_at else ResidentRequest.State.REGISTERED,
            closed_at=closed_at,
            satisfaction=rated,
        )

    repair, heating = ResidentRequest.Category.REPAIR, ResidentRequest.Category.HEATING
    request("h1", repair, at(2026, 2, 3), due=at(2026, 2, 12), closed_at=at(2026, 2, 10), rated=satisfaction.SATISFIED)
    request(
        "h2", heating, at(2026, 2, 4), due=at(2026, 2, 6), closed_at=at(2026, 2, 20), rated=satisfaction.UNSATISFIED
    )
    request("o1", repair, at(2026, 2, 25), due=at(2026, 2, 27))
    request("n1", heating, at(2026, 1, 10), due=at(2026, 2, 5), closed_at=at(2026, 2, 2), rated=satisfaction.BASIC)
    request("h3", ResidentRequest.Category.OTHER, at(2026, 3, 2), due=at(2026, 3, 3))

    def lead(name, *linked):
        member = PartyMemberFactory(resident=ResidentFactory(household=h[name], name=f"党员{name}", relation="other"))
        made = LeadHouseholdFactory(party_member=member, household=h[name], since_on=datetime.date(2025, 12, 1))
        Household.objects.filter(pk__in=[h[other].pk for other in linked]).update(lead_household=made)
        return made

    h["L1"] = lead("h1", "h2", "h3")
    h["L2"] = lead("o2", "o1")
    refresh_visit_statuses()  # each household's interval under the policies, as the nightly job keeps it
    h.update(silver=silver, north=north, building7=building7)
    return h
