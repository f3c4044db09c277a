"""Working without signal, on the server's side (core/offline.py): the service worker and the manifest served from
the root, the offline page, the outbox's session endpoint, the `X-Outbox` answers of the visit and inspection
forms, and the marks that tell the service worker and the outbox which pages and forms are theirs.

tests/browser/test_offline.py drives the whole thing in Chromium.
"""

import datetime
import json
import uuid

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import offline
from heating.models import HeatingInspection
from tests.heating.test_inspections import form_data as inspection_data
from tests.heating.test_inspections import new_for as inspection_url
from tests.visits.factories import VisitTaskFactory
from tests.visits.test_visit_views import new_url as visit_url
from tests.visits.test_visit_views import visit_data
from visits.models import Visit

pytestmark = pytest.mark.django_db


# --- The service worker and the manifest -------------------------------------------------------------------


def test_service_worker_is_javascript_served_from_the_root_with_root_scope_and_never_cached(client):
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"]
    body = response.content.decode()
    assert f'const VERSION = "{offline.release_version()}";' in body
    assert "const HASHED_STATIC = false;" in body
    for asset in ("js/offline/outbox.js", "js/offline/store.js", "vendor/bootstrap-5.3.8/css/bootstrap.min.css"):
        assert f'"{static(asset)}"' in body
    assert f'const OFFLINE_PAGE = "{reverse("offline_page")}";' in body


def test_service_worker_and_manifest_need_no_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        client.get("/sw.js")
        client.get("/manifest.webmanifest")


def test_service_worker_refuses_a_post(client):
    assert client.post("/sw.js").status_code == 405


def test_a_new_release_gets_new_cache_names(monkeypatch):
    class Storage:
        manifest_hash = "release-one"

    monkeypatch.setattr(offline, "hashed_static", lambda: True)
    monkeypatch.setattr(offline, "staticfiles_storage", Storage())
    first = offline.release_version()
    Storage.manifest_hash = "release-two"

    assert offline.release_version() != first


def test_in_production_the_service_worker_stores_the_hashed_static_urls(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)

    body = client.get("/sw.js").content.decode()

    hashed = static("js/offline/outbox.js")
    assert hashed != "/static/js/offline/outbox.js" and hashed.startswith("/static/js/offline/outbox.")
    assert f'"{hashed}"' in body
    assert "const HASHED_STATIC = true;" in body


def test_manifest_names_the_portal_in_chinese_and_lists_its_icons(client):
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "金色嘉苑社区服务门户"
    assert manifest["short_name"] == "金色嘉苑"
    assert manifest["lang"] == "zh-CN"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    icons = {icon["sizes"]: icon for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= set(icons)
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        if icon["type"] != "image/png":
            continue
        path = finders.find(icon["src"].removeprefix("/static/"))
        with Image.open(path) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]


def test_every_page_links_the_manifest_and_names_its_user_for_the_service_worker(client_for, grid_worker):
    body = client_for(grid_worker).get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in body
    assert f'data-offline-user="{grid_worker.pk}"' in body
    assert 'data-service-worker="/sw.js"' in body
    assert 'id="outbox"' in body and "已保存在本机，联网后自动提交" in body


def test_the_sign_in_page_names_nobody(client):
    body = client.get("/accounts/login/").content.decode()

    assert 'data-offline-user=""' in body
    assert 'id="outbox"' not in body


def test_policy_allows_the_service_worker_and_manifest_from_this_origin_only(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]

    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy


# --- The offline page and the outbox's session ---------------------------------------------------------------


