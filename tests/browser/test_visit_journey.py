import datetime
import os
import re

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.factories import HouseholdFactory
from tests.visits.factories import VisitTaskFactory
from visits.models import Visit, VisitTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_tasks_from_menu(page):
    """On a phone the navigation hides behind the toggler: open it, then tap 走访任务."""
    page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="走访任务").click()
    page.wait_for_url(page.base_url + "/visits/tasks/")
    page.get_by_role("heading", name="我的走访任务").wait_for()


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_grid_worker_logs_visit_for_overdue_task_and_it_disappears_on_a_phone(phone, grid_worker, household, building):
    today = timezone.localdate()
    overdue = VisitTaskFactory(
        household=household,
        assignee=grid_worker,
        earliest_on=today - datetime.timedelta(days=20),
        due_on=today - datetime.timedelta(days=3),
    )
    upcoming = VisitTaskFactory(
        household=HouseholdFactory(building=building, unit=1, floor=2, room="201"),
        assignee=grid_worker,
        earliest_on=today,
        due_on=today + datetime.timedelta(days=10),
    )
    os.makedirs(ARTIFACTS, exist_ok=True)

    sign_in(phone, "grid01")
    open_tasks_from_menu(phone)

    overdue_row = phone.locator(f"#task-{overdue.pk}")
    upcoming_row = phone.locator(f"#task-{upcoming.pk}")
    overdue_row.wait_for()
    # Today's list is in walking order (3-1-201 before 3-2-501); the overdue task says how late it is.
    assert overdue_row.get_by_text("逾期 3 天", exact=True).is_visible()
    assert "3-2-501" in overdue_row.inner_text()
    assert upcoming_row.is_visible()
    assert "逾期" not in upcoming_row.inner_text()
    rows = phone.locator("li[id^='task-']")
    assert rows.first.get_attribute("id") == f"task-{upcoming.pk}"
    assert page_width(phone) <= PHONE["width"]
    phone.screenshot(path=os.path.join(ARTIFACTS, "tasks_390.png"), full_page=True)

    # One tap on the row's button opens the visit form for that household.
    overdue_row.get_by_role("link", name="记录走访").click()
    phone.wait_for_url(re.compile(rf"/visits/new/\?household={household.pk}$"))
    phone.get_by_role("heading", name="记录走访").wait_for()
    assert phone.get_by_role("link", name="3-2-501").is_visible()
    phone.get_by_label("已见面").check()
    phone.get_by_label("重点人群关爱").check()
    phone.get_by_label("问题", exact=True).fill("老人身体尚好，暖气温度正常，提醒注意用电安全。")
    assert page_width(phone) <= PHONE["width"]
    phone.screenshot(path=os.path.join(ARTIFACTS, "visit_form_390.png"), full_page=True)

    phone.get_by_role("button", name="保存走访").click()
    phone.wait_for_url(re.compile(r"/visits/\d+/$"))
    phone.get_by_text("走访记录已保存。").wait_for()

    visit = Visit.objects.get()
    assert visit.household_id == household.pk
    assert visit.outcome == Visit.Outcome.MET
    assert sorted(visit.purposes) == sorted([Visit.Purpose.ROUTINE, Visit.Purpose.PRIORITY_CARE])
    assert visit.problem == "老人身体尚好，暖气温度正常，提醒注意用电安全。"
    overdue.refresh_from_db()
    assert overdue.state == VisitTask.State.DONE
    assert overdue.visit_id == visit.pk

    # Back on the task list the overdue task is gone; the other household's upcoming task stays.
    open_tasks_from_menu(phone)
    upcoming_row.wait_for()
    assert overdue_row.count() == 0
    assert phone.get_by_text("逾期 3 天").count() == 0
    assert "3-2-501" not in phone.locator("main").inner_text()
