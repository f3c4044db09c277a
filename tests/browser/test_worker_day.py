"""A grid worker's day on a phone (390×844), after the demo street's first nightly scheduling run: today's
visits sized by the grid, in walking order, with their lateness in days, the backlog as a figure; then a visit
written as 问题 → 处理措施 → 反馈结果 whose problem, taken back to the community, becomes a request."""

import io
import os
import re

import pytest
from django.core.management import call_command

from grids.models import Grid
from tests.browser.conftest import PHONE, sign_in
from visits import scheduling
from visits.models import ResidentRequest, Visit, VisitTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("WORKER_DAY_SCREENSHOTS", "")  # a directory outside the repository, when wanted
BUILDING = re.compile(r"^(\d+)号楼")
LATE = re.compile(r"逾期 (\d+) 天")


@pytest.fixture
def demo_street(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "pw-test-2026")
    call_command("seed_demo", households=400, stdout=io.StringIO())
    scheduling.schedule_visits()
    return Grid.objects.get(name="东区第一网格")


def shoot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, name), full_page=True)


def test_grid01s_day_is_sized_ordered_and_late_in_days_and_a_visit_has_three_parts(phone, demo_street):
    grid = demo_street
    open_tasks = VisitTask.objects.open().filter(assignee__username="grid01").count()
    assert open_tasks > grid.daily_visits  # the first night leaves more than a day's work

    sign_in(phone, "grid01")
    phone.goto(phone.base_url + "/visits/tasks/")
    phone.get_by_role("heading", name="我的走访任务").wait_for()

    rows = phone.locator("li[id^='task-']")
    assert 0 < rows.count() <= grid.daily_visits
    # Walking order: the building headings run 1, 2, … 10号楼 (natural order), each at most once.
    headings = [BUILDING.match(text).group(1) for text in phone.locator("main h2.h6").all_inner_texts()]
    numbers = [int(number) for number in headings]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    # Lateness in days, not "today" for households late for months.
    lateness = [int(n) for n in LATE.findall(phone.locator("main").inner_text())]
    assert lateness and max(lateness) > 30
    backlog = int(phone.locator("#backlog-count").inner_text())
    assert backlog == open_tasks - rows.count()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "worker_day_tasks_390.png")

    phone.locator("#backlog-link").click()
    phone.wait_for_url(re.compile(r"view=backlog"))
    assert phone.locator("li[id^='task-']").count() == min(backlog, 50)

    phone.goto(phone.base_url + "/visits/tasks/")
    first = rows.first
    household_id = int(
        re.search(r"household=(\d+)", first.get_by_role("link", name="记录走访").get_attribute("href"))[1]
    )
    first.get_by_role("link", name="记录走访").click()
    phone.wait_for_url(re.compile(rf"/visits/new/\?household={household_id}$"))
    phone.get_by_label("已见面").check()
    phone.get_by_label("问题", exact=True).fill("楼道灯不亮，老人夜里上下楼不便。")
    phone.get_by_label("带回社区").check()
    phone.get_by_label("问题类别").select_option(label="物业维修")
    phone.get_by_label("处理措施", exact=True).fill("登记后带回社区，联系物业维修。")
    phone.get_by_label("反馈结果", exact=True).fill("老人表示等物业上门。")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(phone, "worker_day_visit_form_390.png")
    phone.get_by_role("button", name="保存走访").click()
    phone.wait_for_url(re.compile(r"/visits/\d+/$"))
    phone.get_by_text("走访记录已保存。").wait_for()
    assert phone.get_by_text("带回社区").first.is_visible()

    visit_pk = int(re.search(r"/visits/(\d+)/$", phone.url)[1])
    visit = Visit.objects.get(pk=visit_pk, household_id=household_id, logged_by__username="grid01")
    assert (visit.problem, visit.handling, visit.measures, visit.feedback) == (
        "楼道灯不亮，老人夜里上下楼不便。",
        Visit.Handling.TAKEN_BACK,
        "登记后带回社区，联系物业维修。",
        "老人表示等物业上门。",
    )
    raised = ResidentRequest.objects.get(raised_in=visit)
    assert (raised.category, raised.urgency) == ("repair", "normal")

    # Back on the list the day has one visit done and one fewer left.
    phone.goto(phone.base_url + "/visits/tasks/")
    assert "今天已完成 1 户" in phone.locator("#day-summary").inner_text()
    assert phone.locator("li[id^='task-']").count() <= grid.daily_visits - 1
