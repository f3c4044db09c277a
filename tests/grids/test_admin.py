import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from grids.models import Building, Grid, StaffAssignment
from tests.factories import BuildingFactory, GridFactory, UserFactory
from tests.grids.conftest import build_grids


def changelist(model):
    return reverse(f"admin:grids_{model}_changelist")


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("street", ["黄屯街道", "联系户覆盖", "55.6%（5/9）", "66.7%（2/3）", "查看社区"]),
        ("community", ["金色嘉苑社区", "西城社区", "55.6%（5/9）", "50.0%（1/2）", "2 个网格 →"]),
        ("grid", ["东区第一网格", "33.3%（2/6）", "0.0%（0/1）", "2 栋楼 →", "网格员配备"]),
        ("building", ["1号楼", "50.0%（2/4）", "100.0%（3/3）", "0.0%（0/1）", "楼宇党小组"]),
    ],
)
def test_changelist_shows_coverage_columns(client_for, admin_user, coverage_street, model, expected):
    response = client_for(admin_user).get(changelist(model))

    assert response.status_code == 200
    for text in expected:
        assert text in response.text
    assert "低于目标" in response.text


def test_shares_below_target_are_red(client_for, admin_user, coverage_street):
    text = client_for(admin_user).get(changelist("grid")).text

    assert '<span class="coverage-low">33.3%（2/6）</span>' in text
    assert "100.0%（1/1）</td>" in text


@pytest.mark.parametrize(
    ("model", "value", "names"),
    [
        ("grid", "below", {"东区第一网格", "西区第一网格"}),
        ("grid", "met", {"西城第一网格"}),
        ("building", "below", {"1", "2"}),
        ("building", "met", {"3"}),
    ],
)
def test_below_target_filter(client_for, admin_user, coverage_street, grids_measures_only, model, value, names):
    response = client_for(admin_user).get(changelist(model), {"coverage": value})

    rows = response.context["cl"].result_list
    assert {row.name if model == "grid" else row.number for row in rows} == names


def test_changelist_sorts_by_share(client_for, admin_user, coverage_street):
    response = client_for(admin_user).get(changelist("building"), {"o": "7"})

    assert [b.number for b in response.context["cl"].result_list] == ["2", "1", "3"]


def test_drill_down_links_filter_the_level_below(client_for, admin_user, coverage_street):
    client = client_for(admin_user)
    community_page = client.get(changelist("community")).text
    grid_url = f"{changelist('grid')}?community__id__exact={coverage_street.community.pk}"
    assert grid_url in community_page

    grids = client.get(grid_url).context["cl"].result_list
    assert {g.name for g in grids} == {"东区第一网格", "西区第一网格"}

    building_url = f"{changelist('building')}?grid__id__exact={coverage_street.grid.pk}"
    assert building_url in client.get(grid_url).text
    assert {b.number for b in client.get(building_url).context["cl"].result_list} == {"1", "2"}

    households_url = f"{reverse('admin:households_household_changelist')}?building__id__exact={coverage_street.b1.pk}"
    assert households_url in client.get(building_url).text
    assert client.get(households_url).context["cl"].result_count == 4


