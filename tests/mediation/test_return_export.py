"""The monthly return as Excel, `/mediation/return/?month=2026-03`, on the hand-built March 2026 of
`tests.mediation.disputes.build_march`."""

import datetime
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mediation.models import Dispute
from tests.factories import GridFactory
from tests.mediation.disputes import build_march, day, make_dispute

URL = "/mediation/return/"
HEADERS = ["受理", "调解", "调解成功", "调解不成", "成功率", "书面协议", "口头协议", "矛盾上行", "平均办结天数"]
TYPES = [
    "婚姻家庭继承", "邻里", "房屋宅基地", "合同", "损害赔偿", "山林土地承包", "征地拆迁",
    "劳动争议", "村务管理", "环境保护", "交通事故", "医患", "物业", "其他",
]  # fmt: skip


@pytest.fixture
def other_community(other_community_cadre):
    return other_community_cadre.assignments.get().community


@pytest.fixture
def march(community, grid, other_grid, other_community, cadre, roster):
    GridFactory(community=other_community, name="幸福里第一网格")
    return build_march(community=community, grid=grid, other_grid=other_grid, other_community=other_community, by=cadre)


@pytest.fixture
def april_15(time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 15, 10, tzinfo=timezone.get_current_timezone()), tick=False)


def sheets(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}


def test_the_url_is_named_mediation_return():
    assert reverse("mediation_return") == URL


def test_cadre_downloads_the_months_return_with_title_headers_rows_and_total(client_for, cadre, march, april_15):
    response = client_for(cadre).get(URL, {"month": "2026-03"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response["Content-Disposition"] and "2026-03.xlsx" in response["Content-Disposition"]
    by_type = sheets(response)["调解月报表"]
    assert by_type[0][0] == "金色嘉苑社区人民调解委员会调解工作月报表（2026年3月）"
    assert "2026-03-01 至 2026-03-31" in by_type[1][0]
    assert by_type[2] == ["纠纷类型", *HEADERS]
    assert [row[0] for row in by_type[3:17]] == TYPES
    rows = {row[0]: row[1:] for row in by_type[3:18]}
    assert rows["邻里"][:4] == [4, 3, 2, 1] and rows["邻里"][4] == pytest.approx(2 / 3)
    assert rows["邻里"][5:8] == [1, 1, 1] and rows["邻里"][8] == pytest.approx(13.3)
    assert rows["婚姻家庭继承"] == [1, 2, 1, 1, 0.5, 1, 0, 0, 13]
    assert rows["物业"] == [1, 0, 0, 0, "—", 0, 0, 0, "—"]
    assert rows["合计"] == [7, 5, 3, 2, 0.6, 2, 1, 1, 13.2]
    assert by_type[17][0] == "合计"


def test_the_success_rate_is_a_number_formatted_as_a_percent(client_for, cadre, march, april_15):
    response = client_for(cadre).get(URL, {"month": "2026-03"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["调解月报表"]
    assert sheet["F18"].value == 0.6 and sheet["F18"].number_format == "0.0%"


def test_the_second_sheet_gives_the_month_by_grid(client_for, cadre, march, grid, other_grid, april_15):
    by_grid = sheets(client_for(cadre).get(URL, {"month": "2026-03"}))["按网格"]

    assert by_grid[2] == ["社区", "网格", *HEADERS]
    rows = {row[1]: row for row in by_grid[3:]}
    assert set(rows) == {grid.name, other_grid.name, "未填网格", None}
    assert rows[grid.name][0] == "金色嘉苑社区"
    assert rows[grid.name][2:] == [4, 3, 3, 0, 1, 2, 1, 0, pytest.approx(13.7)]
    assert rows[other_grid.name][2:] == [2, 2, 0, 2, 0, 0, 0, 1, 12.5]
    assert rows["未填网格"][2:6] == [1, 0, 0, 0]
    assert by_grid[-1][:2] == ["合计", None] and by_grid[-1][2:] == [7, 5, 3, 2, 0.6, 2, 1, 1, 13.2]


def test_a_formula_like_name_is_escaped(client_for, cadre, community, march, april_15):
    GridFactory(community=community, name='=HYPERLINK("http://x","点我")')
    by_grid = sheets(client_for(cadre).get(URL, {"month": "2026-03"}))["按网格"]
    assert '\'=HYPERLINK("http://x","点我")' in [row[1] for row in by_grid]


def test_the_leader_gets_the_streets_return(client_for, leader, march, april_15):
    by_type = sheets(client_for(leader).get(URL, {"month": "2026-03"}))["调解月报表"]
    assert by_type[0][0] == "黄屯街道各社区人民调解委员会调解工作月报表（2026年3月）"
    assert by_type[17][:4] == ["合计", 8, 6, 4]


def test_another_communitys_cadre_gets_only_their_own(client_for, other_community_cadre, march, april_15):
    by_type = sheets(client_for(other_community_cadre).get(URL, {"month": "2026-03"}))["调解月报表"]
    assert by_type[0][0].startswith("幸福里社区人民调解委员会")
    assert by_type[17][:4] == ["合计", 1, 1, 1]


def test_by_default_the_return_is_this_month_so_far(client_for, cadre, march, april_15):
    response = client_for(cadre).get(URL)
    assert "2026-04.xlsx" in response["Content-Disposition"]
    by_type = sheets(response)["调解月报表"]
    assert "2026-04-01 至 2026-04-15" in by_type[1][0]
    assert by_type[17][:4] == ["合计", 1, 1, 1]


@pytest.mark.parametrize("persona", ["mediator", "grid_worker"])
def test_mediators_and_grid_workers_may_not_export(client_for, request, roster, persona):
    assert client_for(request.getfixturevalue(persona)).get(URL).status_code == 403


def test_a_stranger_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("raw", ["2026-13", "13/2026", "2026-05", "'; drop table"])
def test_a_month_that_is_not_one_goes_back_with_a_message(client_for, cadre, april_15, raw):
    response = client_for(cadre).get(URL, {"month": raw})

    assert response.status_code == 302
    assert response["Location"] == "/mediation/#mediation-statistics"
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("无法识别月份" in m for m in messages)


def _spread(count, community, grid, other_grid, by):
    for i in range(count):
        accepted = day(3, 1 + i % 20)
        make_dispute(
            community, by, grid=(grid, other_grid, None)[i % 3], dispute_type=("neighbour", "family")[i % 2],
            state=Dispute.State.CLOSED, accepted=accepted, concluded=accepted + datetime.timedelta(days=3),
            kind=("written", "")[i % 2], escalated_to="" if i % 2 == 0 else "police",
        )  # fmt: skip


@pytest.mark.parametrize("persona", ["cadre", "leader"])
def test_the_return_costs_the_same_queries_for_3_and_30_disputes(
    client_for, request, persona, community, grid, other_grid, cadre, april_15
):
    client = client_for(request.getfixturevalue(persona))

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"month": "2026-03"}).status_code == 200
        return len(queries)

    _spread(3, community, grid, other_grid, cadre)
    measure()  # the session's first request of the test does its own bookkeeping
    few = measure()
    _spread(27, community, grid, other_grid, cadre)
    GridFactory(community=community, name="南区第一网格")
    assert measure() == few
