"""`manage.py runjob`: every beat job can be run once in the foreground."""

import pytest
from django.core.management import CommandError, call_command

from visits.models import VisitTask


def test_runjob_list_names_every_beat_job(capsys):
    call_command("runjob", "--list")
    listed = capsys.readouterr().out
    for name in (
        "schedule_visits",
        "daily_digest",
        "escalate_overdue",
        "lead_household_digest",
        "deliver_notifications",
    ):
        assert name in listed


def test_default_beat_entries_and_runjob_jobs_are_the_same_set(db):
    from django_celery_beat.models import PeriodicTask

    from core.management.commands.runjob import registered_jobs

    job_tasks = {task.name for task in registered_jobs().values()}
    # Exactly: a beat entry without a job, or a job that beat never runs, both fail (an empty schedule too).
    assert set(PeriodicTask.objects.values_list("task", flat=True)) == job_tasks


def test_runjob_runs_the_job_once(household, grid_worker, capsys):
    call_command("runjob", "schedule_visits")
    call_command("runjob", "schedule_visits")
    assert VisitTask.objects.filter(household=household, assignee=grid_worker).count() == 1
    assert "schedule_visits: 0" in capsys.readouterr().out


def test_runjob_refuses_an_unknown_job(db):
    with pytest.raises(CommandError, match="runjob --list"):
        call_command("runjob", "no_such_job")
