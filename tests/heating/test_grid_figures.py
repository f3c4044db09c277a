"""The grids' stored season figures (`heating.grid_figures`): right the moment an inspection or a ticket move is
saved, rebuilt nightly to the same numbers, and the dashboard's list of households below standard capped."""

import datetime
import threading

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from heating import grid_figures
from heating.dashboard import BELOW_LIST
from heating.models import GridSeasonFigures, HeatingInspection, HeatingSeason, HeatingTicket
from heating.services import Reading, move_ticket, record_inspection
from households.models import PriorityGroup
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory
from tests.heating.conftest import celsius
from tests.heating.test_dashboard import ago, inspect, last_season, world  # noqa: F401 (fixtures)

URL = "/heating/"
FIGURES = ("households", "inspected", "ticket", "cold", "warm", "none", "below_priority", "readings")


def stored(season, grid):
    return GridSeasonFigures.objects.get(season=season, grid=grid)


def inspection(household, by, *readings):
    return record_inspection(
        household=household,
        by=by,
        readings=[Reading(room, celsius(value)) for room, value in readings],
        valve="fully_open",
    )[0]


def total(client):
    figures = client.get(URL).context["total"]
    return {key: figures[key] for key in ("households", "inspected", "below", "ticket", "cold", "warm", "none")}


def tiles(client):
    rows = client.get(URL).context["buildings"]
    return [(row["name"], row["state"], row["inspected"], row["households"], row["lowest"]) for row in rows]


def test_an_inspection_and_the_tickets_close_show_on_the_dashboard_at_once(
    client, grid_worker, cadre, heating, household, grid
):
    client.force_login(grid_worker)
    inspection(household, grid_worker, ("bedroom", 16.5))

    row = stored(heating, grid)
    assert (row.inspected, row.ticket, row.cold, row.readings, row.lowest) == (1, 1, 0, 1, celsius(16.5))
    assert total(client) == {"households": 1, "inspected": 1, "below": 1, "ticket": 1, "cold": 0, "warm": 0, "none": 0}
    assert [h.pk for h in client.get(URL).context["below"]] == [household.pk]
    assert tiles(client) == [("3号楼", "ticket", 1, 1, celsius(16.5))]

    inspection(household, grid_worker, ("bedroom", 20.0), ("living", 21.0))
    assert total(client)["ticket"] == 1  # still open until the company's work passes the re-check
    ticket = HeatingTicket.objects.get(household=household)
    for state in ("accepted", "handled"):
        move_ticket(ticket, state, by=cadre)
    move_ticket(ticket, HeatingTicket.State.RECHECK_PASSED, by=cadre, company_at_fault=False)

    row = stored(heating, grid)
    assert (row.inspected, row.ticket, row.cold, row.warm, row.readings) == (1, 0, 0, 1, 3)
    assert total(client) == {"households": 1, "inspected": 1, "below": 0, "ticket": 0, "cold": 0, "warm": 1, "none": 0}
    assert client.get(URL).context["below"] == []
    assert tiles(client) == [("3号楼", "warm", 1, 1, celsius(16.5))]


def test_a_cold_inspection_with_an_open_ticket_elsewhere_in_the_grid_counts_both(
    client, grid_worker, heating, household, building, grid
):
    neighbour = HouseholdFactory(building=building, unit=1, floor=2, room="201")
    inspection(household, grid_worker, ("bedroom", 16.0))
    inspection(neighbour, grid_worker, ("living", 19.0))

    row = stored(heating, grid)
    assert (row.households, row.inspected, row.ticket, row.warm, row.none) == (2, 2, 1, 1, 0)
    assert row.below_first == [[household.pk, False]]


@pytest.mark.usefixtures("world")
def test_the_rebuild_counts_what_the_services_count_and_is_idempotent(grid_worker, heating, household, grid):
    inspection(household, grid_worker, ("bedroom", 21.0))  # the world's h1 gets a warm check: ticket still open
    refreshed = {field: getattr(stored(heating, grid), field) for field in (*FIGURES, "below_first")}

    assert grid_figures.rebuild() == GridSeasonFigures.objects.count()
    first = {(r.season_id, r.grid_id): [getattr(r, f) for f in FIGURES] for r in GridSeasonFigures.objects.all()}
    call_command("runjob", "rebuild_heating_figures")
    again = {(r.season_id, r.grid_id): [getattr(r, f) for f in FIGURES] for r in GridSeasonFigures.objects.all()}

    assert first == again
    assert {field: getattr(stored(heating, grid), field) for field in (*FIGURES, "below_first")} == refreshed
    assert refreshed["households"] == 4 and refreshed["ticket"] == 1 and refreshed["readings"] == 9


