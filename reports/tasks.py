"""Celery tasks of the reports app, on their own queue ("reports", `CELERY_TASK_ROUTES`) so a long report never
holds up a reminder: each loads by id and calls one function of `reports.services`.

All are safe to repeat (see `reports.services`), so they are `acks_late` with `reject_on_worker_lost`: a worker
killed mid-run leaves the message to be redelivered, and the re-run finishes the report. `JOBS` names them for
`manage.py runjob`.
"""

from celery import shared_task

from . import services

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def generate_report(report_id):
    """Build and store one monthly report (workbook and printed page), replacing the previous files."""
    try:
        services.generate_report(report_id)
    except Exception as error:
        services.record_failure(report_id, error)
        raise
    return report_id


@shared_task(**IDEMPOTENT)
def monthly_reports():
    """On the 1st: last month's report for the street and every community, each queued once."""
    return services.monthly_reports()


@shared_task(**IDEMPOTENT)
def refresh_figures():
    """Nightly: last month's report figures counted again for every node (see `reports.figures`)."""
    return services.refresh_figures()


JOBS = {"monthly_reports": monthly_reports, "refresh_figures": refresh_figures}
