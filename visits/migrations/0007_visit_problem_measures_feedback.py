"""A visit is written as 问题 → 处理措施 → 反馈结果 with how the problem was handled; the old free-text
`findings` becomes the 问题 (on the visits and in their history)."""

from django.db import migrations, models

TEXT_FIELDS = [
    ("problem", "问题", "走访中了解到的情况和发现的问题"),
    ("measures", "处理措施", ""),
    ("feedback", "反馈结果", ""),
]
HANDLING = [("on_the_spot", "当场解决"), ("taken_back", "带回社区"), ("reported", "立即上报")]


def findings_to_problem(apps, schema_editor):
    for model in ("Visit", "HistoricalVisit"):
        apps.get_model("visits", model).objects.exclude(findings="").update(problem=models.F("findings"))


def problem_to_findings(apps, schema_editor):
    for model in ("Visit", "HistoricalVisit"):
        apps.get_model("visits", model).objects.exclude(problem="").update(findings=models.F("problem"))


def _fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name=name,
            field=models.TextField(blank=True, verbose_name=label, help_text=help_text),
        )
        for name, label, help_text in TEXT_FIELDS
    ] + [
        migrations.AddField(
            model_name=model_name,
            name="handling",
            field=models.CharField(blank=True, choices=HANDLING, max_length=12, verbose_name="处理方式"),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("visits", "0006_visittask_assigned_at"),
    ]

    operations = [
        *_fields("visit"),
        *_fields("historicalvisit"),
        migrations.RunPython(findings_to_problem, problem_to_findings),
        migrations.RemoveField(model_name="visit", name="findings"),
        migrations.RemoveField(model_name="historicalvisit", name="findings"),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=models.Q(("handling", ""), models.Q(("problem", ""), _negated=True), _connector="OR"),
                name="visit_handling_needs_problem",
            ),
        ),
    ]
