"""Default visit policies as practice has them (../shared/REFERENCE.md, 入户走访): ordinary households twice a
year; households in hardship (低保户, 特困人员), solitary and empty-nest elderly, migrants and community-correction
subjects monthly.

Editable defaults: a default row is moved only while it still holds the figure 0002 gave it (an admin's change
is kept), and the priority groups practice names that the list lacks (流动人口, 社区矫正对象) are added with a
monthly policy. Safe to run again (registered in `core.refdata`).
"""

from django.db import migrations

# (priority-group code or None for ordinary households, 0002's interval, the interval practice asks for)
MOVED = [
    (None, 180, 182),
    ("empty_nest", 60, 30),
]
# Groups practice visits monthly that 0002's list (households.0002) does not have: (code, name, order).
ADDED_GROUPS = [
    ("migrant", "流动人口", 9),
    ("community_correction", "社区矫正对象", 10),
]
MONTHLY_DAYS = 30
REVISIT_DAYS = 3


def forwards(apps, schema_editor):
    PriorityGroup = apps.get_model("households", "PriorityGroup")
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    for code, old_days, new_days in MOVED:
        policies = VisitPolicy.objects.filter(interval_days=old_days)
        policies = (
            policies.filter(priority_group__isnull=True) if code is None else policies.filter(priority_group__code=code)
        )
        policies.update(interval_days=new_days)
    for code, name, order in ADDED_GROUPS:
        group = (
            PriorityGroup.objects.filter(code=code).first()
            or PriorityGroup.objects.filter(name=name).first()
            or PriorityGroup.objects.create(code=code, name=name, order=order)
        )
        if not VisitPolicy.objects.filter(priority_group=group).exists():
            VisitPolicy.objects.create(priority_group=group, interval_days=MONTHLY_DAYS, revisit_days=REVISIT_DAYS)


def backwards(apps, schema_editor):
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    for code, old_days, new_days in MOVED:
        policies = VisitPolicy.objects.filter(interval_days=new_days)
        policies = (
            policies.filter(priority_group__isnull=True) if code is None else policies.filter(priority_group__code=code)
        )
        policies.update(interval_days=old_days)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0002_priority_groups_and_roles"),
        ("visits", "0007_visit_problem_measures_feedback"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
