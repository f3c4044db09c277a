"""Integration: a real Celery worker process schedules visits, and after a visit is logged sends the digest.

The worker runs `celery -A jinjiajiayuan worker --pool=solo` against the broker in CELERY_BROKER_URL (Redis in
CI) or, when it is unset, the file-system broker in a temporary folder, on a queue of its own so no other
worker on the same broker takes its tasks. It must see the test's data, so it uses the test database: on
PostgreSQL the committed `transactional_db` test database; on SQLite (in memory by default) a file copy of the
migrated test database that this test switches its own connection to while it runs.
"""

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from accounts.models import Notification
from core import broker
from jinjiajiayuan.celery import app as celery_app
from tests.factories import HouseholdFactory
from visits import tasks
from visits.models import Visit, VisitTask
from visits.services import log_visit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 20


def _database_url(connection, tmp_path):
    """A DATABASE_URL for the worker that reaches the database this test writes to."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    auth = quote(config["USER"] or "")
    if config["PASSWORD"]:
        auth += ":" + quote(config["PASSWORD"])
    return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """On SQLite, copy the in-memory test database to a file and point the default connection at it."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield connection
        return
    connection.ensure_connection()
    path = tmp_path / "integration.sqlite3"
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory


def _reset_pools():
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(shared_database, tmp_path):
    """A Celery worker subprocess on a queue of its own; yields (queue, mail folder, log file)."""
    queue = f"integration-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DATABASE_URL": _database_url(shared_database, tmp_path),
        "CELERY_QUEUE": queue,
        "EMAIL_URL": f"filemail:///{mail_dir}",  # django-environ drops one leading slash
        "CELERY_TASK_ALWAYS_EAGER": "0",
    }
    previous_options = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("filesystem://"):
        broker_dir = tmp_path / "broker"
        env["CELERY_BROKER_DIR"] = str(broker_dir)
        broker_dir.mkdir()
        celery_app.conf.broker_transport_options = {
            "data_folder_in": str(broker_dir),
            "data_folder_out": str(broker_dir),
            "control_folder": str(broker_dir),
        }
        _reset_pools()
    command = [sys.executable, "-m", "celery", "-A", "jinjiajiayuan", "worker", "--pool=solo", "-Q", queue]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield queue, mail_dir, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        celery_app.conf.broker_transport_options = previous_options
        _reset_pools()


def wait_for(condition, log_path, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{Path(log_path).read_text()[-4000:]}")


def test_worker_schedules_visits_and_sends_the_digest(building, grid_worker, worker):
    queue, mail_dir, log_path = worker
    grid_worker.email = "grid01@example.cn"
    grid_worker.save()
    visited_today = HouseholdFactory(building=building, unit=1, room="101")
    still_due = HouseholdFactory(building=building, unit=1, room="102")

    tasks.schedule_visits.apply_async(queue=queue)
    wait_for(lambda: VisitTask.objects.open().count() == 2, log_path, "the scheduled tasks")
    assert set(VisitTask.objects.values_list("assignee", flat=True)) == {grid_worker.pk}

    log_visit(household=visited_today, by=grid_worker, outcome=Visit.Outcome.MET)
    assert list(VisitTask.objects.open().values_list("household", flat=True)) == [still_due.pk]

    tasks.daily_digest.apply_async(queue=queue)
    wait_for(lambda: Notification.objects.filter(user=grid_worker).exists(), log_path, "the digest")
    digest = Notification.objects.get(user=grid_worker)
    assert digest.key == f"digest:{timezone.localdate().isoformat()}"
    assert "今日到期 1 户" in digest.title
    assert f"{building.number}-1-102" in digest.body and f"{building.number}-1-101" not in digest.body

    # The worker enqueued the e-mail delivery on commit and delivered it itself.
    wait_for(lambda: Notification.objects.filter(pk=digest.pk, email_state="sent").exists(), log_path, "the e-mail")
    cache.delete(broker.WORKER_CACHE_KEY)
    assert broker.worker_status()["ok"] is True  # what /healthz reports as "worker"

    mails = list(mail_dir.iterdir())
    assert len(mails) == 1 and "grid01@example.cn" in mails[0].read_text()
