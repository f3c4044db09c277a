"""The default Celery beat schedule (Asia/Shanghai). Admins change it afterwards under 周期任务 in the admin.

Existing entries (matched by name) are left as they are, so re-running never undoes an admin's edit.
"""

from django.db import migrations

TIMEZONE = "Asia/Shanghai"

# name, task, crontab (minute, hour, day_of_month), description
DEFAULT_SCHEDULE = [
    ("走访排期（每晚）", "visits.tasks.schedule_visits", ("30", "1", "*"), "每晚 01:30 为到期居民户生成走访任务"),
    ("每日提醒", "visits.tasks.daily_digest", ("30", "7", "*"), "每天 07:30 向工作人员发送今日及逾期走访提醒"),
    ("超期督办", "visits.tasks.escalate_overdue", ("0,30", "*", "*"), "每 30 分钟将超期任务和诉求报网格长"),
    ("中心户月报", "visits.tasks.lead_household_digest", ("0", "8", "1"), "每月 1 日 08:00 向党员中心户发送未走访联系户"),
    ("补发通知", "accounts.tasks.deliver_notifications", ("*/10", "*", "*"), "每 10 分钟补发未送达的邮件和短信"),
]


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day_of_month), description in DEFAULT_SCHEDULE:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        crontab, _created = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone=TIMEZONE,
        )
        PeriodicTask.objects.create(name=name, task=task, crontab=crontab, description=description)


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[row[0] for row in DEFAULT_SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
