"""The nightly coverage snapshot (grids/snapshots.py) and its beat entry."""

import django.db.models.deletion
from django.db import migrations, models

from core.beat import BeatEntry, beat_functions

BEAT = [
    BeatEntry(
        "网格覆盖统计（每晚）",
        "grids.tasks.snapshot_coverage",
        "30",
        "2",
        "*",
        "每晚 02:30 统计各网格的覆盖情况，供社区、街道页面汇总",
    ),
]

forwards, backwards = beat_functions(BEAT)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_export_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoverageSnapshot",
            fields=[
                (
                    "grid",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="coverage_snapshot",
                        serialize=False,
                        to="grids.grid",
                        verbose_name="网格",
                    ),
                ),
                ("counts", models.JSONField(default=dict, verbose_name="统计")),
                ("taken_at", models.DateTimeField(verbose_name="统计时间")),
            ],
            options={
                "verbose_name": "网格覆盖统计",
                "verbose_name_plural": "网格覆盖统计",
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
