"""The visits app's report sections on the hand-built month of tests/reports/conftest.py: every figure against
the count written there, and every drill-down list as long as its figure."""

import pytest

from core import reports
from reports.compose import compose
from tests.reports.conftest import FEBRUARY, JANUARY
from visits.report_sections import (
    coverage_rows,
    coverage_section,
    party_rows,
    party_section,
    request_rows,
    requests_section,
)

pytestmark = pytest.mark.django_db


def by_key(rows):
    return {row.label: row.values for row in rows}


def test_visit_coverage_per_community_at_the_end_of_february(month_world, street, leader):
    section = coverage_section(street, FEBRUARY, leader)
    rows = by_key(section["rows"])
    assert {k: rows["金色嘉苑社区"][k] for k in ("households", "visited", "unvisited", "visits", "not_home")} == {
        "households": 6,
        "visited": 3,
        "unvisited": 3,
        "visits": 3,
        "not_home": 1,
    }
    assert {k: rows["银河社区"][k] for k in ("households", "visited", "unvisited", "visits", "not_home")} == {
        "households": 2,
        "visited": 1,
        "unvisited": 1,
        "visits": 1,
        "not_home": 0,
    }
    total = section["total"]
    assert (total["households"], total["visited"], total["visits"], total["not_home"]) == (8, 4, 4, 1)
    assert total["visited_share"] == 0.5
    assert total["not_home_share"] == 0.25


def test_visit_coverage_at_the_end_of_january_and_before_any_household(month_world, street, leader):
    january = coverage_section(street, JANUARY, leader)["total"]
    assert (january["households"], january["visited"], january["visits"], january["not_home"]) == (8, 3, 2, 0)
    assert coverage_section(street, FEBRUARY.replace(year=2025), leader) is None


def test_visit_coverage_per_building_of_a_grid(month_world, grid, building, leader):
    rows = {row.key: row.values for row in coverage_section(grid, FEBRUARY, leader)["rows"]}
    assert rows[f"building:{building.pk}"]["households"] == 4
    assert rows[f"building:{building.pk}"]["visited"] == 2


@pytest.mark.parametrize(
    ("figure", "expected"),
    [("households", 8), ("visited", 4), ("unvisited", 4), ("visits", 4), ("not_home", 1)],
)
def test_each_coverage_drill_down_lists_as_many_rows_as_its_figure(month_world, street, leader, figure, expected):
    total = coverage_section(street, FEBRUARY, leader)["total"]
    rows = coverage_rows(figure, street, FEBRUARY, leader, {})
    assert rows.rows.count() == total[figure] == expected


def test_unvisited_households_of_one_building_are_the_ones_counted(month_world, building, leader):
    rows = coverage_rows("unvisited", building, FEBRUARY, leader, {})
    assert {household.pk for household in rows.rows} == {month_world["h2"].pk, month_world["h4"].pk}


def test_requests_by_category_in_february(month_world, street, leader):
    section = requests_section(street, FEBRUARY, leader)
    rows = {row.key: row.values for row in section["rows"]}
    assert (rows["repair"]["received"], rows["repair"]["closed"], rows["repair"]["on_time"]) == (2, 1, 1)
    assert (rows["heating"]["received"], rows["heating"]["closed"], rows["heating"]["on_time"]) == (1, 2, 1)
    total = section["total"]
    assert (total["received"], total["closed"], total["on_time"]) == (3, 3, 2)
    assert (total["answered"], total["satisfied"], total["unsatisfied"]) == (3, 2, 1)
    assert total["satisfied_share"] == pytest.approx(2 / 3)
    assert requests_section(street, JANUARY, leader)["total"]["received"] == 1


@pytest.mark.parametrize(
    ("figure", "category", "expected"),
    [
        ("received", "", 3),
        ("received", "repair", 2),
        ("closed", "heating", 2),
        ("on_time", "", 2),
        ("satisfied", "", 2),
        ("unsatisfied", "", 1),
    ],
)
def test_each_request_drill_down_lists_as_many_rows_as_its_figure(
    month_world, street, leader, figure, category, expected
):
    section = requests_section(street, FEBRUARY, leader)
    values = next(row.values for row in section["rows"] if row.key == category) if category else section["total"]
    rows = request_rows(figure, street, FEBRUARY, leader, {"category": category} if category else {})
    assert rows.rows.count() == values[figure] == expected


def test_party_engagement_in_february(month_world, street, community, leader):
    total = party_section(street, FEBRUARY, leader)["total"]
    assert (total["leads"], total["engaged"], total["linked"], total["seen"]) == (2, 1, 3, 1)
    assert (total["buildings"], total["grouped"]) == (3, 2)
    rows = {row.label: row.values for row in party_section(street, FEBRUARY, leader)["rows"]}
    assert (rows["银河社区"]["buildings"], rows["银河社区"]["grouped"], rows["银河社区"]["leads"]) == (1, 0, 0)


@pytest.mark.parametrize(
    ("figure", "expected"),
    [("leads", 2), ("engaged", 1), ("linked", 3), ("seen", 1), ("buildings", 3), ("grouped", 2)],
)
def test_each_party_drill_down_lists_as_many_rows_as_its_figure(month_world, street, leader, figure, expected):
    total = party_section(street, FEBRUARY, leader)["total"]
    rows = party_rows(figure, street, FEBRUARY, leader, {})
    assert len(list(rows.rows)) == total[figure] == expected


def test_a_grid_worker_counts_only_their_grid(month_world, grid, grid_worker):
    assert coverage_section(grid, FEBRUARY, grid_worker)["total"]["households"] == 4
    assert requests_section(grid, FEBRUARY, grid_worker)["total"]["received"] == 2


def test_every_figure_carries_last_month_and_no_figure_from_a_year_without_data(month_world, street, leader):
    report = compose(street, FEBRUARY, leader)
    coverage = report.table("visit_coverage", "coverage")
    assert coverage.has_previous and not coverage.has_last_year
    total = next(row for row in coverage.rows if row.total)
    visited = next(cell for cell in total.cells if cell.column == "visited")
    assert (visited.value, visited.previous, visited.last_year) == (4, 3, None)
    assert visited.url.startswith("/reports/rows/visit_coverage/visited/?node=street")


def test_the_visits_sections_are_registered():
    keys = [section.key for section in reports.sections()]
    assert keys.index("visit_coverage") < keys.index("requests") < keys.index("party")


def test_a_household_without_a_visit_status_yet_has_the_default_interval(month_world, building, leader):
    """h2 (独居老人, 30 days; met 20 January) is not within policy at the end of February; registered since the
    last nightly refresh (no status), it has the default 60 days, and its visit of 20 January counts."""
    from visits.models import VisitStatus

    before = coverage_section(building.grid, FEBRUARY, leader)["total"]["visited"]
    VisitStatus.objects.filter(household=month_world["h2"]).delete()
    after = coverage_section(building.grid, FEBRUARY, leader)["total"]["visited"]
    assert (before, after) == (2, 3)
    assert coverage_rows("visited", building, FEBRUARY, leader, {}).rows.count() == 3
