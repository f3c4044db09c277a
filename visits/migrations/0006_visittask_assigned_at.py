"""VisitTask.assigned_at: when the task was handed to its assignee, so escalation counts the assignee's lateness
from then. Existing tasks are taken to have been assigned when they were created."""

import django.utils.timezone
from django.db import migrations, models


def fill_from_created_at(apps, schema_editor):
    VisitTask = apps.get_model("visits", "VisitTask")
    VisitTask.objects.update(assigned_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0005_visittask_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="visittask",
            name="assigned_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="分派时间"),
        ),
        migrations.RunPython(fill_from_created_at, migrations.RunPython.noop, elidable=True),
    ]
