import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.grids.conftest import build_grids

URL = reverse("coverage")


def chart_of(response):
    match = re.search(r'<script id="coverage-chart-data" type="application/json">(.*?)</script>', response.text, re.S)
    return json.loads(match.group(1))


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admin_sees_the_whole_street_with_figures(client_for, admin_user, coverage_street):
    response = client_for(admin_user).get(URL)

    assert response.status_code == 200
    text = response.text
    for name in ("黄屯街道", "金色嘉苑社区", "西城社区", "东区第一网格", "西区第一网格", "西城第一网格"):
        assert name in text
    assert "5 / 9 · 55.6%" in text
    assert "2 / 6 · 33.3%" in text
    assert "低于目标" in text
    assert f'href="?grid={coverage_street.grid.pk}#grid-detail"' in text


def test_leader_sees_the_whole_street(client_for, leader, coverage_street):
    response = client_for(leader).get(URL)

    assert "西城第一网格" in response.text
    assert "5 / 9 · 55.6%" in response.text


def test_chart_compares_communities(client_for, admin_user, coverage_street):
    chart = chart_of(client_for(admin_user).get(URL))

    assert chart["target"] == 90
    linked = chart["datasets"][0]
    assert linked["label"] == "联系户覆盖"
    assert dict(zip(chart["labels"], linked["data"], strict=True)) == {"金色嘉苑社区": 55.6, "西城社区": None}


def test_grid_worker_sees_only_their_grid(client_for, grid_worker, coverage_street):
    response = client_for(grid_worker).get(URL)

    text = response.text
    assert "东区第一网格" in text
    assert "西区第一网格" not in text
    assert "西城社区" not in text
    # The street and community totals cover only the worker's own grid.
    assert "9 / " not in text
    assert "2 / 6 · 33.3%" in text
    assert chart_of(response)["labels"] == ["东区第一网格"]


def test_cadre_sees_their_community_and_not_the_other(client_for, cadre, coverage_street):
    text = client_for(cadre).get(URL).text

    assert "东区第一网格" in text
    assert "西区第一网格" in text
    assert "西城社区" not in text
    assert "西城第一网格" not in text


def test_grid_drill_down_lists_its_buildings(client_for, grid_worker, coverage_street):
    response = client_for(grid_worker).get(URL, {"grid": coverage_street.grid.pk})

    assert response.status_code == 200
    text = response.text
    assert "1号楼" in text
    assert "2号楼" in text
    assert "3号楼" not in text
    assert "未建党小组或无组长" in text
    assert chart_of(response)["labels"] == ["1号楼", "2号楼"]


@pytest.mark.parametrize("value", ["other", "abc", ""])
def test_grid_drill_down_outside_scope_is_404(client_for, grid_worker, coverage_street, value):
    grid_id = coverage_street.other_grid.pk if value == "other" else value

    response = client_for(grid_worker).get(URL, {"grid": grid_id})

    assert response.status_code == 404


def test_user_without_grids_sees_an_empty_page(client_for, mediator, coverage_street):
    response = client_for(mediator).get(URL)

    assert response.status_code == 200
    assert "您还没有分配到任何网格" in response.text
    assert "东区第一网格" not in response.text


def count_queries(client, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["admin_user", "cadre"])
def test_query_count_does_not_grow_with_grids(request, client_for, community, persona):
    client = client_for(request.getfixturevalue(persona))
    grids = build_grids(community, 3)
    few = count_queries(client)
    few_drill = count_queries(client, {"grid": grids[0].pk})

    build_grids(community, 27, households_per_building=5)

    assert count_queries(client) == few
    assert count_queries(client, {"grid": grids[0].pk}) == few_drill
