"""Playwright driving the system Chromium (/usr/bin/chromium) against Django's live server.

Playwright's sync API keeps an event loop in the test thread, so Django's async-safety check must be relaxed
for these tests only; the live server itself runs in its own thread.
"""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
ARTIFACTS = os.path.join(os.path.dirname(__file__), "..", "..", "var", "screenshots")


@pytest.fixture(scope="session")
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server, request):
    """A 390×844 phone page; fails the test if the page asks for anything off this machine."""
    service_workers = "block" if request.node.get_closest_marker("block_service_workers") else "allow"
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        service_workers=service_workers,
    )
    page = context.new_page()
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "blob:", "about:"))
            else None
        ),
    )
    page.base_url = live_server.url
    yield page
    context.close()
    assert outside == [], f"page loaded from outside the machine: {outside}"


def sign_in(page, username, password="pw-test-2026"):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(page.base_url + "/")
