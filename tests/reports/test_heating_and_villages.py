"""Heating's report tables with the rows behind each figure (on heating's hand-built December 2025), and the
origin-village section: requests and heating complaints by village, and figures by pair of villages."""

import datetime

import pytest

from core import reports
from core.reports import VillageFigure
from heating.report_tables import heating_rows, heating_tables
from heating.sections import heating_section
from reports.compose import compose
from reports.villages import village_rows, village_tables, villages_section
from tests.heating.conftest import company  # noqa: F401 - fixture
from tests.heating.test_dashboard import report_world  # noqa: F401 - fixture
from tests.reports.conftest import FEBRUARY

pytestmark = pytest.mark.django_db

DECEMBER = datetime.date(2025, 12, 1)


@pytest.mark.parametrize(("figure", "expected"), [("households", 4), ("inspected", 2), ("below", 1)])
@pytest.mark.usefixtures("report_world")
def test_heating_household_figures_lead_to_as_many_households(community, cadre, figure, expected):
    section = heating_section(community, DECEMBER, cadre)
    assert heating_rows(figure, community, DECEMBER, cadre, {}).rows.count() == section[figure] == expected


@pytest.mark.usefixtures("report_world")
def test_heating_ticket_figures_per_company_lead_to_as_many_tickets(community, cadre):
    section = heating_section(community, DECEMBER, cadre)
    for row in [*section["companies"], {**section["tickets"], "company": ""}]:
        for figure in ("reported", "closed", "closed_on_time"):
            rows = heating_rows(figure, community, DECEMBER, cadre, {"company": str(row["company"])})
            assert rows.rows.count() == row[figure], (row, figure)


@pytest.mark.usefixtures("report_world")
def test_heating_tables_carry_the_sections_figures(community, cadre):
    summary, companies = heating_tables(heating_section(community, DECEMBER, cadre))
    assert summary.rows[0].values["inspected"] == 2
    assert [row.label for row in companies.rows] == ["城东热源厂", "济宁热力公司", "合计"]
    assert companies.rows[-1].values["reported"] == 3


@pytest.mark.usefixtures("report_world")
def test_the_report_shows_heating_in_season_only(community, cadre):
    assert compose(community, DECEMBER, cadre).table("heating", "companies") is not None
    assert compose(community, datetime.date(2026, 6, 1), cadre).table("heating", "companies") is None


@pytest.mark.usefixtures("report_world")
def test_heating_complaints_by_origin_village(community, cadre, household):
    from households.models import Household
    from tests.factories import OriginVillageFactory

    village = OriginVillageFactory(street=community.street, name="前屯村")
    Household.objects.filter(pk=household.pk).update(origin_village=village)
    data = villages_section(community, DECEMBER, cadre)
    heating = dict(data["single"])[reports.village_registry.get("heating")]
    assert heating == {"前屯村": 1, "": 2}  # h1's late ticket; h2's and h3's
    rows = village_rows("heating", community, DECEMBER, cadre, {"village": "前屯村"})
    assert rows.rows.count() == 1


def test_requests_by_origin_village(month_world, street, leader):
    data = villages_section(street, FEBRUARY, leader)
    requests = dict(data["single"])[reports.village_registry.get("requests")]
    assert requests == {"前屯村": 2, "后屯村": 1}
    (table,) = village_tables(data)
    assert [row.label for row in table.rows] == ["前屯村", "后屯村", "合计"]
    for village, expected in (("前屯村", 2), ("后屯村", 1)):
        assert village_rows("requests", street, FEBRUARY, leader, {"village": village}).rows.count() == expected
    assert village_rows("requests", street, FEBRUARY, leader, {}).rows.count() == 3


@pytest.fixture
def pair_figure():
    """A stand-in for mediation's disputes by pair of villages: two between 前屯村 and 后屯村, hidden from grid
    workers."""

    def counts(user, grids, start, end):
        if user.role == "grid_worker":
            return None
        return {("前屯村", "后屯村"): 2}

    figure = VillageFigure(key="test_pairs", label="纠纷", counts=counts, pairs=True)
    reports.register_village_figure(figure)
    yield figure
    reports.village_registry.unregister("test_pairs")


def test_figures_by_pair_of_villages_get_their_own_table(month_world, street, leader, grid, grid_worker, pair_figure):
    tables = {table.key: table for table in village_tables(villages_section(street, FEBRUARY, leader))}
    pairs = tables["village_pairs"]
    assert [row.label for row in pairs.rows] == ["前屯村 — 后屯村", "合计"]
    assert pairs.rows[0].values == {"dispute_pairs": 0, "test_pairs": 2}  # mediation's own: none in February
    mine = village_tables(villages_section(grid, FEBRUARY, grid_worker))
    assert [table.key for table in mine] == ["villages"]