def test_offline_page_is_rendered_as_for_nobody_even_when_signed_in(client_for, grid_worker):
    response = client_for(grid_worker).get("/offline/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "没有网络" in body
    assert 'data-offline-user=""' in body
    assert grid_worker.full_name not in body and "grid01" not in body


def test_outbox_session_names_the_signed_in_user_with_a_fresh_csrf_token(client_for, grid_worker):
    response = client_for(grid_worker).get("/offline/session")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    answer = response.json()
    assert answer["user"] == grid_worker.pk
    assert len(answer["csrf"]) == 64


def test_outbox_session_says_nobody_when_signed_out(client):
    assert client.get("/offline/session").json()["user"] is None


# --- What pages tell the service worker ----------------------------------------------------------------------


def test_a_workers_task_list_is_kept_with_its_forms_prefetched(client_for, grid_worker, household):
    VisitTaskFactory(household=household, assignee=grid_worker, earliest_on=timezone.localdate())

    body = client_for(grid_worker).get(reverse("visittask_list")).content.decode()

    assert 'class="h4 mb-0" data-offline-cache>' in body
    assert f'href="{visit_url(household)}" data-offline-prefetch>' in body


def test_a_supervisors_task_list_lists_others_tasks_and_is_not_kept(client_for, cadre, grid_worker, household):
    VisitTaskFactory(household=household, assignee=grid_worker, earliest_on=timezone.localdate())

    body = client_for(cadre).get(reverse("visittask_list")).content.decode()

    assert "data-offline-cache" not in body
    assert "data-offline-prefetch" not in body


def test_visit_and_inspection_forms_are_kept_and_go_through_the_outbox(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    for url in (visit_url(household), inspection_url(household)):
        body = client.get(url).content.decode()
        assert 'data-outbox="token" data-offline-cache' in body, url
        assert f"{household.room_code}" in body


def test_the_logout_form_drops_the_kept_pages(client_for, grid_worker):
    body = client_for(grid_worker).get("/").content.decode()

    assert 'class="d-inline" data-offline-logout>' in body


# --- X-Outbox: the answers the outbox reads --------------------------------------------------------------------


def test_without_the_header_the_visit_form_answers_as_always(client_for, grid_worker, household):
    response = client_for(grid_worker).post(visit_url(household), visit_data())

    assert response.status_code == 302
    assert "X-Outbox" not in response


def test_a_saved_visit_answers_with_its_url_and_leaves_the_message_for_the_next_page(
    client_for, grid_worker, household
):
    client = client_for(grid_worker)

    response = client.post(visit_url(household), visit_data(), headers={"X-Outbox": "direct"})

    visit = Visit.objects.get()
    assert response.status_code == 200
    assert response["X-Outbox"] == "saved"
    assert response.json() == {"saved": reverse("visit_detail", args=[visit.pk])}
    assert "走访记录已保存。" in client.get(response.json()["saved"]).content.decode()


def test_a_replayed_visit_takes_its_message_along_and_a_resend_saves_nothing_twice(client_for, grid_worker, household):
    client = client_for(grid_worker)
    data = visit_data()

    first = client.post(visit_url(household), data, headers={"X-Outbox": "replay"})
    second = client.post(visit_url(household), data, headers={"X-Outbox": "replay"})

    visit = Visit.objects.get()
    assert first.json() == {"saved": reverse("visit_detail", args=[visit.pk]), "messages": ["走访记录已保存。"]}
    assert second.json()["saved"] == first.json()["saved"]
    assert "走访记录已保存。" not in client.get(reverse("visittask_list")).content.decode()


def test_a_visit_dated_in_the_future_is_refused_with_the_form_and_its_error(client_for, grid_worker, household):
    tomorrow = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = client_for(grid_worker).post(
        visit_url(household), visit_data(visited_at=tomorrow), headers={"X-Outbox": "replay"}
    )

    assert response.status_code == 200
    assert response["X-Outbox"] == "refused"
    body = response.content.decode()
    assert "走访时间不能晚于现在。" in body
    assert 'data-outbox="token"' in body
    assert Visit.objects.count() == 0


def test_signed_out_the_outbox_gets_401_instead_of_the_sign_in_redirect(client, household):
    response = client.post(visit_url(household), visit_data(), headers={"X-Outbox": "replay"})

    assert response.status_code == 401
    assert response.json() == {"login": reverse("login")}
    assert Visit.objects.count() == 0


def test_another_grids_household_is_still_a_404(client_for, other_grid_worker, household):
    response = client_for(other_grid_worker).post(visit_url(household), visit_data(), headers={"X-Outbox": "replay"})

    assert response.status_code == 404
    assert "X-Outbox" not in response


def test_an_inspection_sent_from_the_outbox_is_saved_once(client_for, grid_worker, household, heating):
    client = client_for(grid_worker)
    data = inspection_data(token=uuid.uuid4())

    first = client.post(inspection_url(household), data, headers={"X-Outbox": "replay"})
    second = client.post(inspection_url(household), data, headers={"X-Outbox": "replay"})

    inspection = HeatingInspection.objects.get()
    assert first["X-Outbox"] == second["X-Outbox"] == "saved"
    assert first.json()["saved"] == second.json()["saved"] == reverse("inspection_detail", args=[inspection.pk])
    assert first.json()["messages"] == ["测温记录已保存。"]


def test_an_inspection_in_the_future_is_refused(client_for, grid_worker, household, heating):
    data = inspection_data(inspected_at=timezone.localtime() + datetime.timedelta(days=1))

    response = client_for(grid_worker).post(inspection_url(household), data, headers={"X-Outbox": "replay"})

    assert response["X-Outbox"] == "refused"
    assert "测温时间不能晚于现在" in response.content.decode()
    assert HeatingInspection.objects.count() == 0
