"""A grid worker without signal, on a 390×844 phone: the service worker's copies, the outbox and signing out.

"Offline" is the context's offline switch plus a route that fails every request to the server, since the switch
may not stop a service worker's own fetches; while it is off, the server must receive nothing (its WSGI
application is watched for that).

No wait here is without end: Playwright's own waits give up after WAIT_MS (the page's default timeout), scripts
run in the page go through `bounded`, and `wait_for` has its own deadline. Screenshots at 390×844 go to
$OFFLINE_SCREENSHOTS (/tmp/shots-offline).
"""

import datetime
import io
import os
import re
import time

import pytest
from django.utils import timezone
from PIL import Image

from tests.browser.conftest import sign_in
from tests.visits.factories import VisitTaskFactory
from visits.models import Visit, VisitTask

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
SHOTS = os.environ.get("OFFLINE_SCREENSHOTS", "/tmp/shots-offline")
KEPT = """async (url) => {
  for (const name of await caches.keys()) {
    if (name.startsWith("jj-pages-") && (await (await caches.open(name)).match(url))) {
      return true;
    }
  }
  return false;
}"""
# Whether the service worker controls the page. A page whose loading began before the worker was active is not
# one of its clients when it claims them, and stays uncontrolled: only the next page loaded is controlled, so
# waiting for this one's "controllerchange" would wait for ever (what hung the sign-out journey).
CONTROLLED = """async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => {
      navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
      setTimeout(resolve, 1000);
    });
  }
  return Boolean(navigator.serviceWorker.controller);
}"""
KEPT_PAGES = """async () => {
  let count = 0;
  for (const name of await caches.keys()) {
    if (name.startsWith("jj-pages-")) {
      count += (await (await caches.open(name)).keys()).length;
    }
  }
  return count;
}"""
RECORDS = """async (user) => (await window.outboxStore.listFor(String(user))).length"""


def bounded(page, script, arg=None):
    """`page.evaluate(script, arg)`, failing after WAIT_MS instead of waiting for ever on the script's promise."""
    racing = f"""(arg) => Promise.race([
      ({script})(arg),
      new Promise((resolve, reject) => setTimeout(() => reject(new Error("no answer in {WAIT_MS} ms")), {WAIT_MS})),
    ])"""
    return page.evaluate(racing, arg)


class Network:
    """The phone's connection. `off()` switches it off and fails every request; `reached` lists what the server
    (the live server's WSGI application, static files included) received while it was off."""

    def __init__(self, page, server):
        self.context = page.context
        self.is_off = False
        self.reached = []
        self.httpd = server.thread.httpd
        self.application = self.httpd.get_app()
        self.httpd.set_app(self.watched)

    def watched(self, environ, start_response):
        if self.is_off:
            self.reached.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return self.application(environ, start_response)

    def fail(self, route):
        route.abort("internetdisconnected")

    def off(self):
        self.is_off = True
        self.context.set_offline(True)
        self.context.route("**/*", self.fail)

    def on(self):
        self.context.unroute("**/*", self.fail)
        self.context.set_offline(False)
        self.is_off = False

    def close(self):
        self.httpd.set_app(self.application)


@pytest.fixture(autouse=True)
def bounded_waits(phone):
    phone.set_default_timeout(WAIT_MS)


@pytest.fixture
def network(phone, live_server):
    network = Network(phone, live_server)
    yield network
    network.close()


def form_url(household):
    return f"/visits/new/?household={household.pk}"


