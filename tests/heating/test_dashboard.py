"""The season dashboard `/heating/`, the workbench card and the monthly report section, on hand-built seasons
whose figures are counted by hand in each test."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grids.models import Building
from heating import grid_figures
from heating.dashboard import SHOWN_GRIDS
from heating.models import (
    BuildingSupply,
    HeatingCompany,
    HeatingInspection,
    HeatingSeason,
    HeatingTicket,
    TemperatureReading,
    TicketEvent,
)
from heating.sections import heating_section
from households.models import PriorityGroup
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
)
from tests.visits.factories import VisitFactory

URL = "/heating/"


def inspect(household, season, by, at, *readings):
    """An inspection with readings given as (room type, °C); below standard when a standard room is below 18."""
    visit = VisitFactory(household=household, logged_by=by, visited_at=at, purposes=["heating"])
    standard = [Decimal(str(c)) for room, c in readings if room in TemperatureReading.STANDARD_ROOMS]
    inspection = HeatingInspection.objects.create(
        household=household,
        season=season,
        visit=visit,
        inspected_at=at,
        inspected_by=by,
        valve=HeatingInspection.Valve.FULLY_OPEN,
        lowest_celsius=min(Decimal(str(c)) for _room, c in readings),
        below_standard=any(c < season.standard_celsius for c in standard),
    )
    for room, value in readings:
        TemperatureReading.objects.create(
            inspection=inspection, room_type=room, celsius=Decimal(str(value)), measured_at=at
        )
    return inspection


def ticket(household, season, company, *, state=HeatingTicket.State.REPORTED, reported_at, deadline_at, **fields):
    return HeatingTicket.objects.create(
        household=household,
        season=season,
        company=company,
        problem="卧室 16.5 ℃",
        state=state,
        reported_at=reported_at,
        deadline_at=deadline_at,
        **fields,
    )


def ago(**delta):
    return timezone.now() - datetime.timedelta(**delta)


@pytest.fixture
def last_season(community):
    today = timezone.localdate()
    return HeatingSeason.objects.create(
        community=community,
        name="上一供暖季",
        starts_on=today - datetime.timedelta(days=420),
        ends_on=today - datetime.timedelta(days=300),
    )


@pytest.fixture
def world(heating, last_season, company, household, other_household, building, other_building, grid_worker):
    """东区第一网格 (building 3): h1 ticket open and overdue (priority group), h2 warm after a cold check, h3 not
    inspected, h4 warm (cold only last season). 西区第一网格 (building 12): o1 cold, o2 a logger ticket only."""
    season = heating
    elderly = PriorityGroup.objects.order_by("order").first()
    household.residents.get().priority_groups.add(elderly)
    h2 = HouseholdFactory(building=building, unit=1, floor=2, room="201")
    h3 = HouseholdFactory(building=building, unit=1, floor=3, room="301")
    h4 = HouseholdFactory(building=building, unit=1, floor=4, room="401")
    o2 = HouseholdFactory(building=other_building, unit=2, floor=1, room="101")

    inspect(household, season, grid_worker, ago(days=10), ("bedroom", 19.0), ("living", 20.0))
    inspect(household, season, grid_worker, ago(days=2), ("bedroom", 16.5), ("living", 18.5))
    inspect(h2, season, grid_worker, ago(days=9), ("bedroom", 17.0))
    inspect(h2, season, grid_worker, ago(days=3), ("bedroom", 20.0), ("other", 10.0))
    inspect(h4, season, grid_worker, ago(days=4), ("bedroom", 18.0), ("living", 22.0))
    inspect(h4, last_season, grid_worker, ago(days=380), ("bedroom", 15.0))
    inspect(other_household, season, grid_worker, ago(days=1), ("bedroom", 17.5))

    ticket(household, season, company, reported_at=ago(days=2), deadline_at=ago(days=1))
    ticket(
        o2, season, company, source=HeatingTicket.Source.LOGGER, reported_at=ago(hours=2), deadline_at=ago(hours=-22)
    )
    ticket(
        h2,
        season,
        company,
        state=HeatingTicket.State.RECHECK_PASSED,
        reported_at=ago(days=9),
        deadline_at=ago(days=8),
        closed_at=ago(days=3),
    )
    return {"h1": household, "h2": h2, "h3": h3, "h4": h4, "o1": other_household, "o2": o2}


def test_cadre_sees_the_seasons_figures_counted_by_hand(client, cadre, world, company, grid, other_grid):
    client.force_login(cadre)
    response = client.get(URL)

    assert response.status_code == 200
    context = response.context
    total = context["total"]
    assert (total["households"], total["inspected"], total["below"]) == (6, 4, 3)
    assert (total["ticket"], total["cold"], total["warm"], total["none"]) == (2, 1, 2, 1)
    assert total["readings"] == 9 and total["lowest"] == Decimal("16.5")
    assert round(total["average"], 2) == Decimal("18.72")  # 168.5 / 9, the 10 ℃ kitchen left out
    rows = {row["name"]: row for row in context["rows"]}
    east, west = rows["东区第一网格"], rows["西区第一网格"]
    assert (east["households"], east["inspected"], east["below"], east["ticket"], east["none"]) == (4, 3, 1, 1, 1)
    assert (east["lowest"], round(east["average"], 3)) == (Decimal("16.5"), Decimal("18.875"))
    assert (west["households"], west["inspected"], west["below"], west["cold"], west["ticket"]) == (2, 1, 2, 1, 1)
    assert context["companies"] == [
        {**context["companies"][0], "company": company.pk, "total": 3, "open": 2, "overdue": 1}
    ]
    assert [h.pk for h in context["below"]] == [world["h1"].pk, world["o1"].pk, world["o2"].pk]
    assert context["below_counts"] == {"total": 3, "priority": 1}
    assert context["in_season"] and context["selected"] is None
    page = response.content.decode()
    assert 'id="heating-inspected-share">66.7%' in page
    assert 'id="heating-average">18.7 ℃' in page
    assert 'id="heating-lowest">16.5 ℃' in page
    assert f'href="/households/{world["h1"].pk}/"' in page
    assert "heating-out-of-season" not in page


def test_a_grids_buildings_show_as_tiles_coloured_and_named_by_state(client, cadre, world, grid, building):
    warm_building = BuildingFactory(grid=grid, number="5")
    BuildingSupply.objects.create(building=warm_building, company=HeatingCompany.objects.get())
    warm = HouseholdFactory(building=warm_building, unit=1, floor=1, room="101")
    HouseholdFactory(building=BuildingFactory(grid=grid, number="10"), unit=1, floor=1, room="101")
    inspect(warm, HeatingSeason.objects.get(name="本供暖季"), cadre, ago(days=1), ("bedroom", 21.0))
    client.force_login(cadre)

    response = client.get(URL, {"grid": grid.pk})

    tiles = [(row["name"], row["state"], row["inspected"], row["households"]) for row in response.context["buildings"]]
    assert tiles == [("3号楼", "ticket", 3, 4), ("5号楼", "warm", 1, 1), ("10号楼", "none", 0, 1)]
    page = response.content.decode()
    assert f'class="heating-tile heating-state-ticket" href="/households/buildings/{building.pk}/"' in page
    assert "已测 3/4" in page and "已报修未结" in page and "未测温" in page


def test_last_season_can_be_chosen_for_comparison(client, cadre, world, last_season):
    client.force_login(cadre)

    response = client.get(URL, {"season": last_season.starts_on.year})

    total = response.context["total"]
    assert (total["households"], total["inspected"], total["below"], total["readings"]) == (6, 1, 1, 1)
    assert total["lowest"] == Decimal("15.0")
    assert response.context["companies"] == []
    assert [c.year for c in response.context["choices"]] == [
        HeatingSeason.objects.get(name="本供暖季").starts_on.year,
        last_season.starts_on.year,
    ]


def test_grid_worker_sees_their_grid_and_its_buildings_only(client, grid_worker, world, building):
    client.force_login(grid_worker)

    response = client.get(URL)

    total = response.context["total"]
    assert (total["households"], total["inspected"], total["below"]) == (4, 3, 1)
    assert [row["name"] for row in response.context["rows"]] == ["东区第一网格"]
    assert [h.pk for h in response.context["below"]] == [world["h1"].pk]
    assert response.context["tickets"] == {"open": 1, "overdue": 1}
    assert [row["key"] for row in response.context["buildings"]] == [building.pk]
    assert f"/households/{world['o1'].pk}/" not in response.content.decode()


def test_grid_worker_asking_for_another_grid_gets_404(client, grid_worker, world, other_grid):
    client.force_login(grid_worker)
    assert client.get(URL, {"grid": other_grid.pk}).status_code == 404


def test_cadre_of_another_community_sees_none_of_it(client, street, world):
    community = CommunityFactory(street=street, name="幸福社区")
    building = BuildingFactory(grid=GridFactory(community=community, name="幸福第一网格"), number="1")
    HouseholdFactory(building=building, unit=1, floor=1, room="101")
    today = timezone.localdate()
    HeatingSeason.objects.create(
        community=community, name="幸福本季", starts_on=today - datetime.timedelta(days=5), ends_on=today
    )
    other_cadre = UserFactory(username="cadre2", role="cadre")
    assign(other_cadre, community)
    client.force_login(other_cadre)

    response = client.get(URL)

    total = response.context["total"]
    assert (total["households"], total["inspected"], total["below"]) == (1, 0, 0)
    assert response.context["below"] == [] and response.context["companies"] == []
    assert "东区第一网格" not in response.content.decode()


def test_mediator_gets_403_and_no_menu_entry(client, mediator, cadre, world):
    client.force_login(mediator)
    assert client.get(URL).status_code == 403
    assert 'href="/heating/"' not in client.get("/").content.decode()
    client.force_login(cadre)
    assert 'href="/heating/"' in client.get("/").content.decode()


def test_leader_sees_every_community(client, leader, world):
    client.force_login(leader)
    response = client.get(URL)
    assert response.context["total"]["households"] == 6


def _queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def _buildings_with_households(grid, season, company, by, start, count):
    for n in range(start, start + count):
        building = BuildingFactory(grid=grid, number=str(100 + n))
        BuildingSupply.objects.create(building=building, company=company)
        households = [HouseholdFactory(building=building, unit=1, floor=f, room=f"{f}01") for f in (1, 2)]
        inspect(households[0], season, by, ago(days=1), ("bedroom", 16.0 if n % 2 else 20.0))
        if n % 3 == 0:
            ticket(households[1], season, company, reported_at=ago(days=1), deadline_at=ago(hours=1))


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader"])
def test_query_count_is_the_same_for_3_and_30_buildings(request, client, persona, heating, company, grid):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    params = {} if persona == "grid_worker" else {"grid": grid.pk}
    _buildings_with_households(grid, heating, company, user, 0, 3)
    few = _queries(client, URL, **params)
    _buildings_with_households(grid, heating, company, user, 3, 27)
    many = _queries(client, URL, **params)
    assert Building.objects.filter(grid=grid, number__startswith="1").count() == 30
    assert few == many


def test_a_community_of_many_grids_shows_those_furthest_behind_and_links_to_all(
    client, cadre, community, heating, grid_worker
):
    """Grid n has five households, n // 5 of them inspected and below standard: 25 grids, the 20 with the most
    below standard shown worst first (ties in name order), the totals and the chart's bars over what they say."""
    for n in range(25):
        building = BuildingFactory(grid=GridFactory(community=community, name=f"网格{n:02d}"), number="1")
        for k in range(5):
            home = HouseholdFactory(building=building, unit=1, floor=1, room=f"10{k}")
            if k < n // 5:
                inspect(home, heating, grid_worker, ago(days=1), ("bedroom", 16.0))
    grid_figures.rebuild()
    client.force_login(cadre)

    landing = client.get(URL)
    everything = client.get(URL, {"grids": "all"})

    worst_first = [f"网格{n:02d}" for first in (20, 15, 10, 5) for n in range(first, first + 5)]
    assert SHOWN_GRIDS == 20 and [row["name"] for row in landing.context["rows"]] == worst_first
    assert landing.context["chart"]["labels"] == worst_first
    assert (landing.context["total"]["households"], landing.context["total"]["below"]) == (125, 50)
    page = landing.content.decode()
    assert 'id="heating-grids-more"' in page and "显示全部 25 个网格" in page
    assert f'href="/heating/?season={landing.context["year"]}&amp;grids=all#heating-grids-title"' in page
    assert (
        '<tfoot><tr class="heating-total"><th scope="row" class="text-nowrap">合计</th><td class="text-end">125</td>'
        in page
    )
    assert [row["name"] for row in everything.context["rows"]] == [f"网格{n:02d}" for n in range(25)]
    assert everything.context["total"] == landing.context["total"]
    assert "只看低于标准户数最多的 20 个网格" in everything.content.decode()
    assert _queries(client, URL) == _queries(client, URL, grids="all")


