"""Celery tasks of the grids app. `snapshot_coverage` replaces the whole snapshot each run, so it is safe to repeat
and `acks_late`. `JOBS` names it for `manage.py runjob`."""

from celery import shared_task

from . import snapshots


@shared_task(acks_late=True, reject_on_worker_lost=True)
def snapshot_coverage():
    """Nightly: every grid's coverage counts (see `grids.snapshots`)."""
    return snapshots.take_snapshot()


JOBS = {"snapshot_coverage": snapshot_coverage}
