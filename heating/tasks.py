"""Celery tasks of the heating app. `rebuild_heating_figures` replaces every grid's stored season figures, so it is
safe to repeat and `acks_late`. `JOBS` names it for `manage.py runjob`."""

from celery import shared_task

from . import grid_figures


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rebuild_heating_figures():
    """Nightly: every grid's heating figures for every season, recounted (see `heating.grid_figures`)."""
    return grid_figures.rebuild()


JOBS = {"rebuild_heating_figures": rebuild_heating_figures}
