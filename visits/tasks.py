"""Celery tasks of the visits app: each calls one job in `visits.scheduling` or `visits.reminders` and nothing else.

The four periodic jobs are proven safe to repeat (see those modules' docstrings), so they are `acks_late` with
`reject_on_worker_lost`: a worker that dies mid-run leaves the message to be redelivered and the job finishes
the work. Their external sends happen in separate `accounts.tasks` deliveries, which retry with backoff.
`JOBS` names them for `manage.py runjob`.
"""

from celery import shared_task

from . import reminders, scheduling

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def schedule_visits():
    """Nightly: one open visit task for each household whose visit falls due (see `scheduling.schedule_visits`)."""
    return scheduling.schedule_visits()


@shared_task(**IDEMPOTENT)
def daily_digest():
    """Each morning: one notification per staff member with today's and overdue tasks."""
    return reminders.daily_digest()


@shared_task(**IDEMPOTENT)
def escalate_overdue():
    """Every 30 minutes: flag overdue work (every registered source) to the people who answer for it, once."""
    return reminders.escalate_overdue()


@shared_task(**IDEMPOTENT)
def lead_household_digest():
    """Monthly: text each lead household the linked households not visited for too long."""
    return reminders.lead_household_digest()


JOBS = {
    "schedule_visits": schedule_visits,
    "daily_digest": daily_digest,
    "escalate_overdue": escalate_overdue,
    "lead_household_digest": lead_household_digest,
}
