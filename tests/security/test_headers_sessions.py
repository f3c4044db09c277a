"""Responses with personal data are not cached; sessions end when idle, after a working day, and when the account
is deactivated; /healthz names hosts and workers to staff only."""

import datetime
import io

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import views as core_views
from tests.visits.factories import VisitFactory


@pytest.fixture
def visit_with_photo(settings, tmp_path, household, grid_worker):
    settings.MEDIA_ROOT = tmp_path
    image = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(image, "JPEG")
    visit = VisitFactory(household=household, logged_by=grid_worker)
    visit.photo.save("photo.jpg", ContentFile(image.getvalue()))
    return visit


def signed_in_pages(visit):
    household = visit.household
    return [
        reverse("workbench"),
        reverse("household_list") + "?q=wei",
        reverse("household_detail", args=[household.pk]),
        reverse("visit_detail", args=[visit.pk]),
        reverse("visit_photo", args=[visit.pk]),
        reverse("visittask_list"),
        reverse("request_list"),
        reverse("notification_list"),
        reverse("admin:index"),
    ]


def test_every_signed_in_response_is_no_store(client_for, grid_worker, visit_with_photo):
    grid_worker.is_staff = True
    grid_worker.save(update_fields=["is_staff"])
    client = client_for(grid_worker)

    for url in signed_in_pages(visit_with_photo):
        response = client.get(url)
        assert response.status_code == 200, url
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, (url, cache_control)


def test_a_visit_photo_is_no_longer_kept_by_the_browser_for_an_hour(client_for, grid_worker, visit_with_photo):
    response = client_for(grid_worker).get(reverse("visit_photo", args=[visit_with_photo.pk]))

    assert "max-age=3600" not in response["Cache-Control"]


def test_the_service_worker_keeps_its_own_cache_header(client, client_for, grid_worker):
    anonymous = client.get(reverse("service_worker"))["Cache-Control"]

    signed_in = client_for(grid_worker).get(reverse("service_worker"))["Cache-Control"]

    assert signed_in == anonymous


# --- session timeouts -------------------------------------------------------------------------------------------


def is_signed_in(client):
    response = client.get(reverse("workbench"))
    return response.status_code == 200


def test_a_session_idle_for_longer_than_the_limit_ends(client_for, grid_worker, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(grid_worker)
        assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=29))
        assert is_signed_in(client)
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("workbench"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_session_in_use_ends_after_the_absolute_limit(client_for, grid_worker, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    settings.SESSION_ABSOLUTE_TIMEOUT = 12 * 3600
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(grid_worker)
        used = []
        for _ in range(12 * 3):  # a request every 20 minutes, the last at 11 h 40
            used.append(is_signed_in(client))
            traveller.shift(datetime.timedelta(minutes=20))
        traveller.shift(datetime.timedelta(minutes=1))
        late = is_signed_in(client)

    assert all(used)
    assert not late


def test_the_idle_clock_writes_the_session_at_most_once_a_minute(client_for, grid_worker):
    client = client_for(grid_worker)
    client.get(reverse("workbench"))
    first = client.session["_seen_at"]

    client.get(reverse("workbench"))

    assert client.session["_seen_at"] == first


@pytest.mark.parametrize("signs_in", ["password", "force_login"])
def test_a_deactivated_users_session_ends_at_their_next_request(client, grid_worker, signs_in):
    if signs_in == "password":
        client.post(reverse("login"), {"username": grid_worker.username, "password": "pw-test-2026"})
    else:
        client.force_login(grid_worker)
    assert is_signed_in(client)

    grid_worker.is_active = False
    grid_worker.save(update_fields=["is_active"])
    response = client.get(reverse("workbench"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- /healthz ----------------------------------------------------------------------------------------------------


@pytest.fixture
def two_workers(monkeypatch):
    monkeypatch.setattr(core_views, "check_broker", lambda: {"ok": True})
    monkeypatch.setattr(
        core_views, "worker_status", lambda: {"ok": True, "workers": ["celery@web-01", "reports@web-01"]}
    )


def test_healthz_gives_everyone_the_state_without_host_or_worker_names(client, db, two_workers):
    response = client.get(reverse("healthz"))

    body = response.json()
    assert response.status_code == 200
    assert body["database"] == {"ok": True} and body["broker"] == {"ok": True}
    assert body["worker"] == {"ok": True, "count": 2}
    assert "host" not in body and "web-01" not in response.text


def test_healthz_names_hosts_and_workers_to_staff(client_for, admin_user, two_workers):
    body = client_for(admin_user).get(reverse("healthz")).json()

    assert body["worker"]["workers"] == ["celery@web-01", "reports@web-01"]
    assert body["worker"]["ok"] is True and body["worker"]["count"] == 2
    assert body["host"]


def test_healthz_names_nothing_to_a_signed_in_non_staff_user(client_for, grid_worker, two_workers):
    body = client_for(grid_worker).get(reverse("healthz")).json()

    assert "workers" not in body["worker"] and "host" not in body
