"""Every role's main pages, on a 390×844 phone, have no serious or critical axe-core violation.

The pages are those of `tests.pages` over its small world, as each persona reaches them, plus the sign-in and
missing pages. axe-core is vendored (tests/vendor/axe-core-4.14.1/axe.min.js, with its licence) and evaluated
in each loaded page through the DevTools protocol, which the pages' Content-Security-Policy does not cover, so
the pages are checked as the policy lets them render.
"""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.conftest import PHONE, sign_in
from tests.pages import PAGES, PUBLIC_PAGES, ROLES, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent.parent / "vendor" / "axe-core-4.14.1" / "axe.min.js").read_text(encoding="utf-8")
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      nodes: violation.nodes.slice(0, 5).map((node) => `${node.target.join(" ")}: ${node.failureSummary}`),
    }));
}"""


@pytest.fixture
def world(household, other_household, grid_worker, other_grid_worker, cadre, leader, mediator):
    return build_world(
        household=household,
        other_household=other_household,
        grid_worker=grid_worker,
        other_grid_worker=other_grid_worker,
        cadre=cadre,
        leader=leader,
        mediator=mediator,
    )


def phone_context(browser, live_server, user=None):
    """A phone-sized browser context, signed in as `user` through a session the test client made."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN")
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def reached(page, url):
    """Open `url`; whether it answered 200 without a redirect (else the role does not reach it)."""
    response = page.goto(url)
    return response.status == 200 and response.request.redirected_from is None


def violations_on(page, url=None, status=200):
    """The serious and critical axe violations on `url` (or the page as it is), as readable lines."""
    if url is not None:
        response = page.goto(url)
        assert response.status == status, f"{url}: {response.status}"
    page.wait_for_load_state("load")
    page.evaluate(AXE)
    return [
        f"{violation['impact']} {violation['id']} ({violation['help']}):\n    " + "\n    ".join(violation["nodes"])
        for violation in page.evaluate(RUN_AXE)
    ]


def test_every_roles_main_pages_have_no_serious_axe_violation(browser, live_server, request, world):
    problems = []
    checked = []
    for role in ROLES:
        context = phone_context(browser, live_server, request.getfixturevalue(role))
        page = context.new_page()
        for name, url_for in PAGES.items():
            if not reached(page, live_server.url + url_for(world)):
                continue
            checked.append(f"{role} · {name}")
            problems += [f"{role} · {name}: {line}" for line in violations_on(page)]
            if name == "workbench":  # the phone's collapsed menu, opened
                page.get_by_role("button", name="展开菜单").click()
                page.locator("#portal-nav-links.show").wait_for()
                problems += [f"{role} · menu: {line}" for line in violations_on(page)]
        missing, status = PUBLIC_PAGES["missing page"]
        problems += [
            f"{role} · missing page: {line}" for line in violations_on(page, live_server.url + missing, status)
        ]
        context.close()

    context = phone_context(browser, live_server)
    page = context.new_page()
    for name, (url, status) in PUBLIC_PAGES.items():
        problems += [f"signed out · {name}: {line}" for line in violations_on(page, live_server.url + url, status)]
    context.close()

    assert problems == [], f"{len(problems)} serious or critical axe violations:\n" + "\n".join(problems)
    assert {"grid_worker · visit sheet entry", "cadre · coverage of a grid", "leader · workbench"} <= set(checked)
    assert len(checked) > 50


def test_htmx_still_works_from_valid_data_hx_attributes(phone, cadre, household):
    """htmx 2 reads `data-hx-*` as it reads `hx-*`: the identity number is revealed in place (a POST) and the
    search answers as one types, without leaving the page."""
    resident = household.residents.get()
    sign_in(phone, "cadre")
    phone.goto(phone.base_url + f"/households/{household.pk}/")
    phone.evaluate("window.__samePage = true")

    phone.get_by_role("button", name="查看完整号码").click()

    phone.locator(f"#id-number-{resident.pk} code", has_text=resident.id_number).wait_for()
    assert phone.evaluate("window.__samePage === true")

    phone.goto(phone.base_url + "/households/")
    phone.evaluate("window.__samePage = true")
    phone.get_by_role("searchbox").fill("wyk")
    phone.get_by_role("link", name="魏永凯").wait_for()
    phone.wait_for_url("**/households/?q=wyk")
    assert phone.evaluate("window.__samePage === true")
