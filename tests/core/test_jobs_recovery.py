"""Jobs after a crash: a job whose worker was killed mid-run runs again within minutes, not an hour; sends made
while the broker was down go out as soon as a worker is connected again, without waiting for the next sweep."""

import os
import runpy
import signal
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace

import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from accounts.models import Notification
from accounts.notifications import Message, create_notifications
from core import broker
from jinjiajiayuan.celery import app as celery_app
from mediation import tasks as mediation_tasks  # noqa: F401 - every app's tasks registered, as in a worker
from reports import tasks as report_tasks  # noqa: F401
from tests.factories import HouseholdFactory
from tests.visits.test_celery_worker import _database_url, _reset_pools, shared_database, wait_for, worker  # noqa: F401
from visits import tasks as visit_tasks
from visits.models import VisitTask

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
PROJECT_TASKS = ("accounts.", "visits.", "heating.", "mediation.", "reports.")
SENDS = {"accounts.tasks.deliver_notification", "accounts.tasks.deliver_sms", "accounts.tasks.deliver_notifications"}


@pytest.fixture(autouse=True)
def fresh_checks():
    cache.clear()
    yield
    cache.clear()


class BrokerDown:
    """Point the sending side at a port nobody listens on, as if Redis had stopped (and back again on exit)."""

    def __enter__(self):
        self.previous = celery_app.conf.get("broker_write_url")
        celery_app.conf.broker_write_url = CLOSED_PORT_BROKER
        _reset_pools()
        cache.clear()

    def __exit__(self, *exc):
        celery_app.conf.broker_write_url = self.previous
        _reset_pools()
        cache.clear()


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def notify_by_mail(user):
    user.email = "grid01@example.cn"
    user.save()
    with transaction.atomic():
        create_notifications(
            kind=Notification.Kind.INFO,
            key="recovery-test",
            messages=[Message(user_id=user.pk, title="停电期间的通知", body="测试", email=user.email)],
        )
    return Notification.objects.get(user=user, key="recovery-test")


# Configuration ----------------------------------------------------------------------------------------------


def test_redis_hands_an_unacknowledged_job_out_again_after_five_minutes_not_an_hour(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT", raising=False)

    config = runpy.run_path(str(settings.BASE_DIR / "jinjiajiayuan" / "settings.py"))

    assert config["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == 300


def test_only_jobs_proven_safe_to_repeat_are_acknowledged_late_and_redelivered():
    tasks = {name: task for name, task in celery_app.tasks.items() if name.startswith(PROJECT_TASKS)}
    late = {name for name, task in tasks.items() if task.acks_late}

    assert late, "the idempotent jobs are acks_late"
    assert all(tasks[name].reject_on_worker_lost for name in late)
    assert late.isdisjoint(SENDS), "a send redelivered after a crash could go out twice"
    assert {"visits.tasks.schedule_visits", "visits.tasks.daily_digest", "reports.tasks.generate_report"} <= late


def test_no_retry_waits_longer_than_the_visibility_timeout():
    """A waiting message older than the timeout would be handed to a second worker before it is due."""
    for name in ("accounts.tasks.deliver_notification", "accounts.tasks.deliver_sms"):
        task = celery_app.tasks[name]
        assert task.retry_backoff_max < 300, name


def test_every_worker_sends_the_catch_up_sweeps_when_it_connects():
    assert "core.broker:CatchUpOnConnect" in celery_app.steps["consumer"]
    assert broker.catch_ups.get("deliveries").task == "accounts.tasks.deliver_notifications"


# Sends queued while the broker was down ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_send_made_while_the_broker_was_down_goes_out_when_a_worker_connects(grid_worker, mailoutbox, eager):
    with BrokerDown():
        celery_app.conf.task_always_eager = False
        notification = notify_by_mail(grid_worker)
        celery_app.conf.task_always_eager = True
    assert notification.email_state == "pending" and mailoutbox == []

    broker.CatchUpOnConnect(SimpleNamespace()).start(SimpleNamespace(app=celery_app))

    notification.refresh_from_db()
    assert notification.email_state == "sent"
    assert [mail.subject for mail in mailoutbox] == ["停电期间的通知"]


@pytest.mark.django_db
def test_a_worker_that_cannot_send_its_catch_up_still_starts(grid_worker, caplog):
    with BrokerDown():
        assert broker.send_catch_ups(celery_app) == []
    assert "Catch-up deliveries not sent" in caplog.text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_what_was_left_pending_as_soon_as_it_starts(request, grid_worker, shared_database):  # noqa: F811
    """No beat runs here: only the worker's catch-up on connecting can send it."""
    with BrokerDown():
        notification = notify_by_mail(grid_worker)
    assert notification.email_state == "pending"

    _queue, mail_dir, log_path = request.getfixturevalue("worker")

    wait_for(lambda: Notification.objects.filter(pk=notification.pk, email_state="sent").exists(), log_path, "the send")
    assert "grid01@example.cn" in next(mail_dir.iterdir()).read_text()


# A worker killed mid-job ------------------------------------------------------------------------------------


def start_worker(queue, database, tmp_path, name, **env):
    log_path = tmp_path / f"{name}.log"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DATABASE_URL": _database_url(database, tmp_path),
        "CELERY_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "jinjiajiayuan", "worker", "--pool=solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO", "-n", f"{name}@%h"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    return process, log_path


def received(log_path, task_name):
    """Whether the worker has taken `task_name` off the queue (it starts it at once: one task at a time)."""
    return any(f"Task {task_name}[" in line and line.endswith("received") for line in log_path.read_text().splitlines())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://") or connection.vendor != "postgresql",
    reason="acknowledgement and redelivery are Redis's (CI runs it on Redis and PostgreSQL)",
)
def test_a_job_whose_worker_was_killed_runs_again_on_another_worker(building, grid_worker, shared_database, tmp_path):  # noqa: F811
    HouseholdFactory(building=building, unit=1, room="101")
    queue = f"recovery-{uuid.uuid4().hex[:8]}"
    config = shared_database.settings_dict
    locker = psycopg2.connect(
        dbname=config["NAME"], user=config["USER"], password=config["PASSWORD"], host=config["HOST"] or "127.0.0.1",
        port=config["PORT"] or 5432,
    )  # fmt: skip
    first = second = None
    try:
        # The job stops at its first query and waits: it is mid-run when its worker is killed.
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE visits_visitpolicy IN ACCESS EXCLUSIVE MODE")
        first, first_log = start_worker(queue, shared_database, tmp_path, "first")
        visit_tasks.schedule_visits.apply_async(queue=queue)
        wait_for(lambda: received(first_log, visit_tasks.schedule_visits.name), first_log, "the job to start")
        time.sleep(1)  # it is running now, held at the lock
        first.send_signal(signal.SIGKILL)  # kill -9
        first.wait(timeout=10)
        locker.rollback()
        assert not VisitTask.objects.exists()

        # Redis hands the unacknowledged message out again once it is older than the visibility timeout (here one
        # second instead of 300, so the test need not wait five minutes).
        time.sleep(1.5)
        second, second_log = start_worker(queue, shared_database, tmp_path, "second", CELERY_VISIBILITY_TIMEOUT="1")

        wait_for(lambda: VisitTask.objects.exists(), second_log, "the job to run again")
        assert set(VisitTask.objects.values_list("assignee", flat=True)) == {grid_worker.pk}
    finally:
        locker.close()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
