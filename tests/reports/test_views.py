"""The report pages through the client on the hand-built month: defaults, figures on the page, links that lead to
as many rows as the figure says, Excel downloads, scoping per role, and queries that do not grow with the number
of nodes shown."""

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory

pytestmark = pytest.mark.django_db


def cell(html_page, row, column, table="visit_coverage-coverage"):
    """The figure the page shows, and its link, for (row key, column key) of a table ("section-table")."""
    table_html = html_page.split(f'id="table-{table}"', 1)[1].split('class="report-table', 1)[0]
    row_html = re.search(rf'<tr[^>]*data-row="{re.escape(row)}"[^>]*>(.*?)</tr>', table_html, re.S).group(1)
    cell_html = re.search(rf'data-column="{column}">(.*?)</td>', row_html, re.S).group(1)
    figure = re.search(r'class="report-figure"[^>]*>([^<]*)<', cell_html).group(1)
    link = re.search(r'href="([^"]+)"', cell_html)
    return figure, link.group(1).replace("&amp;", "&") if link else None


def test_the_leader_lands_on_last_month_of_the_street(month_world, client_for, leader, street):
    response = client_for(leader).get("/reports/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "黄屯街道 · 2026年2月月度报表" in page
    assert cell(page, "total", "households")[0] == "8"
    assert cell(page, "total", "visited")[0] == "4"
    assert cell(page, "total", "visited_share")[0] == "50.0%"
    assert cell(page, "total", "received", "requests-requests")[0] == "3"
    assert "上月 3" in page  # January's households within policy beside February's
    assert "前屯村" in page  # the origin-village section


def test_defaults_are_the_users_top_node(month_world, client_for, cadre, grid_worker, community, grid):
    assert f"{community} · 2026年2月月度报表" in client_for(cadre).get("/reports/").content.decode()
    assert f"{grid} · 2026年2月月度报表" in client_for(grid_worker).get("/reports/").content.decode()


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("visit_coverage-coverage", "households", 8),
        ("visit_coverage-coverage", "visited", 4),
        ("visit_coverage-coverage", "unvisited", 4),
        ("visit_coverage-coverage", "visits", 4),
        ("visit_coverage-coverage", "not_home", 1),
        ("requests-requests", "received", 3),
        ("requests-requests", "unsatisfied", 1),
        ("party-party", "seen", 1),
        ("villages-villages", "requests", 3),
    ],
)
def test_each_figure_on_the_page_leads_to_as_many_rows(month_world, client_for, leader, table, column, expected):
    client = client_for(leader)
    page = client.get("/reports/?month=2026-02").content.decode()
    figure, url = cell(page, "total", column, table)
    rows = client.get(url)
    assert rows.status_code == 200
    assert int(figure) == rows.context["page"].paginator.count == expected


def test_a_leader_drills_from_a_community_to_the_unvisited_households_of_a_building(
    month_world, client_for, leader, community, grid, building
):
    client = client_for(leader)
    street_page = client.get("/reports/?month=2026-02").content.decode()
    assert f"?node=community%3A{community.pk}&amp;month=2026-02" in street_page
    grid_page = client.get(f"/reports/?node=grid:{grid.pk}&month=2026-02").content.decode()
    figure, url = cell(grid_page, f"building:{building.pk}", "unvisited")
    assert figure == "2"
    rows = client.get(url)
    rooms = {household.room for household in rows.context["page"]}
    assert rooms == {"102", "104"}


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "mediator"])
def test_nodes_above_a_users_scope_are_404(request, month_world, client_for, street, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(f"/reports/?node=street:{street.pk}").status_code == 404


def test_a_grid_worker_sees_their_grid_not_the_other(month_world, client_for, grid_worker, grid, other_grid, building):
    client = client_for(grid_worker)
    assert client.get(f"/reports/?node=grid:{grid.pk}").status_code == 200
    assert client.get(f"/reports/?node=grid:{other_grid.pk}").status_code == 404
    assert client.get(f"/reports/rows/visit_coverage/unvisited/?node=grid:{other_grid.pk}").status_code == 404
    rows = client.get(f"/reports/rows/visit_coverage/households/?node=building:{building.pk}&month=2026-02")
    assert rows.context["page"].paginator.count == 4


def test_a_cadre_sees_the_community_but_not_the_next_one(month_world, client_for, cadre, community):
    client = client_for(cadre)
    assert client.get(f"/reports/?node=community:{community.pk}").status_code == 200
    assert client.get(f"/reports/?node=community:{month_world['silver'].pk}").status_code == 404


def test_a_user_without_any_node_gets_404(client_for, mediator):
    assert client_for(mediator).get("/reports/").status_code == 404


def test_unknown_figures_and_sections_are_404(month_world, client_for, leader):
    client = client_for(leader)
    assert client.get("/reports/rows/visit_coverage/nonsense/").status_code == 404
    assert client.get("/reports/rows/nonsense/visits/").status_code == 404
    assert client.get("/reports/?node=planet:1").status_code == 404


def test_a_table_downloads_as_excel_with_chinese_headers_and_comparisons(month_world, client_for, leader, street):
    response = client_for(leader).get(
        f"/reports/tables/visit_coverage/coverage.xlsx?node=street:{street.pk}&month=2026-02"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[1]
    assert header[:4] == ("社区", "居民户", "居民户（上月）", "居民户（去年同月）")
    total = next(row for row in rows if row[0] == "合计")
    assert total[1:3] == (8, 8)


def test_the_rows_behind_a_figure_download_as_excel(month_world, client_for, leader, street):
    response = client_for(leader).get(
        f"/reports/rows/visit_coverage/unvisited/?node=street:{street.pk}&month=2026-02&format=xlsx"
    )
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:3] == ("房号", "网格", "户主")
    assert len([row for row in rows[2:] if any(row)]) == 4


def test_formulas_typed_by_residents_stay_text_in_the_download(month_world, client_for, leader, street):
    month_world["h4"].residents.create(name='=HYPERLINK("http://x")', relation="head")
    response = client_for(leader).get(
        f"/reports/rows/visit_coverage/unvisited/?node=street:{street.pk}&month=2026-02&format=xlsx"
    )
    values = [v for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for v in row]
    assert '\'=HYPERLINK("http://x")' in values


def test_the_printable_page_has_no_menu(month_world, client_for, leader):
    page = client_for(leader).get("/reports/print/?month=2026-02").content.decode()
    assert "portal-nav" not in page
    assert "report-print-button" in page
    assert "<svg" in page  # the charts, drawn on the server


def _add_communities(street, start, n):
    for i in range(start, start + n):
        community = CommunityFactory(street=street, name=f"新建社区{i}")
        building = BuildingFactory(grid=GridFactory(community=community, name=f"网格{i}"))
        HouseholdFactory(building=building)


def test_the_page_costs_the_same_queries_for_3_and_30_communities(month_world, client_for, leader, street):
    client = client_for(leader)
    _add_communities(street, 0, 1)
    client.get("/reports/?month=2026-02")
    with CaptureQueriesContext(connection) as three:
        client.get("/reports/?month=2026-02")
    _add_communities(street, 1, 27)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get("/reports/?month=2026-02")
    assert response.content.decode().count("新建社区") >= 28
    assert len(thirty) == len(three)
