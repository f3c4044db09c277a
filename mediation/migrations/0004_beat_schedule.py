"""The mediation app's default beat entry: the sweep that reports red and orange disputes whose on-commit
notice was lost (the deadline digest and escalation run inside visits' own jobs)."""

from django.db import migrations

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry(
        "调解风险纠纷补报", "mediation.tasks.sweep_risk", "*/10", "*", "*", "每 10 分钟补报尚未上报的红色、橙色风险纠纷"
    ),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0003_dispute_token"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
