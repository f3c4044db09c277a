"""Browsing grid → building → unit → room without typing, and what a household row shows (search alike)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import PriorityGroup
from households.services import reindex_households
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from visits.models import VisitStatus


def make_household(building, unit, room, *people, floor=None):
    """A household of (name, relation) residents, its search keys built."""
    household = HouseholdFactory(building=building, unit=unit, floor=floor or int(room[:-2]), room=room)
    for name, relation in people:
        ResidentFactory(household=household, name=name, relation=relation)
    reindex_households([household.pk])
    return household


def urls(household):
    building = household.building
    return [
        reverse("building_list", args=[building.grid_id]),
        reverse("building_detail", args=[building.pk]),
        reverse("unit_detail", args=[building.pk, household.unit]),
    ]


def test_grid_worker_with_one_grid_lands_on_its_buildings(client_for, grid_worker, grid, household):
    response = client_for(grid_worker).get(reverse("grid_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("building_list", args=[grid.pk])


def test_cadre_chooses_among_the_community_grids(client_for, cadre, grid, other_grid, household):
    body = client_for(cadre).get(reverse("grid_list")).text
    assert grid.name in body and other_grid.name in body
    assert reverse("building_list", args=[grid.pk]) in body


def test_mediator_without_grids_sees_none(client_for, mediator):
    response = client_for(mediator).get(reverse("grid_list"))
    assert response.status_code == 200
    assert "您还没有分配到任何网格" in response.text


def test_buildings_are_listed_in_natural_order(client_for, grid_worker, grid):
    for number in ["10", "2", "1"]:
        BuildingFactory(grid=grid, number=number)
    body = client_for(grid_worker).get(reverse("building_list", args=[grid.pk])).text
    assert body.index("1号楼") < body.index("2号楼") < body.index("10号楼")


def test_building_lists_its_units_with_households_and_priority_counts(client_for, grid_worker, building):
    elderly = PriorityGroup.objects.get(code="living_alone")
    make_household(building, 1, "101", ("田国荣", "head"))
    make_household(building, 2, "101", ("季金生", "head"))
    tagged = make_household(building, 2, "102", ("王秀英", "head"))
    tagged.residents.get().priority_groups.add(elderly)
    response = client_for(grid_worker).get(reverse("building_detail", args=[building.pk]))
    units = response.context["units"]
    assert [(u["unit"], u["household_count"], u["priority_count"]) for u in units] == [(1, 1, 0), (2, 2, 1)]
    assert reverse("unit_detail", args=[building.pk, 2]) in response.text


def test_unit_lists_rooms_with_head_members_tags_and_last_visit(client_for, grid_worker, building):
    elderly = PriorityGroup.objects.get(code="living_alone")
    visited = make_household(building, 2, "501", ("曾国强", "grandchild"), ("季金生", "head"), ("王秀英", "spouse"))
    visited.residents.get(name="王秀英").priority_groups.add(elderly)
    never = make_household(building, 2, "1001", ("李强", "head"), floor=10)
    make_household(building, 1, "101", ("田国荣", "head"))
    last = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)
    VisitStatus.objects.create(
        household=visited, interval_days=30, last_visited_at=last, due_on=datetime.date(2026, 12, 3), refreshed_at=last
    )
    response = client_for(grid_worker).get(reverse("unit_detail", args=[building.pk, 2]))
    rows = response.context["households"]
    assert rows == [visited, never]  # 501 before 1001; unit 1 not listed
    assert [r.name for r in rows[0].members] == ["季金生", "王秀英", "曾国强"]
    assert rows[0].member_count == 3
    assert [g.name for g in rows[0].tags] == ["独居老人"]
    body = response.text
    assert "季金生" in body and "独居老人" in body and "2026-11-03" in body
    assert "暂无" in body
    assert reverse("household_detail", args=[visited.pk]) in body


def test_unit_beyond_the_building_is_404(client_for, grid_worker, building):
    assert client_for(grid_worker).get(reverse("unit_detail", args=[building.pk, 9])).status_code == 404


@pytest.mark.parametrize("index", [0, 1, 2])
def test_grid_worker_of_other_grid_gets_404(index, client_for, other_grid_worker, household):
    assert client_for(other_grid_worker).get(urls(household)[index]).status_code == 404


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader"])
def test_staff_in_scope_browse_every_level(persona, request, client_for, household):
    client = client_for(request.getfixturevalue(persona))
    assert [client.get(url).status_code for url in urls(household)] == [200, 200, 200]


def test_mediator_cannot_browse_a_building(client_for, mediator, household):
    assert client_for(mediator).get(urls(household)[1]).status_code == 404


def test_unit_page_queries_do_not_grow_with_households(client_for, grid_worker, building, other_building):
    group = PriorityGroup.objects.get(code="living_alone")

    def fill(target, count):
        for n in range(count):
            household = make_household(target, 1, f"{n // 4 + 1}0{n % 4 + 1}", ("王芳", "head"), ("曾国强", "child"))
            household.residents.first().priority_groups.add(group)

    fill(building, 3)
    fill(other_building, 30)
    other_building.grid = building.grid
    other_building.save()
    client = client_for(grid_worker)
    counts = []
    for target in (building, other_building):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("unit_detail", args=[target.pk, 1])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_search_page_queries_do_not_grow_with_results(client_for, grid_worker, building, other_building):
    other_building.grid = building.grid
    other_building.save()
    for n in range(3):
        make_household(building, 1, f"{n + 1}01", ("王芳", "head"), ("曾国强", "child"))
    for n in range(20):
        make_household(other_building, 1, f"{n + 1}01", ("李强", "head"), ("孙丽", "spouse"))
    client = client_for(grid_worker)
    counts = []
    for query in ("wf", "lq"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("household_list"), {"q": query}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_search_shows_the_resident_who_matched(client_for, grid_worker, building):
    household = make_household(building, 2, "501", ("季金生", "head"), ("曾国强", "child"))
    response = client_for(grid_worker).get(reverse("household_list"), {"q": "zengguoqiang"})
    [row] = response.context["households"]
    assert row == household
    assert [r.name for r in row.matched] == ["曾国强"]
    body = response.text
    assert body.index("曾国强") < body.index("户主 季金生")


def test_search_by_room_code_shows_the_head(client_for, grid_worker, building):
    make_household(building, 2, "501", ("曾国强", "child"), ("季金生", "head"))
    [row] = client_for(grid_worker).get(reverse("household_list"), {"q": "3-2-501"}).context["households"]
    assert row.matched == []
    assert row.contact.name == "季金生"


def test_search_result_phone_is_a_call_link_for_grid_worker_and_masked_for_leader(
    client_for, grid_worker, leader, building
):
    household = make_household(building, 2, "501", ("季金生", "head"), ("曾国强", "child"))
    phone = household.residents.get(name="曾国强").phone
    worker_body = client_for(grid_worker).get(reverse("household_list"), {"q": "zgq"}).text
    assert f'href="tel:{phone}"' in worker_body
    leader_body = client_for(leader).get(reverse("household_list"), {"q": "zgq"}).text
    assert phone not in leader_body
    assert f"{phone[:3]}****{phone[-4:]}" in leader_body


def test_search_results_show_tags_and_last_visit(client_for, grid_worker, building):
    group = PriorityGroup.objects.get(code="dibao")
    household = make_household(building, 2, "501", ("季金生", "head"))
    household.residents.get().priority_groups.add(group)
    last = datetime.datetime(2026, 10, 9, 15, 0, tzinfo=datetime.UTC)
    VisitStatus.objects.create(
        household=household,
        interval_days=30,
        last_visited_at=last,
        due_on=datetime.date(2026, 11, 8),
        refreshed_at=last,
    )
    body = client_for(grid_worker).get(reverse("household_list"), {"q": "jjs"}).text
    assert "低保户" in body
    assert 'datetime="2026-10-09"' in body


def test_search_query_is_bounded(client_for, grid_worker, household):
    response = client_for(grid_worker).get(reverse("household_list"), {"q": "wyk " + "x" * 200})
    assert response.status_code == 200
    assert len(response.context["query"]) == 50


def test_workbench_shows_my_grid_buildings(client_for, grid_worker, building, household):
    body = client_for(grid_worker).get(reverse("workbench")).text
    assert "按楼浏览" in body
    assert reverse("building_detail", args=[building.pk]) in body


def test_workbench_links_the_grid_list_for_many_grids(client_for, cadre, household, other_household):
    assert reverse("grid_list") in client_for(cadre).get(reverse("workbench")).text


def test_coverage_building_rows_link_to_their_households(client_for, grid_worker, grid, building, household):
    body = client_for(grid_worker).get(reverse("coverage"), {"grid": grid.pk}).text
    assert reverse("building_detail", args=[building.pk]) in body


def test_household_page_lists_the_head_first_then_by_relation(client_for, grid_worker, building):
    household = make_household(
        building, 2, "501", ("曾小宝", "grandchild"), ("曾国强", "child"), ("季金生", "head"), ("王秀英", "spouse")
    )
    body = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).text
    positions = [body.index(name) for name in ["季金生", "王秀英", "曾国强", "曾小宝"]]
    assert positions == sorted(positions)
