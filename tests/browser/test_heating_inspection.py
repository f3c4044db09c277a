"""A grid worker records a cold home on a phone: the household page's 入户测温, a 16.5 ℃ bedroom, and the ticket
to the heating company and the re-inspection task that appear on the inspection's page and in the task list."""

import datetime
import os
import re

import pytest
from django.utils import timezone

from heating.kinds import RECHECK
from heating.models import BuildingSupply, HeatingCompany, HeatingInspection, HeatingSeason, HeatingTicket
from tests.browser.conftest import PHONE, sign_in
from visits.models import VisitTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at, outside the repository.
SHOTS = os.environ.get("HEATING_SCREENSHOTS", "/tmp/heating-inspection-screenshots")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_grid_worker_records_a_cold_bedroom_and_sees_the_ticket_and_the_recheck(phone, grid_worker, household):
    today = timezone.localdate()
    HeatingSeason.objects.create(
        community=household.building.grid.community,
        name="本供暖季",
        starts_on=today - datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=100),
    )
    BuildingSupply.objects.create(
        building=household.building, company=HeatingCompany.objects.create(name="济宁热力公司")
    )

    sign_in(phone, "grid01")
    phone.goto(f"{phone.base_url}/households/{household.pk}/")
    phone.get_by_role("link", name="入户测温").click()
    phone.wait_for_url(re.compile(rf"/heating/inspections/new/\?household={household.pk}$"))
    phone.get_by_role("heading", name="入户测温").wait_for()

    first_row = phone.get_by_role("group", name="读数 1")
    assert first_row.get_by_label("房间名称").input_value() == "主卧"
    first_row.get_by_label("室温（℃）").fill("45")
    phone.get_by_role("button", name="保存测温").click()
    phone.get_by_text("室温应在 -10 ℃ 到 40 ℃ 之间，请核对读数。").wait_for()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "inspection_form_error_390")
    first_row = phone.get_by_role("group", name="读数 1")
    first_row.get_by_label("室温（℃）").fill("16.5")
    phone.get_by_role("radio", name="全开").check()
    phone.get_by_label("现场建议").fill("阀门已开到底，暖气片仍不热，已报修。")
    phone.get_by_role("radio", name="不满意").check()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "inspection_form_390")

    phone.get_by_role("button", name="保存测温").click()
    phone.wait_for_url(re.compile(r"/heating/inspections/\d+/$"))
    phone.get_by_text("测温记录已保存，已向供热公司报修并安排复查。").wait_for()

    inspection = HeatingInspection.objects.get()
    ticket = HeatingTicket.objects.get()
    assert inspection.ticket == ticket and ticket.state == HeatingTicket.State.REPORTED
    assert phone.get_by_text("16.5 ℃", exact=True).is_visible()
    ticket_section = phone.locator("#ticket")
    assert ticket_section.get_by_text("已报修").is_visible()
    assert ticket_section.get_by_text("济宁热力公司").is_visible()
    assert phone.locator("#recheck").get_by_text("供暖复查").is_visible()
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "inspection_detail_390")

    # The ticket link opens the ticket; the re-inspection is on the worker's task list.
    ticket_section.get_by_role("link", name=f"报修单 {ticket.pk}").click()
    phone.wait_for_url(re.compile(rf"/heating/tickets/{ticket.pk}/$"))

    task = VisitTask.objects.open().get(household=household, kind=RECHECK)
    assert task.assignee == grid_worker
    phone.goto(f"{phone.base_url}/visits/tasks/?view=backlog")
    row = phone.locator(f"#task-{task.pk}")
    if not row.count():
        phone.goto(f"{phone.base_url}/visits/tasks/")
    row.wait_for()
    assert "供暖复查" in row.inner_text() and household.room_code in row.inner_text()
    shot(phone, "inspection_tasks_390")
