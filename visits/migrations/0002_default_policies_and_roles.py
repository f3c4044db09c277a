from django.db import migrations

from accounts.roles import grant_permissions, model_permissions

# (priority-group code or None for ordinary households, interval days, re-visit days after "not at home")
DEFAULT_POLICIES = [
    (None, 180, 7),
    ("living_alone", 30, 3),
    ("dibao", 30, 3),
    ("aged_80", 30, 3),
    ("extreme_poverty", 30, 3),
    ("disabled", 60, 3),
    ("empty_nest", 60, 3),
    ("left_behind_child", 60, 3),
    ("veteran", 90, 7),
    ("unemployed", 90, 7),
]

VISIT_MODELS = ["visit", "visittask", "visitpolicy", "residentrequest", "requestevent"]


def grants():
    read = model_permissions("visits", VISIT_MODELS, ("view",))
    field_work = read + [
        "visits.add_visit",
        "visits.change_visittask",
        "visits.add_residentrequest",
        "visits.change_residentrequest",
    ]
    return {
        "grid_worker": field_work,
        "cadre": field_work + ["visits.add_visittask", "visits.change_visit"],
        "leader": read,
        "admin": model_permissions("visits", VISIT_MODELS),
    }


def forwards(apps, schema_editor):
    PriorityGroup = apps.get_model("households", "PriorityGroup")
    VisitPolicy = apps.get_model("visits", "VisitPolicy")
    groups = {group.code: group for group in PriorityGroup.objects.all()}
    for code, interval_days, revisit_days in DEFAULT_POLICIES:
        if code is not None and code not in groups:
            continue
        group = groups.get(code)
        if not VisitPolicy.objects.filter(priority_group=group).exists():
            VisitPolicy.objects.create(priority_group=group, interval_days=interval_days, revisit_days=revisit_days)
    grant_permissions(apps, grants())


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0002_priority_groups_and_roles"),
        ("visits", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