def _card(response):
    return next((s for s in response.context["sections"] if s.template == "heating/_workbench.html"), None)


def test_workbench_card_counts_cold_households_and_tickets_in_scope(client, cadre, grid_worker, world):
    client.force_login(cadre)
    card = _card(client.get("/"))
    assert (card.context["below"], card.context["open"], card.context["overdue"]) == (3, 2, 1)

    client.force_login(grid_worker)
    response = client.get("/")
    card = _card(response)
    assert (card.context["below"], card.context["open"], card.context["overdue"]) == (1, 1, 1)
    assert 'id="heating-card-below">1<' in response.content.decode()


def test_workbench_card_is_not_shown_out_of_season_or_to_a_mediator(client, cadre, mediator, world, heating):
    client.force_login(mediator)
    assert _card(client.get("/")) is None
    HeatingSeason.objects.filter(pk=heating.pk).update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    client.force_login(cadre)
    assert _card(client.get("/")) is None


def test_out_of_season_the_page_says_so_and_shows_last_seasons_summary(client, cadre, community, household):
    today = timezone.localdate()
    ended = HeatingSeason.objects.create(
        community=community,
        name="刚结束的供暖季",
        starts_on=today - datetime.timedelta(days=150),
        ends_on=today - datetime.timedelta(days=30),
    )
    HeatingSeason.objects.create(
        community=community,
        name="下一供暖季",
        starts_on=today + datetime.timedelta(days=200),
        ends_on=today + datetime.timedelta(days=320),
    )
    inspect(household, ended, cadre, ago(days=60), ("bedroom", 17.0))
    client.force_login(cadre)

    response = client.get(URL)

    assert not response.context["in_season"]
    assert response.context["year"] == ended.starts_on.year
    assert (response.context["total"]["inspected"], response.context["total"]["below"]) == (1, 1)
    assert 'id="heating-out-of-season"' in response.content.decode()


