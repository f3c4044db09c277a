"""Small things a phone shows: the favicon, and a search placeholder that fits the box at 390 px."""

import os

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The width of the placeholder text in the input's own font, and the room the input leaves for text.
PLACEHOLDER_FIT = """(input) => {
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [context.measureText(input.placeholder).width, room];
}"""


def test_workbench_search_placeholder_fits_a_phone_and_the_page_has_a_favicon(phone, grid_worker):
    not_found = []
    phone.on("response", lambda response: not_found.append(response.url) if response.status == 404 else None)
    sign_in(phone, "grid01")

    search = phone.get_by_label("查找居民户")
    text_width, room = search.evaluate(PLACEHOLDER_FIT)
    phone.screenshot(path=os.path.join(ARTIFACTS, "workbench_search_390.png"))

    assert text_width <= room
    assert phone.get_by_text("手机号后四位").is_visible()
    icon = phone.locator("link[rel=icon]").get_attribute("href")
    assert phone.request.get(phone.base_url + icon).ok
    assert not_found == []
