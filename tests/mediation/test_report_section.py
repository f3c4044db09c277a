"""Mediation in the monthly report: the return as a table with the disputes behind each figure (on the hand-built
March 2026 of `tests.mediation.disputes.build_march`), and disputes by origin village and by pair of villages (on
the hand-built March below). Lists name disputes, never their content; grid workers get neither."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import reports
from grids.nodes import grids_under
from mediation.models import Dispute, DisputeType, Party
from mediation.report_tables import mediation_rows, mediation_tables
from mediation.sections import report_section
from mediation.village_figures import (
    dispute_rows_of_pair,
    dispute_rows_of_village,
    disputes_by_pair,
    disputes_by_village,
)
from reports import months
from reports.compose import compose
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory, OriginVillageFactory
from tests.mediation.disputes import build_march, day, make_dispute
from tests.reports.test_views import cell

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)
FIGURES = ("received", "mediated", "succeeded", "failed", "written", "oral", "escalated")
TITLE = "楼上漏水致楼下受损"
FACTS = "卫生间漏水，天花板受损"
PARTY_NAMES = ("魏永凯", "单雄信", "秦叔宝", "程咬金")


@pytest.fixture
def other_community(other_community_cadre):
    return other_community_cadre.assignments.get().community


@pytest.fixture
def march(community, grid, other_grid, other_community, cadre, roster):
    GridFactory(community=other_community, name="幸福里第一网格")
    return build_march(community=community, grid=grid, other_grid=other_grid, other_community=other_community, by=cadre)


def values(rows, key):
    return next(row.values for row in rows if row.key == key)


def listed(row_list):
    """The cells of every row of a list, and each row's link, as the rows page shows them."""
    return [([str(value(row)) for _label, value in row_list.columns], row_list.url(row)) for row in row_list.rows]


# The return as a table -------------------------------------------------------------------------------------


def test_the_return_table_has_every_type_and_the_total_as_counted_by_hand(march, community, cadre):
    (table,) = mediation_tables(report_section(community, MARCH, cadre))

    assert table.head == "纠纷类型"
    assert [str(column.label) for column in table.columns] == [
        "受理", "调解", "调解成功", "调解不成", "成功率", "书面协议", "口头协议", "矛盾上行", "平均办结天数",
    ]  # fmt: skip
    assert [row.label for row in table.rows] == [*(str(label) for _value, label in DisputeType.choices), "合计"]
    #                                                  received mediated succeeded failed written oral escalated
    assert tuple(values(table.rows, "neighbour")[key] for key in FIGURES) == (4, 3, 2, 1, 1, 1, 1)
    assert tuple(values(table.rows, "family")[key] for key in FIGURES) == (1, 2, 1, 1, 1, 0, 0)
    assert tuple(values(table.rows, "damages")[key] for key in FIGURES) == (0,) * 7
    total = values(table.rows, "total")
    assert tuple(total[key] for key in FIGURES) == (7, 5, 3, 2, 2, 1, 1)
    assert total["success_rate"] == 0.6
    assert total["days"] == 13.2  # (10 + 20 + 10 + 11 + 15) / 5
    assert values(table.rows, "neighbour")["days"] == 13.3  # (10 + 20 + 10) / 3
    assert values(table.rows, "damages")["days"] is None


def test_every_figure_of_every_type_leads_to_as_many_disputes(march, community, cadre):
    (table,) = mediation_tables(report_section(community, MARCH, cadre))
    checked = 0
    for row in table.rows:
        for column, link in row.links.items():
            if column == "success_rate":
                continue
            row_list = mediation_rows(link.figure, community, MARCH, cadre, dict(link.params))
            assert row_list.rows.count() == row.values[column], (row.key, column)
            checked += row.values[column]
    assert checked == 2 * (7 + 5 + 3 + 2 + 2 + 1 + 1)  # each dispute once in its type's row, once in the total


def test_the_lists_keep_to_the_node_and_to_what_the_user_counts(march, street, community, grid, cadre, leader):
    assert mediation_rows("received", grid, MARCH, cadre, {}).rows.count() == 4
    assert mediation_rows("received", street, MARCH, leader, {}).rows.count() == 8
    assert mediation_rows("received", street, MARCH, cadre, {}).rows.count() == 7
    numbers = {dispute.number for dispute in mediation_rows("escalated", community, MARCH, cadre, {}).rows}
    assert numbers == {march[3].number}


