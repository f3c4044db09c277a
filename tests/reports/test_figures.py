"""Kept report figures (`reports.figures`) on the hand-built month of tests/reports/conftest.py: the kept figures
are the figures the sections count, a second page reads them instead of counting, what makes them out of date
(the month not over yet, the nightly recount of last month, a new definition, regenerating the report), the
nightly job, and the cap on tables of child nodes."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import reports as registry
from grids.nodes import node_key
from households.models import Household
from reports import compose, figures, months, services
from reports import tasks as report_tasks  # noqa: F401 - registers the tasks the services send by name
from reports.models import MonthFigures
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory
from tests.reports.conftest import FEBRUARY, NOW, at
from tests.reports.test_views import cell
from tests.visits.factories import VisitFactory
from visits.models import Visit

pytestmark = pytest.mark.django_db


def counted_afresh(node, month, user):
    """Every table of the report as the page built it before figures were kept: each section's `build` run for
    the month, the month before and the same month last year, rendered straight from its `Table`s."""
    tables = {}
    for section in registry.sections():
        data = section.build(node, month, user)
        if data is None:
            continue
        compared = []
        for other in (months.shift(month, -1), months.shift(month, -12)):
            built = section.build(node, other, user)
            compared.append(
                None
                if built is None
                else {(table.key, row.key): row.values for table in section.tables(built) for row in table.rows}
            )
        for table in section.tables(data):
            rendered = compose.render_table(section.key, table, node_key(node), month, *compared)
            tables[(section.key, table.key)] = lines(rendered)
    return tables


def lines(table):
    return [
        (
            row.key,
            row.label,
            row.url,
            row.total,
            [(c.column, c.value, c.url, c.previous, c.last_year) for c in row.cells],
        )
        for row in table.rows
    ]


def tables_of(report):
    return {(table.section, table.key): lines(table) for section in report.sections for table in section.tables}


@pytest.mark.parametrize("persona", ["leader", "cadre", "grid_worker"])
def test_kept_figures_are_the_figures_the_sections_count(request, month_world, persona):
    user = request.getfixturevalue(persona)
    node = {"leader": "street", "cadre": "community", "grid_worker": "grid"}[persona]
    node = request.getfixturevalue(node)
    expected = counted_afresh(node, FEBRUARY, user)
    assert expected[("visit_coverage", "coverage")]  # the month has data to compare
    compose.compose(node, FEBRUARY, user)  # counts and keeps the three months
    assert MonthFigures.objects.filter(node=node_key(node)).count() == 3
    kept = compose.compose(node, FEBRUARY, user)
    assert tables_of(kept) == expected
    assert tables_of(compose.compose(node, FEBRUARY, user, live=True)) == expected


def test_a_second_page_reads_the_kept_figures(month_world, client_for, leader, street, monkeypatch):
    client = client_for(leader)
    with CaptureQueriesContext(connection) as first:
        assert client.get("/reports/").status_code == 200
    assert MonthFigures.objects.filter(node=node_key(street), month=FEBRUARY).exists()

    def no_counting(*args, **kwargs):
        raise AssertionError("counted again")

    monkeypatch.setattr(figures, "count_month", no_counting)
    with CaptureQueriesContext(connection) as second:
        page = client.get("/reports/").content.decode()
    assert cell(page, "total", "visited")[0] == "4"
    assert len(second) < len(first) - 20
    assert "数字计算于" in page


def test_figures_of_a_month_not_over_are_kept_ten_minutes_and_say_so(month_world, client_for, leader, street):
    client = client_for(leader)
    with time_machine.travel(at(2026, 2, 20, 9, 0), tick=False):
        page = client.get("/reports/?month=2026-02").content.decode()
    assert "本月数字截至 09:00" in page
    with time_machine.travel(at(2026, 2, 20, 9, 5), tick=False):
        assert "本月数字截至 09:00" in client.get("/reports/?month=2026-02").content.decode()
    with time_machine.travel(at(2026, 2, 20, 9, 11), tick=False):
        assert "本月数字截至 09:11" in client.get("/reports/?month=2026-02").content.decode()
    # counted before February ended: counted again once it has
    row = MonthFigures.objects.get(node=node_key(street), month=FEBRUARY)
    assert not figures.is_current(row)
    client.get("/reports/?month=2026-02")
    row.refresh_from_db()
    assert row.computed_at == NOW and figures.is_current(row)


def test_a_visit_back_entered_for_last_month_is_on_the_report_after_the_nightly_recount(
    month_world, client_for, leader, grid_worker
):
    client = client_for(leader)
    assert cell(client.get("/reports/").content.decode(), "total", "visits")[0] == "4"
    VisitFactory(
        household=month_world["h4"], logged_by=grid_worker, visited_at=at(2026, 2, 15), outcome=Visit.Outcome.MET
    )
    assert cell(client.get("/reports/").content.decode(), "total", "visits")[0] == "4"  # kept as counted
    assert services.refresh_figures() > 0
    assert cell(client.get("/reports/").content.decode(), "total", "visits")[0] == "5"


def test_figures_counted_under_another_definition_are_counted_again(month_world, leader, street, monkeypatch):
    compose.compose(street, FEBRUARY, leader)
    row = MonthFigures.objects.get(node=node_key(street), month=FEBRUARY)
    assert figures.is_current(row)
    monkeypatch.setattr(figures, "VERSION", figures.VERSION + 1)
    assert not figures.is_current(row)
    compose.compose(street, FEBRUARY, leader)
    assert MonthFigures.objects.get(pk=row.pk).version == figures.VERSION


def test_regenerating_the_report_drops_that_months_kept_figures(month_world, cadre, community, monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda *args: None)
    compose.compose(community, FEBRUARY, cadre)
    assert MonthFigures.objects.filter(node=node_key(community)).count() == 3
    services.request_report(node=community, month=FEBRUARY, by=cadre)
    assert set(MonthFigures.objects.filter(node=node_key(community)).values_list("month", flat=True)) == {
        months.shift(FEBRUARY, -1),
        months.shift(FEBRUARY, -12),
    }


def test_the_nightly_job_counts_each_node_for_the_users_who_open_it(month_world, leader, cadre, grid_worker):
    counted = services.refresh_figures()
    rows = MonthFigures.objects.all()
    assert counted == rows.count()
    by_audience = {}
    for row in rows:
        by_audience.setdefault(row.audience, set()).add(row.node.partition(":")[0])
    assert {"street", "community", "grid"} in by_audience.values()  # the leader's
    assert {"grid"} in by_audience.values()  # the grid workers'
    assert services.refresh_figures() == rows.filter(month=FEBRUARY).count()  # again: last month only


def test_the_page_counts_a_month_in_the_same_queries_for_3_and_30_grids(month_world, client_for, cadre, community):
    client = client_for(cadre)

    def counting_page():
        MonthFigures.objects.all().delete()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/reports/").status_code == 200
        return len(queries)

    three = counting_page()
    for i in range(27):
        HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community, name=f"新网格{i:02}")))
    assert counting_page() == three


def test_a_table_of_many_grids_shows_those_needing_attention_and_links_to_all(
    month_world, client_for, cadre, community
):
    for i in range(25):
        grid = GridFactory(community=community, name=f"新网格{i:02}")
        household = HouseholdFactory(building=BuildingFactory(grid=grid))
        Household.objects.filter(pk=household.pk).update(created_at=at(2025, 12, 1))
        if i < 12:  # visited within policy: 100%
            VisitFactory(household=household, visited_at=at(2026, 2, 10), outcome=Visit.Outcome.MET)
    from visits.scheduling import refresh_visit_statuses

    refresh_visit_statuses()
    client = client_for(cadre)
    page = client.get("/reports/").content.decode()
    table = page.split('id="table-visit_coverage-coverage"', 1)[1].split('class="report-table', 1)[0]
    assert table.count('<tr data-row="grid:') == 20
    assert "另有 7 个未列出" in table
    assert "按期走访率最低" in table
    assert 'data-row="total"' in table
    assert cell(page, "total", "households")[0] == str(6 + 25)  # the total counts every grid
    shown = [name for name in (f"新网格{i:02}" for i in range(25)) if f">{name}</a>" in table]
    assert set(shown) >= {f"新网格{i:02}" for i in range(12, 25)}  # none visited: shown first
    full = client.get("/reports/?month=2026-02&all=visit_coverage.coverage").content.decode()
    full_table = full.split('id="table-visit_coverage-coverage"', 1)[1].split('class="report-table', 1)[0]
    assert full_table.count('<tr data-row="grid:') == 27
    assert "未列出" not in full_table


def test_the_current_month_is_not_kept_beyond_ten_minutes(month_world, leader, street):
    march = datetime.date(2026, 3, 1)
    compose.compose(street, march, leader)
    row = MonthFigures.objects.get(node=node_key(street), month=march)
    assert figures.is_current(row)
    with time_machine.travel(NOW + figures.CURRENT_FOR + datetime.timedelta(seconds=1), tick=False):
        assert not figures.is_current(row)


def test_users_with_other_permissions_read_figures_of_their_own(month_world, client_for, cadre, grid_worker, grid):
    for user in (cadre, grid_worker):
        assert client_for(user).get(f"/reports/?node=grid:{grid.pk}").status_code == 200
    rows = MonthFigures.objects.filter(node=f"grid:{grid.pk}", month=FEBRUARY)
    assert rows.count() == 2
    assert {row.audience for row in rows} == {figures.audience(cadre), figures.audience(grid_worker)}
