"""A grid worker finds people without typing (grid → building → unit → room) and by a several-word search."""

import datetime
import os

import pytest

from households.models import PriorityGroup
from households.services import reindex_households
from tests.browser.conftest import PHONE, sign_in
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from visits.models import VisitStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at, outside the repository.
SHOTS = os.environ.get("BROWSE_SCREENSHOTS", "/tmp/browse-screenshots")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def make_household(building, unit, room, *people):
    household = HouseholdFactory(building=building, unit=unit, floor=int(room[:-2]), room=room)
    for name, relation in people:
        ResidentFactory(household=household, name=name, relation=relation)
    reindex_households([household.pk])
    return household


@pytest.fixture
def street_of_grid01(grid, building):
    """Buildings 2, 3 and 10 of grid01's grid; building 3 unit 2 has a full family, tags and a visit."""
    BuildingFactory(grid=grid, number="10")
    BuildingFactory(grid=grid, number="2")
    family = make_household(
        building, 2, "501", ("曾小宝", "grandchild"), ("季金生", "head"), ("王秀英", "spouse"), ("曾国强", "child")
    )
    wang = family.residents.get(name="王秀英")
    wang.priority_groups.add(*PriorityGroup.objects.filter(code__in=["living_alone", "aged_80", "dibao"]))
    at = datetime.datetime(2026, 11, 3, 10, 0, tzinfo=datetime.UTC)
    VisitStatus.objects.create(
        household=family, interval_days=30, last_visited_at=at, due_on=at.date(), refreshed_at=at
    )
    make_household(building, 2, "502", ("阿依古丽·买买提江", "head"))
    make_household(building, 2, "1201", ("单雄信", "head"))
    make_household(building, 1, "101", ("王建华", "head"))
    return family


def test_grid_worker_browses_from_the_workbench_to_a_room_without_typing(phone, grid_worker, street_of_grid01):
    sign_in(phone, "grid01")
    shot(phone, "workbench")
    card = phone.get_by_role("region", name="按楼浏览")
    buildings = card.get_by_role("link")
    assert buildings.all_inner_texts() == ["2号楼", "3号楼", "10号楼"]
    buildings.filter(has_text="3号楼").click()

    phone.get_by_role("heading", name="3号楼").wait_for()
    shot(phone, "building_detail")
    phone.get_by_role("link", name="2单元").click()

    phone.get_by_role("heading", name="3号楼 2单元").wait_for()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "unit_detail")
    rows = phone.locator(".household-row")
    assert rows.count() == 3
    first = rows.first.inner_text()
    assert "季金生" in first and "4 人" in first and "独居老人" in first and "2026-11-03" in first
    assert "单雄信" in rows.last.inner_text()  # 1201 after 501 and 502

    phone.get_by_role("link", name="501 季金生").click()
    phone.get_by_role("heading", name="家庭成员").wait_for()
    members = phone.get_by_role("region", name="家庭成员").locator("li strong").all_inner_texts()
    assert members == ["季金生", "王秀英", "曾国强", "曾小宝"]


def test_grid_worker_without_typing_from_the_grid_list(phone, grid_worker, grid, street_of_grid01):
    sign_in(phone, "grid01")
    phone.goto(phone.base_url + "/households/grids/")
    phone.get_by_role("heading", name=grid.name).wait_for()
    shot(phone, "building_list")
    assert phone.locator(".browse-tile").all_inner_texts()[0].startswith("2号楼")


def test_several_words_narrow_the_search_and_show_who_matched(phone, grid_worker, street_of_grid01):
    sign_in(phone, "grid01")
    phone.get_by_label("查找居民户").fill("zeng guo qiang")
    phone.get_by_role("button", name="查找").click()
    phone.get_by_text("找到 1 户").wait_for()
    row = phone.locator(".household-row")
    assert "曾国强" in row.inner_text() and "户主 季金生" in row.inner_text()
    assert row.get_by_role("link", name="拨打").get_attribute("href").startswith("tel:")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "search_zengguoqiang")

    search = phone.get_by_role("searchbox")
    search.fill("王 3-2")
    search.press("Enter")
    phone.locator(".household-row", has_text="王秀英").wait_for()
    assert phone.locator(".household-row").count() == 1
    assert "王建华" not in phone.content()
    shot(phone, "search_wang_3_2")

    search.fill("w")
    search.press("Enter")
    phone.get_by_text("找到 2 户").wait_for()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "search_w")
