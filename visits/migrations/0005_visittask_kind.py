"""VisitTask.reason becomes `kind`, a key of the `visits.kinds` registry (no database choices, so a later app
registers its kinds without a migration here); one open task per (household, kind)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0004_beat_schedule"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="visittask", name="visittask_one_open_per_reason"),
        migrations.RenameField(model_name="visittask", old_name="reason", new_name="kind"),
        migrations.AlterField(
            model_name="visittask",
            name="kind",
            field=models.CharField(max_length=40, verbose_name="任务类型"),
        ),
        migrations.AddConstraint(
            model_name="visittask",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "open")),
                fields=("household", "kind"),
                name="visittask_one_open_per_kind",
            ),
        ),
    ]