def wait_for(page, check, timeout=WAIT_MS / 1000):
    """Until `check()`; the page's events (a dialog, say) are handled meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def wait_until_kept(page, path):
    """Until the service worker keeps `path` (it stores a page after it has been shown)."""
    wait_for(page, lambda: bounded(page, KEPT, page.base_url + path))


def sign_in_with_worker(page, username):
    """Sign in, and make sure the service worker controls the page: from then on it sees every page loaded."""
    sign_in(page, username)
    if not bounded(page, CONTROLLED):
        page.reload()  # loaded while the worker was starting (see CONTROLLED)
        assert bounded(page, CONTROLLED), "the service worker does not control the page"


def keep_task_list_and_form(page, household):
    page.goto(page.base_url + "/visits/tasks/")
    wait_until_kept(page, "/visits/tasks/")
    wait_until_kept(page, form_url(household))  # prefetched from the task's "记录走访" button


def fill_visit(page, problem):
    page.get_by_label("已见面").check()
    page.get_by_label("问题", exact=True).fill(problem)
    page.get_by_role("button", name="保存走访").click()


def photo():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "orange").save(buffer, format="PNG")
    return {"name": "楼道.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def outbox_count(page):
    return page.locator("[data-outbox-count]").inner_text()


def shot(page, name):
    """A 390×844 screenshot of what the phone shows."""
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), scale="css")


def sign_out(page):
    page.get_by_role("button", name="展开菜单").click()
    page.get_by_role("button", name="退出").click()


def test_a_visit_logged_without_signal_is_kept_on_the_phone_and_saved_once_back_online(
    phone, network, grid_worker, household
):
    task = VisitTaskFactory(household=household, assignee=grid_worker, earliest_on=timezone.localdate())
    sign_in_with_worker(phone, "grid01")
    keep_task_list_and_form(phone, household)

    network.off()
    phone.goto(phone.base_url + "/visits/tasks/")
    phone.get_by_text("离线副本").wait_for()
    phone.locator(f"#task-{task.pk}").get_by_role("link", name="记录走访").click()
    phone.wait_for_url(re.compile(rf"/visits/new/\?household={household.pk}$"))
    phone.get_by_label("现场照片（可选，5 MB 以内）").set_input_files(photo())
    fill_visit(phone, "地下室没有信号，老人身体尚好。")

    phone.get_by_text("已保存在本机，联网后自动提交").wait_for()
    assert outbox_count(phone) == "1"
    shot(phone, "visit_form_offline_kept")
    phone.reload()  # nothing is lost on a reload
    phone.get_by_text("本机待提交").wait_for()
    assert outbox_count(phone) == "1"
    assert Visit.objects.count() == 0
    assert network.reached == []

    network.on()
    phone.locator("[data-outbox-state=saved]").wait_for()
    assert outbox_count(phone) == "0"
    assert "走访记录已保存。" in phone.locator("#outbox").inner_text()
    visit = Visit.objects.get()
    assert (visit.household_id, visit.logged_by_id, visit.problem) == (
        household.pk,
        grid_worker.pk,
        "地下室没有信号，老人身体尚好。",
    )
    assert visit.photo.name.endswith(".png")  # the photo waited on the phone with the record
    task.refresh_from_db()
    assert task.state == VisitTask.State.DONE


@pytest.mark.block_service_workers
def test_a_submission_whose_answer_is_lost_is_sent_again_and_saves_one_visit(phone, grid_worker, household):
    # The outbox is the page's own script and needs no service worker; with none (blocked: one controlling the
    # page would hide the POST from routing) there is none to wait for either.
    sign_in(phone, "grid01")
    phone.goto(phone.base_url + form_url(household))
    posts = []
    lost = []

    def answer_lost_once(route):
        posts.append(route.request.headers.get("x-outbox"))
        if len(posts) == 1:
            lost.append(route.fetch().headers.get("x-outbox"))  # the server saves the visit...
            route.abort("connectionreset")  # ...but its answer never reaches the phone
        else:
            route.continue_()

    phone.context.route(
        re.compile(r"/visits/new/"),
        lambda route: answer_lost_once(route) if route.request.method == "POST" else route.continue_(),
    )
    fill_visit(phone, "信号时有时无。")

    phone.get_by_text("已保存在本机，联网后自动提交").wait_for()
    phone.locator("[data-outbox-state=saved]").wait_for()
    assert posts == ["direct", "replay"]
    assert lost == ["saved"]
    assert Visit.objects.count() == 1
    assert outbox_count(phone) == "0"


def keep_a_visit_dated_tomorrow(phone, network, household):
    """grid01 opens the visit form once online (the phone keeps it), then without signal logs a visit dated
    tomorrow, which the phone keeps and the server will refuse."""
    sign_in_with_worker(phone, "grid01")
    phone.goto(phone.base_url + form_url(household))
    wait_until_kept(phone, form_url(household))
    network.off()
    phone.goto(phone.base_url + form_url(household))
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    phone.get_by_label("走访时间").fill(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    fill_visit(phone, "日期填错了。")
    phone.get_by_text("已保存在本机，联网后自动提交").wait_for()
    assert network.reached == []


def test_a_visit_refused_by_the_server_comes_back_with_its_error_and_is_corrected(
    phone, network, grid_worker, household
):
    keep_a_visit_dated_tomorrow(phone, network, household)

    network.on()
    refused = phone.locator("[data-outbox-state=refused]")
    refused.wait_for()
    assert "走访时间：走访时间不能晚于现在。" in refused.inner_text()
    assert outbox_count(phone) == "1"
    assert Visit.objects.count() == 0
    # The form's "kept on the phone" note no longer says it waits: the outbox above says how it went.
    assert phone.locator("[data-outbox-notice]").inner_text() == "已联网提交，结果见上方“本机待提交”。"
    refused.scroll_into_view_if_needed()
    shot(phone, "outbox_refused_record")

    refused.get_by_role("link", name="打开修改").click()
    phone.get_by_text("服务器退回了它").wait_for()
    assert phone.locator(".invalid-feedback").get_by_text("走访时间不能晚于现在。").is_visible()
    assert phone.get_by_label("问题", exact=True).input_value() == "日期填错了。"
    phone.get_by_label("走访时间").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_role("button", name="保存走访").click()

    # This page is the copy shown offline (its CSRF token may be old): the record goes out through the outbox.
    phone.locator("[data-outbox-state=saved]").wait_for()
    assert outbox_count(phone) == "0"
    assert Visit.objects.get().problem == "日期填错了。"


def test_a_refused_record_opened_from_another_page_is_corrected_and_saved(phone, network, grid_worker, household):
    keep_a_visit_dated_tomorrow(phone, network, household)
    network.on()
    phone.goto(phone.base_url + "/")

    phone.locator("[data-outbox-state=refused]").get_by_role("link", name="打开修改").click()
    phone.get_by_text("服务器退回了它").wait_for()
    assert phone.locator(".invalid-feedback").get_by_text("走访时间不能晚于现在。").is_visible()
    phone.get_by_label("走访时间").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    phone.get_by_role("button", name="保存走访").click()

    phone.wait_for_url(re.compile(r"/visits/\d+/$"))
    phone.get_by_text("走访记录已保存。").wait_for()
    assert Visit.objects.get().problem == "日期填错了。"
    assert bounded(phone, RECORDS, grid_worker.pk) == 0  # the corrected record left the outbox
    assert phone.locator("#outbox").is_hidden()


def test_signing_out_clears_the_phone_and_the_next_worker_sees_nothing_of_the_first(
    phone, network, grid_worker, other_grid_worker, household, other_household
):
    VisitTaskFactory(household=household, assignee=grid_worker, earliest_on=timezone.localdate())
    sign_in_with_worker(phone, "grid01")
    keep_task_list_and_form(phone, household)
    # The server cannot be reached: the visit waits in the outbox. (The page's own POST is routed: the service
    # worker leaves POSTs alone.)
    unreachable = re.compile(r"/visits/new/")
    refused_posts = []

    def refuse_posts(route):
        if route.request.method == "POST":
            refused_posts.append(route.request.url)
            route.abort("connectionrefused")
        else:
            route.continue_()

    phone.context.route(unreachable, refuse_posts)
    phone.goto(phone.base_url + form_url(household))
    fill_visit(phone, "退出前未提交的记录。")
    phone.get_by_text("已保存在本机，联网后自动提交").wait_for()

    assert refused_posts
    questions = []
    phone.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    phone.get_by_role("button", name="展开菜单").click()
    phone.locator("#portal-nav-links.show").wait_for()  # the menu has finished opening
    shot(phone, "sign_out_menu_with_waiting_record")
    phone.get_by_role("button", name="退出").click()
    wait_for(phone, lambda: questions)
    assert "本机还有 1 条记录未提交" in questions[0]
    assert phone.url.endswith(form_url(household))  # stayed signed in

    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="退出").click()
    phone.wait_for_url(re.compile(r"/accounts/login/"))
    assert bounded(phone, KEPT_PAGES) == 0
    phone.context.unroute(unreachable)

    sign_in_with_worker(phone, "grid02")
    # The first worker's record stays on the phone for them, and is not the second's.
    assert (bounded(phone, RECORDS, grid_worker.pk), bounded(phone, RECORDS, other_grid_worker.pk)) == (1, 0)
    assert phone.locator("#outbox").is_hidden()
    network.off()
    for path in ("/visits/tasks/", form_url(household)):
        phone.goto(phone.base_url + path)
        phone.get_by_role("heading", name="没有网络").wait_for()
        assert household.room_code not in phone.content()
    assert network.reached == []
    network.on()
    assert Visit.objects.count() == 0

    # The record is sent when its own worker signs in again.
    phone.goto(phone.base_url + "/")
    sign_out(phone)
    phone.wait_for_url(re.compile(r"/accounts/login/"))
    sign_in_with_worker(phone, "grid01")
    phone.locator("[data-outbox-state=saved]").wait_for()
    assert Visit.objects.get().logged_by == grid_worker
