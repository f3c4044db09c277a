"""A cadre follows a cold home's ticket with the heating company on a phone: the list with the overdue one first,
the ticket's readings, the company's reply, and closing with whether the company was at fault."""

import os

import pytest
from django.utils import timezone

from heating.models import HeatingTicket
from tests.browser.conftest import sign_in
from tests.pages import heating_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at, outside the repository.
SHOTS = os.environ.get("HEATING_SCREENSHOTS", "/tmp/heating-ticket-screenshots")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def test_cadre_follows_a_ticket_to_its_close_on_a_phone(phone, household, grid_worker, cadre):
    ticket = heating_ticket(household, by=grid_worker, now=timezone.now())

    sign_in(phone, "cadre")
    phone.goto(phone.base_url + "/heating/tickets/")
    assert phone.locator(f"#ticket-{ticket.pk}").get_by_text("超时 1 天 2 小时").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "ticket_list_390")

    phone.locator(f"#ticket-{ticket.pk}").click()
    assert phone.get_by_text("16.5 ℃", exact=True).is_visible()
    phone.get_by_role("textbox", name="供热公司答复").fill("已派人明早上门")
    phone.get_by_role("button", name="记录答复").click()
    assert phone.get_by_text("已记录供热公司答复。").is_visible()
    phone.get_by_role("button", name="供热公司已受理").click()
    phone.get_by_role("button", name="供热公司已处理").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "ticket_detail_390")

    phone.get_by_role("button", name="复查合格，结单").click()
    assert phone.get_by_text("结单时请选择是否为供热公司责任。").is_visible()
    phone.get_by_label("是，供热公司责任（跟进减免热费）").check()
    phone.get_by_role("button", name="复查合格，结单").click()
    assert phone.get_by_text("已更新为“复查合格”。").is_visible()
    ticket.refresh_from_db()
    assert ticket.state == HeatingTicket.State.RECHECK_PASSED and ticket.company_at_fault is True
    shot(phone, "ticket_closed_390")
