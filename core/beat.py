"""Default Celery beat entries, created by each app's own data migration (django-celery-beat's database
schedule, Asia/Shanghai). Admins change them afterwards under 周期任务 in the admin: an existing entry (matched
by name) is left as it is, so re-running never undoes an admin's edit.

    BEAT = [BeatEntry("走访排期（每晚）", "visits.tasks.schedule_visits", minute="30", hour="1", description=...)]

    forwards, backwards = beat_functions(BEAT)
    operations = [migrations.RunPython(forwards, backwards)]

and registers `forwards` with `core.refdata` so a flushed test database gets the entries back.
"""

from dataclasses import dataclass

TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class BeatEntry:
    name: str
    task: str
    minute: str = "0"
    hour: str = "*"
    day_of_month: str = "*"
    description: str = ""
    queue: str | None = None


def ensure_beat_entries(apps, entries):
    """Create each entry that does not exist yet (by name), with its crontab."""
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for entry in entries:
        if PeriodicTask.objects.filter(name=entry.name).exists():
            continue
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=entry.minute,
            hour=entry.hour,
            day_of_month=entry.day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone=TIMEZONE,
        )
        PeriodicTask.objects.create(
            name=entry.name, task=entry.task, crontab=crontab, description=entry.description, queue=entry.queue
        )


def remove_beat_entries(apps, entries):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[entry.name for entry in entries]).delete()


def beat_functions(entries):
    """(forwards, backwards) data-migration functions that create and remove `entries`."""

    def forwards(apps, schema_editor):
        ensure_beat_entries(apps, entries)

    def backwards(apps, schema_editor):
        remove_beat_entries(apps, entries)

    return forwards, backwards
