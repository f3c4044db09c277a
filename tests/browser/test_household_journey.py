import os

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grid_worker_finds_household_by_pinyin_initials_on_a_phone(phone, grid_worker, household, other_household):
    sign_in(phone, "grid01")

    phone.get_by_label("查找居民户").fill("wyk")
    phone.get_by_role("button", name="查找").click()
    phone.get_by_role("link", name="魏永凯").wait_for()
    assert phone.get_by_text("单雄信").count() == 0

    phone.get_by_role("link", name="魏永凯").click()
    phone.get_by_role("heading", name="家庭成员").wait_for()
    assert "3-2-501" in phone.content()
    # Nothing wider than the phone: no horizontal scrolling on the household page.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=os.path.join(ARTIFACTS, "household_detail_390.png"), full_page=True)
