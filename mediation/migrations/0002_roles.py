"""What each role may do with mediation records (each app grants its own permissions, see accounts.roles).

Content is confidential (人民调解法 art. 15): the view permission opens the pages, and `Dispute.objects.visible_to`
then limits what each person reads to the disputes they mediate or manage. Leaders and admins see counts.
"""

from django.db import migrations

from accounts.roles import grant_permissions, model_permissions

CASE_MODELS = ["dispute", "party", "disputemediator", "disputeevent", "mediationsession", "followup"]


def grants():
    mediating = (
        model_permissions("mediation", CASE_MODELS, ("view",))
        + model_permissions("mediation", ["mediator", "watchitem"], ("view",))
        + [
            "mediation.add_dispute",
            "mediation.change_dispute",
            "mediation.add_party",
            "mediation.change_party",
            "mediation.add_mediationsession",
            "mediation.change_followup",
        ]
    )
    return {
        "grid_worker": ["mediation.add_earlysign"],
        "mediator": mediating,
        "cadre": mediating
        + ["mediation.add_earlysign", "mediation.manage_dispute", "mediation.export_dispute"]
        + model_permissions("mediation", ["mediator", "disputemediator", "watchitem"], ("add", "change")),
        "leader": ["mediation.view_dispute", "mediation.export_dispute"],
        "admin": model_permissions("mediation", ["mediator"])
        + ["mediation.view_dispute", "mediation.export_dispute"],
    }


def forwards(apps, schema_editor):
    grant_permissions(apps, grants())


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0001_initial"),
        ("accounts", "0004_beat_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