def test_a_list_names_each_dispute_and_links_only_those_the_user_may_read(march, community, cadre, leader):
    row_list = mediation_rows("succeeded", community, MARCH, leader, {"type": "neighbour"})
    assert row_list.title == "本月调解成功的纠纷（邻里）"
    assert [str(label) for label, _value in row_list.columns] == [
        "案号",
        "调解委员会",
        "纠纷类型",
        "状态",
        "调解终结日期",
    ]
    assert listed(row_list) == [
        ([march[1].number, "金色嘉苑社区", "邻里", "结案", "2026-03-12"], None),
        ([march[2].number, "金色嘉苑社区", "邻里", "回访", "2026-03-25"], None),
    ]
    links = [url for _cells, url in listed(mediation_rows("succeeded", community, MARCH, cadre, {}))]
    assert links == [f"/mediation/{march[n].pk}/" for n in (4, 1, 2)]  # the committee's manager reads them


def test_unknown_figures_types_and_nodes_lead_nowhere(march, community, building, cadre):
    assert mediation_rows("days", community, MARCH, cadre, {}) is None
    assert mediation_rows("received", community, MARCH, cadre, {"type": "nonsense"}) is None
    assert mediation_rows("received", building, MARCH, cadre, {}).rows.count() == 0


def test_a_month_without_disputes_has_no_section_and_is_not_compared(march, community, cadre):
    assert report_section(community, datetime.date(2026, 6, 1), cadre) is None
    report = compose(community, datetime.date(2026, 6, 1), cadre)
    assert "调解" in report.silent
    table = compose(community, MARCH, cadre).table("mediation", "return")
    total = next(row for row in table.rows if row.key == "total")
    received = next(c for c in total.cells if c.column == "received")
    assert (received.value, received.previous, received.last_year) == (7, 2, 1)
    april = compose(community, datetime.date(2026, 4, 1), cadre).table("mediation", "return")
    assert april.has_previous and not april.has_last_year  # nothing in April 2025


def test_grid_workers_get_no_mediation_section_or_list(march, grid, grid_worker):
    assert report_section(grid, MARCH, grid_worker) is None
    assert mediation_rows("received", grid, MARCH, grid_worker, {}) is None


def test_the_leader_drills_from_the_report_to_the_disputes(march, client_for, leader, street):
    client = client_for(leader)
    page = client.get(f"/reports/?node=street:{street.pk}&month=2026-03").content.decode()
    figure, url = cell(page, "total", "received", "mediation-return")
    rows = client.get(url)
    assert rows.status_code == 200
    assert int(figure) == rows.context["page"].paginator.count == 8
    figure, url = cell(page, "neighbour", "escalated", "mediation-return")
    assert int(figure) == client.get(url).context["page"].paginator.count == 1


def test_a_list_costs_the_same_queries_for_3_and_30_disputes(community, grid, other_grid, cadre, roster):
    def measure():
        user = type(cadre).objects.get(pk=cadre.pk)
        user.has_perm("mediation.view_dispute")  # permissions cached, as on a real request
        with CaptureQueriesContext(connection) as queries:
            row_list = mediation_rows("received", community, MARCH, user, {})
            assert len(listed(row_list)) == row_list.rows.count()
        return len(queries)

    for i in range(3):
        make_dispute(community, cadre, grid=grid, state=Dispute.State.ACCEPTED, accepted=day(3, 1 + i))
    few = measure()
    for i in range(27):
        make_dispute(community, cadre, grid=other_grid, state=Dispute.State.ACCEPTED, accepted=day(3, 1 + i))
    assert measure() == few


# Disputes by origin village --------------------------------------------------------------------------------


