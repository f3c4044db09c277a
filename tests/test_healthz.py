"""/healthz and the portal's behaviour when the Celery broker is down."""

import logging
import uuid

import pytest
from django.core.cache import cache
from django.db import OperationalError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.tasks import deliver_notification
from core import broker
from jinjiajiayuan.celery import app as celery_app
from visits.models import Visit
from visits.services import log_visit

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
WARNING = "提醒服务暂时不可用，提醒可能延迟"


def _reset_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def fresh_checks():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def broker_down():
    """Point the Celery app's sending side at a port nobody listens on, as if Redis had stopped.

    (`broker_write_url`, because Celery prefers a CELERY_BROKER_URL environment variable to `broker_url`.)
    """
    previous = celery_app.conf.get("broker_write_url")
    celery_app.conf.broker_write_url = CLOSED_PORT_BROKER
    _reset_pools()
    yield
    celery_app.conf.broker_write_url = previous
    _reset_pools()


@pytest.fixture
def no_workers(monkeypatch):
    """Answer the worker ping instantly (no worker runs during the unit tests)."""
    monkeypatch.setattr(celery_app.control, "inspect", lambda timeout: type("I", (), {"ping": lambda self: None})())


def test_healthz_reports_database_broker_worker_and_beat(client, db, no_workers):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True}
    assert body["broker"] == {"ok": True}
    assert body["worker"] == {"ok": False, "count": 0}
    assert body["beat"] == {"last_run_at": None}


def test_healthz_reports_the_last_beat_run(client, db, no_workers):
    from django_celery_beat.models import PeriodicTask

    ran_at = timezone.now().replace(microsecond=0)
    PeriodicTask.objects.filter(task="visits.tasks.daily_digest").update(last_run_at=ran_at)

    body = client.get(reverse("healthz")).json()

    assert body["beat"]["last_run_at"] == ran_at.isoformat()


def test_default_beat_schedule_is_created_by_the_migration(db):
    from django_celery_beat.models import PeriodicTask

    schedule = {task.task: task.crontab for task in PeriodicTask.objects.select_related("crontab")}
    assert (schedule["visits.tasks.schedule_visits"].hour, schedule["visits.tasks.schedule_visits"].minute) == (
        "1",
        "30",
    )
    assert (schedule["visits.tasks.daily_digest"].hour, schedule["visits.tasks.daily_digest"].minute) == ("7", "30")
    assert schedule["visits.tasks.escalate_overdue"].minute == "0,30"
    assert schedule["visits.tasks.lead_household_digest"].day_of_month == "1"
    assert {str(crontab.timezone) for crontab in schedule.values()} == {"Asia/Shanghai"}


def test_healthz_is_200_with_the_broker_down(client, db, broker_down):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True}
    assert body["broker"]["ok"] is False
    assert body["worker"]["ok"] is False


def test_healthz_is_503_when_the_database_does_not_answer(client, db, monkeypatch, no_workers):
    from core import views

    class DeadConnection:
        def cursor(self):
            raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(views, "connection", DeadConnection())

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False


def test_pages_warn_that_reminders_are_delayed_when_the_broker_is_down(client_for, grid_worker, broker_down):
    response = client_for(grid_worker).get(reverse("workbench"))
    assert response.status_code == 200
    assert WARNING in response.text


def test_pages_do_not_warn_when_the_broker_answers(client_for, grid_worker):
    response = client_for(grid_worker).get(reverse("workbench"))
    assert WARNING not in response.text


def test_saving_a_visit_still_works_when_the_broker_is_down(
    household, grid_worker, broker_down, caplog, django_capture_on_commit_callbacks
):
    notification = Notification.objects.create(user=grid_worker, key="x", title="提醒", email_state="pending")
    with (
        caplog.at_level(logging.WARNING, logger="core.broker"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        visit, created = log_visit(household=household, by=grid_worker, outcome=Visit.Outcome.MET)
        broker.enqueue(deliver_notification, notification.pk)

    assert created and Visit.objects.filter(pk=visit.pk).exists()
    assert len(callbacks) == 1
    assert "Broker down" in caplog.text
    notification.refresh_from_db()
    assert notification.email_state == "pending"  # left for the deliver_notifications sweep


def test_broker_check_is_cached_between_pages(client_for, grid_worker, monkeypatch):
    calls = []
    real_check = broker.check_broker
    monkeypatch.setattr(broker, "check_broker", lambda: calls.append(1) or real_check())
    client = client_for(grid_worker)
    client.get(reverse("workbench"))
    client.get(reverse("notification_list"))
    assert len(calls) == 1


def test_logging_a_visit_through_the_page_works_and_warns_when_the_broker_is_down(
    client_for, household, grid_worker, broker_down
):
    response = client_for(grid_worker).post(
        f"{reverse('visit_create')}?household={household.pk}",
        {
            "token": str(uuid.uuid4()),
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "outcome": Visit.Outcome.MET,
            "purposes": [Visit.Purpose.ROUTINE],
            "req-TOTAL_FORMS": "0",
            "req-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert Visit.objects.filter(household=household).count() == 1
    assert "走访记录已保存" in response.text and WARNING in response.text
