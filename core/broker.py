"""Talking to the Celery broker without letting an outage break a page.

`enqueue(task, *args)` sends a task after the current transaction commits and only logs when the broker is
unreachable: the data is already saved, and every job is a sweep over due dates kept in the database, so the
next beat run catches up on anything lost. `broker_status()` is a cheap, cached connection check used by the
page warning and by /healthz.
"""

import functools
import logging

from celery import current_app as app
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_CACHE_KEY = "portal:broker-ok"
WORKER_CACHE_KEY = "portal:worker-status"
CHECK_CACHE_SECONDS = 30
CONNECT_TIMEOUT_SECONDS = 1


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
