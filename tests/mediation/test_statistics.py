"""The mediation room's figures — the monthly return, the twelve-month series, the month by grid, the workbench
card, the report section — on a hand-built March 2026 (`tests.mediation.disputes.build_march`) whose figures
are counted by hand below."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import navigation, reports
from grids.models import scope_grid_ids
from mediation import figures
from mediation.models import Dispute
from mediation.sections import mediation_section
from mediation.statistics import parse_month, statistics_context
from tests.factories import GridFactory
from tests.mediation.disputes import build_march, day, make_dispute
from visits.overview import month_starts

MARCH = datetime.date(2026, 3, 1)
FIGURES = ("received", "mediated", "succeeded", "failed", "written", "oral", "escalated")


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


def counts(row):
    return tuple(row[key] for key in FIGURES)


def by_key(rows):
    return {row["key"]: row for row in rows}


def statistics_for(user, **params):
    request = RequestFactory().get("/mediation/", params)
    request.user = user
    return statistics_context(request)["statistics"]


# The monthly return ----------------------------------------------------------------------------------------


def test_the_return_counts_each_type_and_the_total_as_written_by_hand(march, cadre):
    report = figures.monthly_return(Dispute.objects.counted_for(cadre), MARCH)

    rows = by_key(report["rows"])
    #                                      received mediated succeeded failed written oral escalated
    assert counts(rows["neighbour"]) == (4, 3, 2, 1, 1, 1, 1)
    assert counts(rows["family"]) == (1, 2, 1, 1, 1, 0, 0)
    assert counts(rows["property"]) == (1, 0, 0, 0, 0, 0, 0)
    assert counts(rows["contract"]) == (1, 0, 0, 0, 0, 0, 0)
    assert counts(rows["damages"]) == (0, 0, 0, 0, 0, 0, 0)
    assert counts(report["total"]) == (7, 5, 3, 2, 2, 1, 1)


def test_the_return_lists_all_fourteen_types_in_the_statistical_order(march, cadre):
    report = figures.monthly_return(Dispute.objects.counted_for(cadre), MARCH)
    assert [row["label"] for row in report["rows"]] == [
        "婚姻家庭继承", "邻里", "房屋宅基地", "合同", "损害赔偿", "山林土地承包", "征地拆迁",
        "劳动争议", "村务管理", "环境保护", "交通事故", "医患", "物业", "其他",
    ]  # fmt: skip


def test_success_rate_is_succeeded_over_mediated_and_none_when_nothing_was_mediated(march, cadre):
    report = figures.monthly_return(Dispute.objects.counted_for(cadre), MARCH)
    rows = by_key(report["rows"])
    assert report["total"]["success_rate"] == pytest.approx(3 / 5)
    assert rows["neighbour"]["success_rate"] == pytest.approx(2 / 3)
    assert rows["family"]["success_rate"] == pytest.approx(1 / 2)
    assert rows["property"]["success_rate"] is None


def test_average_days_to_close_is_from_acceptance_to_the_end_of_mediation(march, cadre):
    report = figures.monthly_return(Dispute.objects.counted_for(cadre), MARCH)
    rows = by_key(report["rows"])
    assert report["total"]["days"] == pytest.approx((10 + 20 + 10 + 11 + 15) / 5)
    assert rows["neighbour"]["days"] == pytest.approx((10 + 20 + 10) / 3)
    assert rows["family"]["days"] == pytest.approx((11 + 15) / 2)
    assert rows["property"]["days"] is None


def test_a_reopened_dispute_counts_by_its_current_fields(march, cadre):
    disputes = Dispute.objects.counted_for(cadre)
    first = march[1]
    first.state, first.concluded_on, first.agreement_kind = Dispute.State.MEDIATING, None, ""
    first.save()

    total = figures.monthly_return(disputes, MARCH)["total"]

    assert counts(total) == (7, 4, 2, 2, 1, 1, 1)


# Scope -----------------------------------------------------------------------------------------------------


def test_the_leader_counts_every_community(march, leader):
    total = figures.monthly_return(Dispute.objects.counted_for(leader), MARCH)["total"]
    assert counts(total) == (8, 6, 4, 2, 3, 1, 1)
    assert total["days"] == pytest.approx((10 + 20 + 10 + 11 + 15 + 7) / 6)


def test_another_communitys_cadre_counts_none_of_ours(march, other_community_cadre):
    total = figures.monthly_return(Dispute.objects.counted_for(other_community_cadre), MARCH)["total"]
    assert counts(total) == (1, 1, 1, 0, 1, 0, 0)


def test_a_mediator_counts_their_committees_disputes(march, mediator, other_mediator):
    for user in (mediator, other_mediator):
        total = figures.monthly_return(Dispute.objects.counted_for(user), MARCH)["total"]
        assert counts(total) == (7, 5, 3, 2, 2, 1, 1)


def test_counted_communities_follow_the_same_rule_as_counted_for(
    march, mediator, other_mediator, cadre, leader, grid_worker, other_community_cadre
):
    for user in (mediator, other_mediator, cadre, leader, grid_worker, other_community_cadre, AnonymousUser()):
        counted = set(Dispute.objects.counted_for(user).values_list("community", flat=True))
        assert set(figures.counted_communities(user).values_list("pk", flat=True)) == counted


@pytest.mark.parametrize("persona", ["cadre", "leader", "other_community_cadre"])
def test_the_months_figures_in_one_query_are_the_return_and_the_grid_table(request, march, persona):
    user = request.getfixturevalue(persona)
    disputes = Dispute.objects.counted_for(user)
    communities = list(figures.counted_communities(user).values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as queries:
        month = figures.month_figures(disputes, MARCH, communities)

    assert len(queries) == 2
    report = figures.monthly_return(disputes, MARCH)
    assert [counts(row) for row in month["rows"]] == [counts(row) for row in report["rows"]]
    assert [row["days"] for row in month["rows"]] == pytest.approx([row["days"] for row in report["rows"]])
    assert counts(month["total"]) == counts(report["total"])
    assert month["total"]["days"] == pytest.approx(report["total"]["days"])
    grids = figures.grid_rows(disputes, MARCH, user)
    assert [(row["key"], row["name"], counts(row)) for row in month["grids"]] == [
        (row["key"], row["name"], counts(row)) for row in grids
    ]
    assert [row["days"] for row in month["grids"]] == pytest.approx([row["days"] for row in grids])


def test_the_grid_table_has_every_grid_of_the_scope_and_the_disputes_without_a_grid(
    march, cadre, grid, other_grid, leader
):
    rows = figures.grid_rows(Dispute.objects.counted_for(cadre), MARCH, cadre)

    named = {row["name"]: row for row in rows}
    assert set(named) == {grid.name, other_grid.name, "未填网格"}
    assert counts(named[grid.name]) == (4, 3, 3, 0, 2, 1, 0)
    assert named[grid.name]["success_rate"] == 1
    assert counts(named[other_grid.name]) == (2, 2, 0, 2, 0, 0, 1)
    assert named[other_grid.name]["success_rate"] == 0
    assert named[other_grid.name]["days"] == pytest.approx(12.5)
    assert counts(named["未填网格"]) == (1, 0, 0, 0, 0, 0, 0)

    everyone = figures.grid_rows(Dispute.objects.counted_for(leader), MARCH, leader)
    assert {row["name"] for row in everyone} == {grid.name, other_grid.name, "幸福里第一网格", "未填网格"}


# The page's figures ----------------------------------------------------------------------------------------


def test_the_series_gives_the_last_twelve_months(march, cadre, april_15):
    series = figures.monthly_series(Dispute.objects.counted_for(cadre), month_starts(timezone.localdate(), 12))

    assert (series[0]["month"], series[-1]["month"], len(series)) == (
        datetime.date(2025, 5, 1),
        datetime.date(2026, 4, 1),
        12,
    )
    months = {row["month"]: row for row in series}
    assert counts(months[datetime.date(2026, 3, 1)]) == (7, 5, 3, 2, 2, 1, 1)
    assert counts(months[datetime.date(2026, 2, 1)]) == (2, 1, 1, 0, 0, 1, 0)
    assert counts(months[datetime.date(2026, 4, 1)]) == (1, 1, 1, 0, 1, 0, 0)
    assert counts(months[datetime.date(2025, 12, 1)]) == (0,) * 7
    assert months[datetime.date(2026, 3, 1)]["days"] == pytest.approx(13.2)


def test_statistics_context_for_the_chosen_month(march, cadre, april_15):
    stats = statistics_for(cadre, month="2026-03")

    assert stats["month"] == MARCH and not stats["month_error"]
    assert stats["resolved"] == 6
    assert counts(stats["total"]) == (7, 5, 3, 2, 2, 1, 1)
    assert stats["choices"][0] == ("2026-04", "2026年4月")
    assert stats["choices"][-1] == ("2025-03", "2025年3月")
    assert stats["export_url"] == "/mediation/return/?month=2026-03"
    trend = stats["trend_chart"]
    assert trend["labels"] == ["2025年5月", *(f"{m}月" for m in range(6, 13)), "2026年1月", "2月", "3月", "4月"]
    assert [(d["key"], d["data"][-2]) for d in trend["datasets"]] == [
        ("received", 7),
        ("succeeded", 3),
        ("escalated", 1),
    ]


def test_by_default_the_page_shows_this_month_so_far(march, cadre, april_15):
    stats = statistics_for(cadre)
    assert stats["month"] == datetime.date(2026, 4, 1) and stats["is_current"]
    assert counts(stats["total"]) == (1, 1, 1, 0, 1, 0, 0)


@pytest.mark.parametrize("raw", ["2026-13", "march", "2026-05", "1999-12", "2026-3-1"])
def test_a_month_that_is_not_one_falls_back_to_this_month_with_a_message(march, cadre, april_15, raw):
    stats = statistics_for(cadre, month=raw)
    assert stats["month"] == datetime.date(2026, 4, 1)
    assert raw in stats["month_error"]


def test_the_picker_reaches_back_to_an_older_chosen_month(cadre, april_15):
    stats = statistics_for(cadre, month="2024-02")
    assert stats["month"] == datetime.date(2024, 2, 1) and not stats["month_error"]
    assert stats["choices"][-1] == ("2024-02", "2024年2月") and len(stats["choices"]) == 27


def test_parse_month():
    today = datetime.date(2026, 4, 15)
    assert parse_month("2026-04", today) == datetime.date(2026, 4, 1)
    assert parse_month("2025-1", today) == datetime.date(2025, 1, 1)
    assert parse_month("2026-05", today) is None
    assert parse_month("", today) is None


def test_the_leaders_grid_chart_is_by_community(march, leader, community, april_15):
    stats = statistics_for(leader, month="2026-03")
    assert stats["resolved"] == 7
    assert stats["grid_chart"]["by_community"]
    received = dict(zip(stats["grid_chart"]["labels"], stats["grid_chart"]["datasets"][0]["data"], strict=True))
    assert received == {community.name: 7, "幸福里社区": 1}
    assert stats["export_url"]


def test_a_mediator_may_not_export_and_a_grid_worker_gets_no_statistics(march, mediator, grid_worker, april_15):
    assert statistics_for(mediator)["export_url"] == ""
    assert statistics_for(grid_worker) is None
    assert statistics_for(AnonymousUser()) is None


def test_the_statistics_render_the_return_the_charts_data_and_the_picker(march, cadre, april_15):
    request = RequestFactory().get("/mediation/", {"month": "2026-03"})
    request.user = cadre
    html = render_to_string("mediation/_statistics.html", statistics_context(request), request=request)

    assert "调解室成立以来已化解 <strong>6</strong> 件" in html
    assert '<label class="form-label small mb-0" for="mediation-month">统计月份</label>' in html
    assert '<option value="2026-03" selected>2026年3月</option>' in html
    assert 'id="mediation-trend-data"' in html and 'id="mediation-grid-data"' in html
    assert 'class="table-responsive"' in html
    assert '<td class="text-end">60.0%</td>' in html
    assert "13.2" in html
    assert "js/mediation_charts.js" in html and "<script>" not in html
    # The types with any figure (neighbour, family, property, contract), the other ten in one line.
    shown = [
        key
        for key in ("neighbour", "family", "property", "contract", "damages")
        if f'id="mediation-type-{key}"' in html
    ]
    assert shown == ["neighbour", "family", "property", "contract"]
    assert "其余 10 类纠纷本月没有受理或调解终结。" in html


def test_a_month_without_disputes_says_so_in_the_return(cadre, april_15):
    request = RequestFactory().get("/mediation/", {"month": "2026-01"})
    request.user = cadre
    html = render_to_string("mediation/_statistics.html", statistics_context(request), request=request)
    assert "本月没有受理或调解终结的纠纷。" in html
    assert 'id="mediation-type-' not in html.replace('id="mediation-type-total"', "")
    assert 'id="mediation-quiet-types"' not in html


def test_the_grid_table_lists_the_grids_with_disputes_and_counts_the_others(march, cadre, community, grid, other_grid):
    quiet = [GridFactory(community=community, name=f"安静第{n}网格") for n in range(3)]
    request = RequestFactory().get("/mediation/", {"month": "2026-03"})
    request.user = cadre
    context = statistics_context(request)
    html = render_to_string("mediation/_statistics.html", context, request=request)

    assert {row["name"] for row in context["statistics"]["grids"]} == {grid.name, other_grid.name, "未填网格"}
    assert context["statistics"]["grid_chart"]["labels"] == [row["name"] for row in context["statistics"]["grids"]]
    assert not any(f'id="mediation-grid-{g.pk}"' in html for g in quiet)
    assert "另有 3 个网格本月没有调解案件。" in html


@pytest.mark.parametrize("persona", ["mediator", "cadre", "leader"])
def test_the_mediation_page_shows_the_statistics(client_for, request, march, april_15, persona):
    html = client_for(request.getfixturevalue(persona)).get("/mediation/", {"month": "2026-03"}).content.decode()
    assert 'id="mediation-statistics"' in html
    assert "2026年3月调解工作月报表" in html


def test_the_mediation_page_says_when_the_month_is_not_one(client_for, cadre, march, april_15):
    response = client_for(cadre).get("/mediation/", {"month": "2026-13"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "无法识别月份“2026-13”" in html and "以下是2026年4月的统计。" in html


def test_the_statistics_render_nothing_for_a_grid_worker(grid_worker):
    request = RequestFactory().get("/mediation/")
    request.user = grid_worker
    assert render_to_string("mediation/_statistics.html", statistics_context(request)).strip() == ""


def _spread(count, community, grid, other_grid, by):
    types = ("neighbour", "family", "property", "contract")
    for i in range(count):
        accepted = day(3, 1 + i % 20)
        make_dispute(
            community, by, grid=(grid, other_grid, None)[i % 3], dispute_type=types[i % 4],
            state=Dispute.State.CLOSED, accepted=accepted, concluded=accepted + datetime.timedelta(days=5),
            kind=("written", "oral", "")[i % 3], escalated_to="court" if i % 3 == 2 else "",
        )  # fmt: skip


@pytest.mark.parametrize("persona", ["cadre", "leader"])
def test_the_statistics_cost_the_same_queries_for_3_and_30_disputes(
    request, persona, community, grid, other_grid, cadre, april_15
):
    user = request.getfixturevalue(persona)

    def measure():
        caches["figures"].clear()  # count them afresh, not from the figures kept by the first measure
        user_fresh = type(user).objects.get(pk=user.pk)
        page = RequestFactory().get("/mediation/", {"month": "2026-03"})
        page.user = user_fresh
        with CaptureQueriesContext(connection) as queries:
            render_to_string("mediation/_statistics.html", statistics_context(page), request=page)
        return len(queries)

    _spread(3, community, grid, other_grid, cadre)
    few = measure()
    _spread(27, community, grid, other_grid, cadre)
    GridFactory(community=community, name="南区第一网格")
    assert measure() == few


def test_the_figures_are_kept_for_a_few_minutes_and_the_page_says_since_when(
    client_for, cadre, community, grid, other_grid, april_15
):
    _spread(3, community, grid, other_grid, cadre)
    client = client_for(cadre)
    client.get("/mediation/", {"month": "2026-03"})  # counts the figures and keeps them

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/mediation/", {"month": "2026-03"})
    assert response.context["statistics"]["total"]["received"] == 3
    assert not any("FILTER (WHERE" in query["sql"] for query in queries.captured_queries)  # no figure counted
    assert '<span id="mediation-counted-at">数字截至 10:00，每几分钟更新。</span>' in response.content.decode()

    _spread(1, community, grid, other_grid, cadre)
    assert client.get("/mediation/", {"month": "2026-03"}).context["statistics"]["total"]["received"] == 3
    caches["figures"].clear()  # as when the minutes have passed
    assert client.get("/mediation/", {"month": "2026-03"}).context["statistics"]["total"]["received"] == 4


# Workbench card, menu entry, report section --------------------------------------------------------------


def _card(response):
    return next((s for s in response.context["sections"] if s.template == "mediation/_workbench.html"), None)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("mediator", {"resolved": 6, "received": 1, "open": 6, "overdue": 1}),
        ("cadre", {"resolved": 6, "received": 1, "open": 6, "overdue": 1}),
        ("leader", {"resolved": 7, "received": 1, "open": 6, "overdue": 1}),
    ],
)
def test_the_workbench_card_shows_the_rooms_figures(request, client, march, april_15, persona, expected):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/")

    card = _card(response)
    assert {key: card.context[key] for key in expected} == expected
    html = response.content.decode()
    assert f"调解室成立以来已化解 <strong>{expected['resolved']}</strong> 件" in html
    assert 'id="mediation-card-overdue">1<' in html
    assert 'href="/mediation/"' in html


def test_the_workbench_card_is_not_shown_to_a_grid_worker(client, march, grid_worker, april_15):
    client.force_login(grid_worker)
    response = client.get("/")
    assert _card(response) is None
    assert "调解室成立以来" not in response.content.decode()


def test_the_workbench_card_costs_the_same_for_3_and_30_disputes(client, community, grid, other_grid, cadre):
    from mediation.sections import mediation_card

    def measure():
        page = RequestFactory().get("/")
        page.user = type(cadre).objects.get(pk=cadre.pk)
        page.user.has_perm("mediation.view_dispute")  # permissions cached, as on a real request
        scope_grid_ids(page.user)  # and the user's grids
        with CaptureQueriesContext(connection) as queries:
            mediation_card(page)
        return len(queries)

    _spread(3, community, grid, other_grid, cadre)
    few = measure()
    _spread(27, community, grid, other_grid, cadre)
    assert measure() == few == 1


def test_the_menu_has_mediation_for_those_with_the_pages(mediator, cadre, leader, grid_worker):
    def keys(user):
        return [entry.key for entry in navigation.entries_for(user)]

    assert all("mediation" in keys(user) for user in (mediator, cadre, leader))
    assert "mediation" not in keys(grid_worker)
    assert navigation.registry.get("mediation").url == "/mediation/"


def test_the_report_section_gives_the_month_beside_the_previous_and_last_year(march, community, cadre):
    section = mediation_section(community, MARCH, cadre)

    assert counts(section["total"]) == (7, 5, 3, 2, 2, 1, 1)
    assert [row["key"] for row in section["rows"]] == ["family", "neighbour", "contract", "property"]
    assert section["previous"]["month"] == datetime.date(2026, 2, 1)
    assert counts(section["previous"]) == (2, 1, 1, 0, 0, 1, 0)
    assert section["last_year"]["month"] == datetime.date(2025, 3, 1)
    assert counts(section["last_year"]) == (1, 1, 1, 0, 1, 0, 0)


def test_the_report_section_narrows_to_a_grid_or_a_street_and_to_what_the_user_counts(
    march, community, grid, street, cadre, leader, other_community_cadre
):
    assert counts(mediation_section(grid, MARCH, cadre)["total"]) == (4, 3, 3, 0, 2, 1, 0)
    assert counts(mediation_section(street, MARCH, leader)["total"]) == (8, 6, 4, 2, 3, 1, 1)
    assert counts(mediation_section(street, MARCH, cadre)["total"]) == (7, 5, 3, 2, 2, 1, 1)
    stranger = mediation_section(community, MARCH, other_community_cadre)
    assert counts(stranger["total"]) == (0,) * 7
    assert stranger["previous"] is None and stranger["last_year"] is None and stranger["rows"] == []


def test_the_report_section_is_registered_and_renders(march, community, cadre):
    section = reports.registry.get("mediation")
    assert (section.title, section.order, section.template) == ("调解", 40, "mediation/_report.html")

    html = render_to_string(section.template, {"section": section.build(community, MARCH, cadre)})
    assert "人民调解（2026年3月）" in html
    assert "上月（2026年2月）" in html and "去年同月（2025年3月）" in html
    assert "婚姻家庭继承" in html and "60.0%" in html


def test_the_report_section_costs_four_queries(march, community, cadre):
    scope_grid_ids(cadre)  # the user's grids, looked up once per request
    with CaptureQueriesContext(connection) as queries:
        mediation_section(community, MARCH, cadre)
    assert len(queries) == 4
