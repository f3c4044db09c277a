"""The street leader signs in on a phone and lands on the overview of the hand-built street of
tests/visits/test_overview.py: the figures are the counts written there, and both charts are drawn.

Set SCREENSHOT_DIR to keep a phone and a desktop screenshot of the page.
"""

import os

import pytest
from django.utils import timezone

from tests.browser.conftest import sign_in
from tests.visits.test_overview import build_street

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}


def figure(page, element_id):
    return page.locator(f"#{element_id}").inner_text().strip()


def chart_drawn(page, canvas_id):
    """The Chart.js chart exists on the canvas, has a size, and painted something."""
    return page.evaluate(
        """(id) => {
            const canvas = document.getElementById(id);
            const chart = window.Chart && window.Chart.getChart(canvas);
            if (!chart || canvas.width === 0 || canvas.height === 0) return false;
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return true; }
            return false;
        }""",
        canvas_id,
    )


def test_leader_lands_on_the_overview_with_figures_and_charts(
    phone, browser, live_server, leader, community, grid, other_grid, grid_worker, other_grid_worker
):
    build_street(now=timezone.now(), community=community, grid=grid, other_grid=other_grid, grid_worker=grid_worker)

    sign_in(phone, "leader")

    phone.get_by_role("heading", name="辖区网格运行情况").wait_for()
    assert figure(phone, "overview-visited") == "4"
    assert figure(phone, "overview-households") == "9"
    assert figure(phone, "overview-overdue-tasks") == "5"
    assert figure(phone, "overview-overdue-requests") == "2"
    assert figure(phone, "overview-backlog") == "6"
    assert figure(phone, "overview-open-requests") == "3"
    assert figure(phone, "overview-unstaffed") == "1"
    assert phone.locator("#overview-worst tbody tr").count() == 3
    assert "北区网格" in phone.locator("#overview-unstaffed-list").inner_text()
    assert phone.get_by_role("heading", name="我的走访").count() == 0
    assert chart_drawn(phone, "overview-trend-chart")
    assert chart_drawn(phone, "overview-requests-chart")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    # A figure leads to its rows: the worst grid's overdue tasks.
    phone.locator("#overview-worst tbody tr").first.get_by_role("link").first.click()
    phone.wait_for_url("**/visits/tasks/?grid=*&overdue=1")
    assert phone.locator("li[id^='task-']").count() == 3

    screenshots = os.environ.get("SCREENSHOT_DIR")
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    desktop = context.new_page()
    desktop.base_url = live_server.url
    try:
        sign_in(desktop, "leader")
        desktop.get_by_role("heading", name="辖区网格运行情况").wait_for()
        assert chart_drawn(desktop, "overview-trend-chart")
        assert chart_drawn(desktop, "overview-requests-chart")
        if screenshots:
            desktop.screenshot(path=os.path.join(screenshots, "overview-desktop.png"), full_page=True)
            phone.go_back()
            phone.get_by_role("heading", name="辖区网格运行情况").wait_for()
            phone.screenshot(path=os.path.join(screenshots, "overview-phone.png"), full_page=True)
    finally:
        context.close()


def test_cadre_lands_on_their_communitys_overview_and_coverage_total(
    phone, cadre, community, grid, other_grid, grid_worker, other_grid_worker
):
    build_street(now=timezone.now(), community=community, grid=grid, other_grid=other_grid, grid_worker=grid_worker)

    sign_in(phone, "cadre")

    phone.get_by_role("heading", name="本社区网格运行情况").wait_for()
    assert figure(phone, "overview-households") == "6"
    assert figure(phone, "overview-overdue-tasks") == "3"
    assert figure(phone, "overview-unstaffed") == "0"
    assert phone.locator("#overview-nodes tbody tr").count() == 2
    assert "银河社区" not in phone.locator("#overview").inner_text()
    assert chart_drawn(phone, "overview-trend-chart")
    screenshots = os.environ.get("SCREENSHOT_DIR")
    if screenshots:
        phone.screenshot(path=os.path.join(screenshots, "overview-cadre-phone.png"), full_page=True)

    phone.goto(phone.base_url + "/grids/coverage/")
    assert phone.locator("h2[id^='street-'] small").inner_text() == "金色嘉苑社区合计 6 户"
    if screenshots:
        phone.screenshot(path=os.path.join(screenshots, "coverage-cadre-phone.png"))
