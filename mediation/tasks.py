"""Celery tasks of the mediation app: each calls one function in `mediation.reminders` and nothing else.

All are safe to repeat (a dispute is stamped `risk_notified_at` under a row lock and its notification keyed
"dispute-risk:<id>"; a recusal's notification is keyed "dispute-recusal:<id>"), so they are `acks_late` with `reject_on_worker_lost`. The digest lines and the deadline
escalation are sources of visits' own daily digest and escalation jobs. `JOBS` names the beat job for
`manage.py runjob`.
"""

from celery import shared_task

from . import reminders

IDEMPOTENT = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(**IDEMPOTENT)
def notify_risk(dispute_id):
    """On registration of a red or orange dispute: tell the committee's managers, once."""
    return reminders.notify_risk(dispute_id)


@shared_task(**IDEMPOTENT)
def notify_recusal(assignment_id):
    """On a recusal with no replacement named: ask the committee's managers to assign another mediator, once."""
    return reminders.notify_recusal(assignment_id)


@shared_task(**IDEMPOTENT)
def sweep_risk():
    """Every 10 minutes: report any red or orange dispute whose on-commit notice was lost, once."""
    return reminders.sweep_risk()


JOBS = {"sweep_risk": sweep_risk}
