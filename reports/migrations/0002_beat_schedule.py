"""The reports app's default beat entry: last month's reports on the 1st, on the reports queue."""

from django.db import migrations

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry(
        "月度报表",
        "reports.tasks.monthly_reports",
        "0",
        "3",
        "1",
        "每月 1 日 03:00 为街道和各社区生成上月报表（Excel 工作簿和打印页）",
        queue="reports",
    ),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