@pytest.fixture
def villages(street, community, building, other_building, other_community, cadre):
    """March 2026 by origin village. Households: a1, a2 (前屯村) and n1 (no village) in `building` of `grid`; b1
    (后屯村) in `other_building` of `other_grid`; x1 (前屯村) in the next community (幸福里社区).

      D1 3-03  a1 applicant, b1 respondent
      D2 3-10  a1 applicant, a2 respondent                   (one village)
      D3 3-12  b1 applicant, a2 and n1 respondents
      D4 3-20  n1 applicant, an outside person respondent
      D5 2-25  a1 applicant, b1 respondent                   (February)
      D6       a1 applicant, b1 respondent, not accepted
      D7 3-08  x1 applicant, b1 respondent, of the next community's committee

    The cadre (the community's grids; its committee's disputes): 前屯村 D1 D2 D3, 后屯村 D1 D3, no village D3 D4;
    pairs 前屯村–后屯村 D1 D3, 后屯村–(none) D3. The leader (the street) adds D7 to 前屯村, 后屯村 and their pair.
    """
    front = OriginVillageFactory(street=street, name="前屯村")
    back = OriginVillageFactory(street=street, name="后屯村")
    next_building = BuildingFactory(grid=GridFactory(community=other_community, name="幸福里东区网格"), number="9")
    h = {
        "a1": HouseholdFactory(building=building, origin_village=front),
        "a2": HouseholdFactory(building=building, origin_village=front),
        "n1": HouseholdFactory(building=building, origin_village=None),
        "b1": HouseholdFactory(building=other_building, origin_village=back),
        "x1": HouseholdFactory(building=next_building, origin_village=front),
    }
    names = iter(PARTY_NAMES * 4)

    def dispute(accepted, applicant, *respondents, committee=community):
        made = make_dispute(committee, cadre, state=Dispute.State.ACCEPTED, accepted=accepted)
        Dispute.objects.filter(pk=made.pk).update(title=TITLE, facts=FACTS)
        for side, households in ((Party.Side.APPLICANT, [applicant]), (Party.Side.RESPONDENT, respondents)):
            for household in households:
                Party.objects.create(
                    dispute=made, side=side, household=h.get(household), name=next(names), address=FACTS
                )
        return made

    return {
        "D1": dispute(day(3, 3), "a1", "b1"),
        "D2": dispute(day(3, 10), "a1", "a2"),
        "D3": dispute(day(3, 12), "b1", "a2", "n1"),
        "D4": dispute(day(3, 20), "n1", "outsider"),
        "D5": dispute(day(2, 25), "a1", "b1"),
        "D6": dispute(None, "a1", "b1"),
        "D7": dispute(day(3, 8), "x1", "b1", committee=other_community),
    }


def scope(node, user):
    return (user, grids_under(node, user), *months.bounds(MARCH))


def test_disputes_by_village_and_by_pair_as_counted_by_hand(villages, street, community, grid, cadre, leader):
    assert disputes_by_village(*scope(community, cadre)) == {"前屯村": 3, "后屯村": 2, "": 2}
    assert disputes_by_pair(*scope(community, cadre)) == {("前屯村", "后屯村"): 2, ("", "后屯村"): 1}
    assert disputes_by_village(*scope(street, leader)) == {"前屯村": 4, "后屯村": 3, "": 2}
    assert disputes_by_pair(*scope(street, leader)) == {("前屯村", "后屯村"): 3, ("", "后屯村"): 1}
    # Only the first grid's households: b1 is outside it, so no pair has both sides in it.
    assert disputes_by_village(*scope(grid, cadre)) == {"前屯村": 3, "": 2}
    assert disputes_by_pair(*scope(grid, cadre)) == {}


@pytest.mark.parametrize(("village", "expected"), [("前屯村", 3), ("后屯村", 2), ("", 2), (None, 7)])
def test_each_village_leads_to_as_many_disputes(villages, community, cadre, village, expected):
    row_list = dispute_rows_of_village(*scope(community, cadre), village)
    assert row_list.rows.count() == len(listed(row_list)) == expected


@pytest.mark.parametrize(("pair", "expected"), [("前屯村|后屯村", 2), ("后屯村|前屯村", 2), ("|后屯村", 1), (None, 3)])
def test_each_pair_leads_to_as_many_disputes(villages, community, cadre, pair, expected):
    row_list = dispute_rows_of_pair(*scope(community, cadre), pair)
    assert row_list.rows.count() == len(listed(row_list)) == expected


