"""Chromium on a phone finds no Content-Security-Policy violation on the portal's pages or the admin's.

Each page records `securitypolicyviolation` events (a script Playwright injects, which the policy does not cover)
and the console's CSP messages; JavaScript errors fail the test too, so a blocked script cannot pass unnoticed.
"""

import os

import pytest
from django.utils import timezone

from households.models import Resident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(phone):
    """The phone page, with a list of every CSP violation, CSP console message and script error it meets."""
    problems = []
    phone.add_init_script(WATCH_VIOLATIONS)
    phone.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    phone.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    phone.problems = problems
    return phone


def open_page(page, path):
    """Load `path`, wait for its scripts, and return the problems met on it."""
    response = page.goto(page.base_url + path)
    assert response.status == 200, f"{path}: {response.status}"
    page.wait_for_load_state("load")
    problems = [*page.evaluate("window.__cspViolations"), *page.problems]
    page.problems.clear()
    return [f"{path}: {problem}" for problem in problems]


def test_portal_pages_break_no_rule_of_the_policy(watched, grid_worker, household, building):
    today = timezone.localdate()
    VisitTaskFactory(household=household, assignee=grid_worker, earliest_on=today, due_on=today)
    visit = VisitFactory(household=household, logged_by=grid_worker)
    request = ResidentRequestFactory(household=household)
    sign_in(watched, "grid01")

    problems = []
    for path in [
        "/",
        "/households/",
        f"/households/{household.pk}/",
        "/visits/tasks/",
        "/visits/new/",
        f"/visits/{visit.pk}/",
        f"/visits/sheet/?building={building.pk}",
        "/requests/",
        f"/requests/{request.pk}/",
        "/grids/coverage/",
        "/notifications/",
    ]:
        problems += open_page(watched, path)
        # htmx's indicator rules come from portal.css, not from a <style> it injects.
        assert watched.evaluate("document.querySelectorAll('style').length") == 0, path

    assert problems == [], "\n".join(problems)


def test_coverage_chart_is_drawn_and_sized_without_inline_style(watched, cadre, household):
    sign_in(watched, "cadre")

    assert open_page(watched, "/grids/coverage/") == []

    rows = watched.evaluate("JSON.parse(document.getElementById('coverage-chart-data').textContent).labels.length")
    box = watched.locator(".coverage-chart").bounding_box()
    assert box["height"] >= rows * 60 - 1
    assert watched.evaluate("!!window.Chart && !!Chart.getChart('coverage-chart')")
    assert watched.locator("progress.coverage-bar").count() > 0
    watched.screenshot(path=os.path.join(ARTIFACTS, "coverage_390.png"), full_page=True)


def test_sheet_print_button_works_without_an_inline_handler(watched, grid_worker, building):
    sign_in(watched, "grid01")
    assert open_page(watched, f"/visits/sheet/?building={building.pk}") == []
    watched.evaluate("window.print = () => { window.__printed = true; }")

    watched.get_by_role("button", name="打印").click()

    assert watched.evaluate("window.__printed === true")


def test_missing_page_offers_the_way_back_on_a_phone(watched, grid_worker):
    sign_in(watched, "grid01")

    response = watched.goto(watched.base_url + "/no-such-page/")

    assert response.status == 404
    watched.get_by_role("heading", name="页面不存在").wait_for()
    assert watched.evaluate("window.__cspViolations") == [] and watched.problems == []
    assert watched.evaluate("document.documentElement.scrollWidth") <= 390
    watched.screenshot(path=os.path.join(ARTIFACTS, "not_found_390.png"), full_page=True)
    watched.get_by_role("link", name="返回工作台").click()
    watched.wait_for_url(watched.base_url + "/")


def test_admin_pages_break_no_rule_of_the_policy(watched, admin_user, household):
    resident = Resident.objects.get(household=household)
    watched.goto(watched.base_url + "/admin/login/")
    watched.get_by_label("用户名").fill("admin")
    watched.get_by_label("密码").fill("pw-test-2026")
    watched.get_by_role("button", name="登录").click()
    watched.wait_for_url(watched.base_url + "/admin/")

    problems = []
    for path in [
        "/admin/",
        "/admin/households/household/",
        f"/admin/households/household/{household.pk}/change/",
        f"/admin/households/resident/{resident.pk}/change/",
        "/admin/households/resident/import/",
        "/admin/households/resident/export/",
        "/admin/grids/grid/",
        "/admin/grids/street/",
    ]:
        problems += open_page(watched, path)

    assert problems == [], "\n".join(problems)