@pytest.mark.usefixtures("world")
def test_the_dashboard_reads_the_same_figures_stored_or_counted_live(client, cadre):
    client.force_login(cadre)
    live = client.get(URL).context
    assert not GridSeasonFigures.objects.exists()  # a GET stores nothing

    grid_figures.rebuild()
    kept = client.get(URL).context

    assert kept["total"] == live["total"] and kept["below_counts"] == live["below_counts"] == {
        "total": 3,
        "priority": 1,
    }
    assert [h.pk for h in kept["below"]] == [h.pk for h in live["below"]]


def test_the_rebuild_puts_right_what_was_written_around_the_services(grid_worker, heating, household, grid):
    inspection(household, grid_worker, ("bedroom", 20.0))
    late = HouseholdFactory(building=household.building, unit=1, floor=5, room="501")
    inspect(late, heating, grid_worker, ago(days=1), ("bedroom", 15.0))  # straight into the table
    assert stored(heating, grid).households == 1

    grid_figures.rebuild()

    row = stored(heating, grid)
    assert (row.households, row.inspected, row.cold, row.warm) == (2, 2, 1, 1)
    assert row.below_first == [[late.pk, False]]


@pytest.fixture
def many_cold(heating, grid_worker, building, household):
    """BELOW_LIST + 5 cold households in one grid, the last two with a resident in a priority group."""
    elderly = PriorityGroup.objects.order_by("order").first()
    households = [
        HouseholdFactory(building=building, unit=3, floor=1 + n // 4, room=f"{1 + n // 4}0{n % 4 + 1}")
        for n in range(BELOW_LIST + 5)
    ]
    for h in households:
        inspect(h, heating, grid_worker, ago(hours=3), ("bedroom", 16.0))
    for h in households[-2:]:
        h.residents.create(name="独居老人", relation="head").priority_groups.add(elderly)
    grid_figures.rebuild()
    return households


def test_the_scopes_list_is_capped_priority_groups_first(client, cadre, other_household, many_cold):
    client.force_login(cadre)

    response = client.get(URL)

    below = [h.pk for h in response.context["below"]]
    assert len(below) == BELOW_LIST
    assert below[:2] == [h.pk for h in many_cold[-2:]]
    assert below[2:] == [h.pk for h in many_cold[: BELOW_LIST - 2]]
    assert response.context["below_counts"] == {"total": BELOW_LIST + 5, "priority": 2}
    page = response.content.decode()
    assert 'id="heating-below-more"' in page and f"共 {BELOW_LIST + 5} 户" in page


def test_a_grids_full_list_is_paged(client, cadre, many_cold, grid):
    client.force_login(cadre)

    first = client.get(URL, {"grid": grid.pk})
    second = client.get(URL, {"grid": grid.pk, "page": 2})

    assert [h.pk for h in first.context["below"]][:2] == [h.pk for h in many_cold[-2:]]
    assert first.context["below_pages"]["count"] == 2
    assert f"grid={grid.pk}" in first.context["below_pages"]["next_url"]
    assert len(second.context["below"]) == 5
    shown = {h.pk for h in first.context["below"]} | {h.pk for h in second.context["below"]}
    assert shown == {h.pk for h in many_cold}
    assert client.get(URL, {"grid": grid.pk, "page": "x"}).context["below_pages"]["number"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_saving_in_one_grid_at_once_are_both_counted(
    grid_worker, household, building, grid, season, company
):
    """Each save recounts the grid after taking its row's lock, so the second counts the first's inspection."""
    neighbour = HouseholdFactory(building=building, unit=1, floor=2, room="201")
    grid_figures.rebuild()  # the row exists: only its lock keeps the two counts in order
    start = threading.Barrier(2)
    failures = []

    def save(home, value):
        try:
            start.wait(timeout=10)
            inspection(home, grid_worker, ("bedroom", value))
        except Exception as error:  # noqa: BLE001 — reported below, a thread's exception would be lost
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=args) for args in ((household, 16.0), (neighbour, 20.0))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    row = stored(season, grid)
    assert (row.households, row.inspected, row.ticket, row.warm) == (2, 2, 1, 1)


def test_an_inspection_corrected_in_the_admin_recounts_its_grid(rf, admin_user, grid_worker, heating, household, grid):
    saved = inspection(household, grid_worker, ("bedroom", 19.0), ("living", 20.0))
    assert stored(heating, grid).readings == 2
    saved.readings.filter(room_type="living").delete()

    class Form:
        instance = saved

        def save_m2m(self):
            pass

    request = rf.post("/")
    request.user = admin_user
    admin.site._registry[HeatingInspection].save_related(request, Form(), [], True)

    assert (stored(heating, grid).readings, stored(heating, grid).lowest) == (1, celsius(19.0))


@pytest.fixture
def second_community(street, grid_worker):
    """幸福社区 with one household inspected warm in its own running season."""
    community = CommunityFactory(street=street, name="幸福社区")
    home = HouseholdFactory(
        building=BuildingFactory(grid=GridFactory(community=community, name="幸福第一网格"), number="1")
    )
    today = timezone.localdate()
    season = HeatingSeason.objects.create(
        community=community, name="幸福本季", starts_on=today - datetime.timedelta(days=5), ends_on=today
    )
    inspect(home, season, grid_worker, ago(hours=1), ("bedroom", 21.0))
    return community


@pytest.mark.usefixtures("world")
def test_the_leader_sees_a_row_per_community_leading_to_its_grids(client, leader, community, second_community):
    client.force_login(leader)

    street = client.get(URL)
    one = client.get(URL, {"community": community.pk})

    rows = {row["name"]: row for row in street.context["rows"]}
    assert set(rows) == {"金色嘉苑社区", "幸福社区"}
    assert (rows["金色嘉苑社区"]["households"], rows["金色嘉苑社区"]["below"], rows["幸福社区"]["warm"]) == (6, 3, 1)
    assert f"community={community.pk}&" in rows["金色嘉苑社区"]["url"]
    assert street.context["total"]["households"] == 7
    assert [row["name"] for row in one.context["rows"]] == ["东区第一网格", "西区第一网格"]
    assert one.context["total"]["households"] == 6 and one.context["community_view"]["name"] == "金色嘉苑社区"
    assert 'id="heating-all-communities"' in one.content.decode()
    assert client.get(URL, {"community": "0"}).context["community_view"] is None  # not one of theirs: all


def test_the_workbench_card_reads_the_stored_figures(client, grid_worker, heating, household, grid):
    inspection(household, grid_worker, ("living", 15.0))
    GridSeasonFigures.objects.filter(season=heating, grid=grid).update(cold=7)  # what the card reads, not a count

    client.force_login(grid_worker)
    card = next(s for s in client.get("/").context["sections"] if s.template == "heating/_workbench.html")

    assert card.context["below"] == 1 + 7 and card.context["open"] == 1


@pytest.mark.usefixtures("world")
def test_a_chosen_grid_narrows_the_page_to_it(client, cadre, leader, grid, community, second_community):
    client.force_login(cadre)

    response = client.get(URL, {"grid": grid.pk})

    total = response.context["total"]
    assert (total["households"], total["inspected"], total["below"]) == (4, 3, 1)
    assert response.context["tickets"] == {"open": 1, "overdue": 1}
    assert [row["name"] for row in response.context["rows"]] == ["东区第一网格"]
    assert response.context["chart"]["labels"] == ["3号楼"]
    year = response.context["year"]
    assert response.context["all_grids_url"] == f"/heating/?season={year}"
    assert 'id="heating-all-grids"' in response.content.decode()
    assert client.get(URL).context["all_grids_url"] is None

    client.force_login(leader)
    assert client.get(URL, {"grid": grid.pk}).context["all_grids_url"] == (
        f"/heating/?community={community.pk}&season={year}"
    )