def test_the_lists_of_a_village_name_the_disputes_and_nothing_of_their_content(
    villages, street, community, cadre, leader
):
    front = dispute_rows_of_village(*scope(street, leader), "前屯村")
    assert front.title == "本月受理的纠纷（原村：前屯村）"
    assert [cells for cells, _url in listed(front)] == [
        [villages[n].number, villages[n].community.name, "邻里", "受理", f"2026-03-{d:02d}", "前屯村"]
        for n, d in (("D1", 3), ("D7", 8), ("D2", 10), ("D3", 12))
    ]
    pairs = dispute_rows_of_pair(*scope(street, leader), None)
    assert [cells[-1] for cells, _url in listed(pairs)] == [
        "前屯村 — 后屯村",  # D1
        "前屯村 — 后屯村",  # D7
        "未登记原村 — 后屯村",  # D3, its respondent of no village
        "前屯村 — 后屯村",  # D3, its respondent of 前屯村
    ]
    shown = str([listed(front), listed(pairs)])
    assert not any(text in shown for text in (TITLE, FACTS, *PARTY_NAMES))
    assert {url for _cells, url in listed(front)} == {None}  # the leader reads no dispute
    assert all(url for _cells, url in listed(dispute_rows_of_village(*scope(community, cadre), "前屯村")))


def test_the_leader_sees_the_villages_on_the_report_and_no_content_behind_them(villages, client_for, leader, street):
    client = client_for(leader)
    page = client.get(f"/reports/?node=street:{street.pk}&month=2026-03").content.decode()
    for row, column, table, expected in (
        ("前屯村", "disputes", "villages-villages", 4),
        ("", "disputes", "villages-villages", 2),
        ("total", "disputes", "villages-villages", 9),
        ("前屯村|后屯村", "dispute_pairs", "villages-village_pairs", 3),
        ("total", "dispute_pairs", "villages-village_pairs", 4),
    ):
        figure, url = cell(page, row, column, table)
        rows = client.get(url)
        assert int(figure) == rows.context["page"].paginator.count == expected, (row, column)
        html = rows.content.decode()
        assert not any(text in html for text in (TITLE, FACTS, *PARTY_NAMES))


def test_grid_workers_get_no_dispute_figures(villages, grid, grid_worker):
    assert disputes_by_village(*scope(grid, grid_worker)) is None
    assert disputes_by_pair(*scope(grid, grid_worker)) is None
    assert dispute_rows_of_village(*scope(grid, grid_worker), None) is None
    assert dispute_rows_of_pair(*scope(grid, grid_worker), "前屯村|后屯村") is None


def test_the_village_figures_are_registered(villages):
    disputes, pairs = reports.village_registry.get("disputes"), reports.village_registry.get("dispute_pairs")
    assert (disputes.label, disputes.order, disputes.pairs) == ("纠纷", 30, False)
    assert (pairs.label, pairs.order, pairs.pairs) == ("跨村纠纷", 40, True)


def test_village_figures_cost_the_same_queries_for_3_and_30_disputes(
    street, community, building, other_building, leader
):
    front = OriginVillageFactory(street=street, name="前屯村")
    back = OriginVillageFactory(street=street, name="后屯村")

    def add(count):
        for i in range(count):
            made = make_dispute(community, leader, state=Dispute.State.ACCEPTED, accepted=day(3, 1 + i % 28))
            for side, household in (
                (Party.Side.APPLICANT, HouseholdFactory(building=building, origin_village=front)),
                (Party.Side.RESPONDENT, HouseholdFactory(building=other_building, origin_village=back)),
            ):
                Party.objects.create(dispute=made, side=side, household=household, name="当事人")

    def measure():
        user = type(leader).objects.get(pk=leader.pk)
        user.has_perm("mediation.view_dispute")  # permissions cached, as on a real request
        with CaptureQueriesContext(connection) as queries:
            counted = disputes_by_village(*scope(street, user)), disputes_by_pair(*scope(street, user))
            for row_list in (
                dispute_rows_of_village(*scope(street, user), None),
                dispute_rows_of_pair(*scope(street, user), "前屯村|后屯村"),
            ):
                assert len(listed(row_list)) == row_list.rows.count()
        return len(queries), counted

    add(3)
    few, counted = measure()
    assert counted == ({"前屯村": 3, "后屯村": 3}, {("前屯村", "后屯村"): 3})
    add(27)
    many, counted = measure()
    assert counted == ({"前屯村": 30, "后屯村": 30}, {("前屯村", "后屯村"): 30})
    assert many == few