def test_excel_export_has_the_figures(client_for, admin_user, coverage_street):
    response = client_for(admin_user).get(reverse("admin:grids_grid_export"), {"coverage": "below"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert ".xlsx" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    header = rows[0]
    by_grid = {row[header.index("网格")]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(by_grid) == {"东区第一网格", "西区第一网格"}
    east = by_grid["东区第一网格"]
    assert east["社区"] == "金色嘉苑社区"
    assert east["居民户数"] == 6
    assert east["已联系中心户的户数"] == 2
    assert east["联系户覆盖（%）"] == 33.3
    assert east["楼宇党小组（%）"] == 50
    assert east["网格员人数"] == 1
    assert east["是否达标"] == "低于目标"
    assert by_grid["西区第一网格"]["网格员配备（%）"] == 0


def test_excel_export_escapes_formulae(client_for, admin_user, community):
    GridFactory(community=community, name="=HYPERLINK(1)", area="+1")

    response = client_for(admin_user).get(reverse("admin:grids_grid_export"))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    row = list(sheet.values)[1]
    assert "'=HYPERLINK(1)" in row
    assert "'+1" in row
    assert all(cell.data_type != "f" for cell in sheet[2])


def count_changelist_queries(client, model):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist(model), {"coverage": "below"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", ["street", "community", "grid", "building"])
def test_changelist_query_count_does_not_grow_with_rows(client_for, admin_user, community, model):
    client = client_for(admin_user)
    build_grids(community, 3)
    # Leave every grid below target so all of them are listed.
    Building.objects.update(party_group_leader="")
    few = count_changelist_queries(client, model)

    build_grids(community, 27, households_per_building=4)
    Building.objects.update(party_group_leader="")

    assert count_changelist_queries(client, model) == few
    assert Grid.objects.count() == 30


def test_grid_change_page_has_staff_and_building_inlines(client_for, admin_user, grid_worker, building):
    response = client_for(admin_user).get(reverse("admin:grids_grid_change", args=[building.grid.pk]))

    assert response.status_code == 200
    assert "负责人员" in response.text
    assert 'value="3"' in response.text
    assert "张立平" in response.text


def test_admin_adds_a_grid_worker_to_a_grid_inline(client_for, admin_user, grid):
    worker = UserFactory(username="grid09", role=User.Role.GRID_WORKER)
    prefix = "assignments"
    data = {
        "community": grid.community.pk,
        "name": grid.name,
        "area": "东区",
        "party_branch_name": "",
        "party_secretary": "",
        "leader": "",
        "daily_visits": "10",
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-user": worker.pk,
        "buildings-TOTAL_FORMS": "0",
        "buildings-INITIAL_FORMS": "0",
    }

    response = client_for(admin_user).post(reverse("admin:grids_grid_change", args=[grid.pk]), data)

    assert response.status_code == 302
    assert StaffAssignment.objects.filter(user=worker, grid=grid).exists()


def test_building_search_and_autocomplete_work(client_for, admin_user, grid):
    BuildingFactory(grid=grid, number="17")
    client = client_for(admin_user)

    response = client.get(changelist("building"), {"q": "17"})
    assert [b.number for b in response.context["cl"].result_list] == ["17"]

    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "households", "model_name": "household", "field_name": "building", "term": "17"},
    )
    assert autocomplete.status_code == 200
    assert [r["text"] for r in autocomplete.json()["results"]] == ["17号楼"]


def count_export_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:grids_grid_export"))
    assert response.status_code == 200
    return len(queries)


def test_export_query_count_does_not_grow_with_rows(client_for, admin_user, community):
    client = client_for(admin_user)
    build_grids(community, 3)
    few = count_export_queries(client)

    build_grids(community, 27)

    assert count_export_queries(client) == few


def test_autocomplete_does_not_compute_coverage(client_for, admin_user, grid):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(admin_user).get(
            reverse("admin:autocomplete"),
            {"app_label": "grids", "model_name": "staffassignment", "field_name": "grid", "term": "东区"},
        )

    assert [r["text"] for r in response.json()["results"]] == ["东区第一网格"]
    assert not any("households_household" in query["sql"] for query in queries)


def test_staff_cadre_sees_only_their_community_in_the_admin(client_for, cadre, coverage_street):
    cadre.is_staff = True
    cadre.save()
    client = client_for(cadre)

    grids = client.get(changelist("grid")).context["cl"].result_list
    streets = client.get(changelist("street")).context["cl"].result_list

    assert {g.name for g in grids} == {"东区第一网格", "西区第一网格"}
    assert [(s.name, s.grid_count, s.household_count) for s in streets] == [("黄屯街道", 2, 9)]


def test_excel_export_quotes_every_formula_start_and_keeps_numbers(client_for, admin_user, community):
    for name, area in [("==1+1", "+1+1"), ("@SUM(1)", "-2+3")]:
        GridFactory(community=community, name=name, area=area)

    response = client_for(admin_user).get(reverse("admin:grids_grid_export"))

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    header = rows[0]
    cells = {cell for row in rows[1:] for cell in row}
    assert {"'==1+1", "'+1+1", "'@SUM(1)", "'-2+3"} <= cells
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert all(row[header.index("居民户数")] == 0 for row in rows[1:])
