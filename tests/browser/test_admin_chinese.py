"""The Django admin speaks the portal's language, its JavaScript widgets included."""

import os

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_to_admin(page):
    page.goto(page.base_url + "/admin/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill("pw-test-2026")
    page.locator("input[type=submit]").click()
    page.wait_for_url(page.base_url + "/admin/")


def test_priority_group_picker_speaks_chinese(phone, admin_user, household):
    resident = household.residents.get()
    sign_in_to_admin(phone)

    phone.goto(f"{phone.base_url}/admin/households/resident/{resident.pk}/change/")
    picker = phone.locator(".field-priority_groups .selector")
    picker.wait_for()

    text = picker.inner_text()
    phone.screenshot(path=os.path.join(ARTIFACTS, "admin_resident_picker_390.png"), full_page=True)
    assert "全选" in text
    assert "删除全部" in text
    assert "Choose" not in text
    assert "Remove" not in text