def test_without_any_season_the_page_says_none_is_set(client, cadre, household):
    client.force_login(cadre)
    response = client.get(URL)
    assert response.status_code == 200
    assert 'id="heating-no-season"' in response.content.decode()


def _at(*args):
    return datetime.datetime(*args, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def report_world(community, company, household, other_household, building, cadre, grid_worker):
    """A 2025—2026 season; December 2025: h1 cold then warm, h2 cold, h3 inspected in November only, o1 in
    January. Tickets: h2 closed on time, h1 closed late, h3 reported in December (another company), o1 open
    since November."""
    season = HeatingSeason.objects.create(
        community=community, name="2025—2026", starts_on=datetime.date(2025, 11, 15), ends_on=datetime.date(2026, 3, 15)
    )
    h2 = HouseholdFactory(building=building, unit=1, floor=2, room="201")
    h3 = HouseholdFactory(building=building, unit=1, floor=3, room="301")
    inspect(household, season, grid_worker, _at(2025, 12, 3, 10), ("bedroom", 16.0))
    inspect(household, season, grid_worker, _at(2025, 12, 20, 10), ("bedroom", 20.0))
    inspect(h2, season, grid_worker, _at(2025, 12, 10, 10), ("living", 17.0))
    inspect(h3, season, grid_worker, _at(2025, 11, 20, 10), ("bedroom", 15.0))
    inspect(other_household, season, grid_worker, _at(2026, 1, 5, 10), ("bedroom", 15.0))

    closed = HeatingTicket.State.RECHECK_PASSED
    on_time = ticket(
        h2, season, company, state=closed, reported_at=_at(2025, 12, 10, 10), deadline_at=_at(2025, 12, 11, 10),
        closed_at=_at(2025, 12, 15, 10),
    )  # fmt: skip
    late = ticket(
        household, season, company, state=closed, reported_at=_at(2025, 12, 3, 10), deadline_at=_at(2025, 12, 4, 10),
        closed_at=_at(2025, 12, 21, 10),
    )  # fmt: skip
    TicketEvent.objects.create(ticket=on_time, from_state="accepted", to_state="handled", at=_at(2025, 12, 11, 9))
    TicketEvent.objects.create(ticket=late, from_state="accepted", to_state="handled", at=_at(2025, 12, 6, 9))
    east = HeatingCompany.objects.create(name="城东热源厂")
    ticket(h3, season, east, reported_at=_at(2025, 12, 28, 10), deadline_at=_at(2025, 12, 29, 10))
    ticket(other_household, season, company, reported_at=_at(2025, 11, 25, 10), deadline_at=_at(2025, 11, 26, 10))
    return season


def test_report_section_gives_the_months_figures_by_company(report_world, community, cadre):
    section = heating_section(community, datetime.date(2025, 12, 1), cadre)

    assert (section["households"], section["inspected"], section["below"]) == (4, 2, 1)
    assert section["tickets"] == {"reported": 3, "closed": 2, "closed_on_time": 1, "on_time_share": 0.5}
    assert [(c["name"], c["reported"], c["closed"], c["closed_on_time"]) for c in section["companies"]] == [
        ("城东热源厂", 1, 0, 0),
        ("济宁热力公司", 2, 2, 1),
    ]


def test_report_section_is_scoped_to_the_user_and_silent_out_of_season(report_world, community, grid_worker, street):
    mine = heating_section(community, datetime.date(2025, 12, 1), grid_worker)
    assert (mine["households"], mine["inspected"], mine["below"]) == (3, 2, 1)
    assert heating_section(community, datetime.date(2026, 6, 1), grid_worker) is None

    stranger = UserFactory(username="cadre2", role="cadre")
    assign(stranger, CommunityFactory(street=street, name="幸福社区"))
    assert heating_section(community, datetime.date(2025, 12, 1), stranger) is None


def test_report_section_renders(report_world, community, cadre):
    from django.template.loader import render_to_string

    html = render_to_string(
        "heating/_report.html", {"section": heating_section(community, datetime.date(2025, 12, 1), cadre)}
    )
    assert "城东热源厂" in html and "2025年12月" in html


def test_heating_is_a_report_section_and_not_a_coverage_measure():
    from core import reports
    from grids.coverage import measures_for

    assert "heating" in [section.key for section in reports.sections()]
    assert all("heating" not in measure.key for level in ("grid", "building") for measure in measures_for(level))


def test_priority_household_below_standard_comes_first_with_its_tag(client, cadre, world):
    ResidentFactory(household=world["o2"], name="孙桂英")
    client.force_login(cadre)
    response = client.get(URL)
    first = response.context["below"][0]
    assert first.pk == world["h1"].pk and first.priority_group
    assert first.heating_ticket_open and first.latest_lowest == Decimal("16.5")
    page = response.content.decode()
    item = page[page.index(f'href="/households/{first.pk}/"') :]
    item = item[: item.index("</li>")]
    assert f'<span class="badge text-bg-warning ms-1">{first.priority_group}</span>' in item
    assert "最近测温" in item and "最低 16.5 ℃" in item and "heating-state-ticket" in item
