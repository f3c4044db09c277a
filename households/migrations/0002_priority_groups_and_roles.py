from django.db import migrations

from accounts.roles import grant_permissions, model_permissions

PRIORITY_GROUPS = [
    ("living_alone", "独居老人"),
    ("empty_nest", "空巢老人"),
    ("aged_80", "高龄老人(80+)"),
    ("dibao", "低保户"),
    ("extreme_poverty", "特困人员"),
    ("disabled", "残疾人"),
    ("veteran", "退役军人"),
    ("unemployed", "失业人员"),
    ("left_behind_child", "留守儿童"),
]

GRID_MODELS = ["street", "community", "grid", "building", "staffassignment"]
HOUSEHOLD_MODELS = ["originvillage", "prioritygroup", "household", "resident", "partymember", "leadhousehold"]


def grants():
    read_all = model_permissions("grids", GRID_MODELS, ("view",)) + model_permissions(
        "households", HOUSEHOLD_MODELS, ("view",)
    )
    field_work = read_all + [
        "households.add_household",
        "households.change_household",
        "households.add_resident",
        "households.change_resident",
        "households.view_full_phone",
    ]
    return {
        "grid_worker": field_work,
        "cadre": field_work
        + model_permissions("households", ["partymember", "leadhousehold"], ("add", "change"))
        + ["households.reveal_id_number", "households.view_identityreveal"],
        "mediator": ["households.view_household", "households.view_resident"],
        "leader": read_all,
        "admin": model_permissions("grids", GRID_MODELS)
        + model_permissions("households", HOUSEHOLD_MODELS)
        + model_permissions("accounts", ["user"])
        + ["households.reveal_id_number", "households.view_full_phone", "households.view_identityreveal"],
    }


def forwards(apps, schema_editor):
    PriorityGroup = apps.get_model("households", "PriorityGroup")
    for order, (code, name) in enumerate(PRIORITY_GROUPS):
        PriorityGroup.objects.update_or_create(code=code, defaults={"name": name, "order": order})
    grant_permissions(apps, grants())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("grids", "0001_initial"),
        ("households", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
