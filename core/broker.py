"""Talking to the Celery broker without letting an outage break a page.

`enqueue(task, *args)` sends a task after the current transaction commits and only logs when the broker is
unreachable: the data is already saved, and every job is a sweep over due dates kept in the database, so the
next beat run catches up on anything lost. `broker_status()` is a cheap, cached connection check used by the
page warning and by /healthz.

What was left unsent while the broker was down goes out as soon as it is back, not at the next beat: an app
registers the sweep that catches up (`catch_ups.register(CatchUp(...))`), and every worker sends each registered
sweep whenever it connects to the broker, at start and again after it lost the connection (`CatchUpOnConnect`, a
step of the worker's consumer, added in jinjiajiayuan/celery.py).
"""

import functools
import logging
from dataclasses import dataclass, field

from celery import bootsteps
from celery import current_app as app
from django.core.cache import cache
from django.db import transaction

from .registry import Registry

logger = logging.getLogger(__name__)

BROKER_CACHE_KEY = "portal:broker-ok"
WORKER_CACHE_KEY = "portal:worker-status"
CHECK_CACHE_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 1


def task_named(name):
    """The registered Celery task called `name` ("app.tasks.function"), for a services module whose own tasks
    module imports it: the services name the task instead of importing `tasks` back."""
    return app.tasks[name]


def enqueue(task, *args, **kwargs):
    """Send `task` with these (id) arguments once the current transaction commits; never raises.

    Like `task.delay_on_commit`, but a broker that is down is logged and remembered (so the page shows its
    warning) instead of turning a saved visit into a server error.
    """
    transaction.on_commit(functools.partial(_send, task, args, kwargs))


def _send(task, args, kwargs):
    if not task.app.conf.task_always_eager and not broker_ok():
        logger.warning("Broker down: %s%r not sent; the next scheduled sweep will catch up.", task.name, args)
        return
    try:
        task.apply_async(args, kwargs, retry=False)
    except Exception:  # after commit, any broker failure must be logged, never break the request
        cache.set(BROKER_CACHE_KEY, False, CHECK_CACHE_SECONDS)
        logger.exception("Broker down: %s%r not sent; the next scheduled sweep will catch up.", task.name, args)


def check_broker():
    """Connect to the broker once with a short timeout: {"ok": True} or {"ok": False, "error": ...}."""
    try:
        with app.connection_for_write(connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=CONNECT_TIMEOUT_SECONDS
            )
    except Exception as exc:  # noqa: BLE001 - any failure means "down" to the page and the prober
        cache.set(BROKER_CACHE_KEY, False, CHECK_CACHE_SECONDS)
        return {"ok": False, "error": exc.__class__.__name__}
    cache.set(BROKER_CACHE_KEY, True, CHECK_CACHE_SECONDS)
    return {"ok": True}


def broker_ok():
    """Whether the broker answered its last check (re-checked at most every 30 seconds per process)."""
    ok = cache.get(BROKER_CACHE_KEY)
    if ok is None:
        ok = check_broker()["ok"]
    return ok


def worker_status():
    """Ping the Celery workers (short timeout, cached 30 s): {"ok": bool, "workers": [names]}."""
    status = cache.get(WORKER_CACHE_KEY)
    if status is None:
        try:
            replies = app.control.inspect(timeout=CONNECT_TIMEOUT_SECONDS).ping() or {}
            status = {"ok": bool(replies), "workers": sorted(replies)}
        except Exception as exc:  # noqa: BLE001 - a failed ping is reported, not raised
            status = {"ok": False, "workers": [], "error": exc.__class__.__name__}
        cache.set(WORKER_CACHE_KEY, status, CHECK_CACHE_SECONDS)
    return status


# Catching up when the broker is back -------------------------------------------------------------------------

catch_ups = Registry("catch-up sweeps")


@dataclass(frozen=True)
class CatchUp:
    """A safe-to-repeat sweep (`task`, a registered task name, with `kwargs`) sent whenever a worker connects."""

    key: str
    task: str
    kwargs: dict = field(default_factory=dict)


def send_catch_ups(celery_app=None):
    """Send every registered catch-up sweep; a failure is logged, never raised. Returns the keys sent."""
    celery_app = celery_app or app
    sent = []
    for catch_up in catch_ups:
        try:
            celery_app.tasks[catch_up.task].apply_async(kwargs=catch_up.kwargs, retry=False)
        except Exception:  # a worker that cannot send yet still starts; the beat sweep remains
            logger.exception("Catch-up %s not sent; the next scheduled sweep will catch up.", catch_up.key)
            continue
        sent.append(catch_up.key)
    return sent


class CatchUpOnConnect(bootsteps.StartStopStep):
    """A step of the worker's consumer: started each time the consumer connects to the broker (at start and after
    every reconnection), it sends the registered catch-up sweeps."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, consumer):
        sent = send_catch_ups(consumer.app)
        if sent:
            logger.info("Connected to the broker: catch-up sweeps sent: %s", ", ".join(sent))
