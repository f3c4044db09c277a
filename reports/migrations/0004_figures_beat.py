"""The nightly beat entry that counts last month's report figures again (`reports.figures`), before the monthly
reports of the 1st are generated from them."""

from django.db import migrations

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry(
        "月报数字（每晚）",
        "reports.tasks.refresh_figures",
        "30",
        "2",
        "*",
        "每晚 02:30 重算上月各街道、社区、网格的月报数字（补录的上月记录次日计入）",
        queue="reports",
    ),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_monthfigures"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
