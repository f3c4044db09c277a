"""The visits app's default beat entries (they used to be made by the project package's own migration, so on
an existing database they are there already and are left as the admin edited them)."""

from django.db import migrations

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry("走访排期（每晚）", "visits.tasks.schedule_visits", "30", "1", "*", "每晚 01:30 为到期居民户生成走访任务"),
    BeatEntry("每日提醒", "visits.tasks.daily_digest", "30", "7", "*", "每天 07:30 向工作人员发送今日及逾期走访提醒"),
    BeatEntry("超期督办", "visits.tasks.escalate_overdue", "0,30", "*", "*", "每 30 分钟将超期事项报上一级负责人"),
    BeatEntry("中心户月报", "visits.tasks.lead_household_digest", "0", "8", "1", "每月 1 日 08:00 向党员中心户发送未走访联系户"),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0003_visit_status"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
