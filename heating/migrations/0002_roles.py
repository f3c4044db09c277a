"""What each role may do with heating records (each app grants its own permissions, see accounts.roles)."""

from django.db import migrations

from accounts.roles import grant_permissions, model_permissions

HEATING_MODELS = [
    "heatingseason",
    "heatingcompany",
    "buildingsupply",
    "heatinginspection",
    "temperaturereading",
    "heatingticket",
    "ticketevent",
    "loggerreading",
]


def grants():
    read = model_permissions("heating", HEATING_MODELS, ("view",))
    field_work = read + ["heating.add_heatinginspection", "heating.add_temperaturereading"]
    return {
        "grid_worker": field_work,
        "cadre": field_work
        + ["heating.change_heatingticket", "heating.add_ticketevent", "heating.export_heatingticket"],
        "leader": read + ["heating.export_heatingticket"],
        "admin": model_permissions("heating", HEATING_MODELS) + ["heating.export_heatingticket"],
    }


def forwards(apps, schema_editor):
    grant_permissions(apps, grants())


class Migration(migrations.Migration):
    dependencies = [
        ("heating", "0001_initial"),
        ("accounts", "0004_beat_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
