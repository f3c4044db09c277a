"""Role groups and the Django permissions each role carries.

Each app grants its own permissions from a data migration (see `grant_permissions`), so a later app
extends the roles without editing this one.
"""

from django.contrib.auth.management import create_permissions

# Group names are data (created by migrations), so they stay Chinese whatever the UI language.
ROLE_GROUPS = {
    "grid_worker": "网格员",
    "cadre": "社区干部",
    "mediator": "调解员",
    "leader": "街道领导",
    "admin": "管理员",
}


def grant_permissions(apps, grants):
    """Create the role groups if needed and give each the listed "app_label.codename" permissions.

    For use inside a data migration: `grants` maps a role value to permission names.
    """
    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:
            # A migration's historical app registry has no models modules, which create_permissions skips.
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in grants.items():
        group, _created = Group.objects.get_or_create(name=ROLE_GROUPS[role])
        for name in names:
            app_label, codename = name.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def model_permissions(app_label, models, actions=("view", "add", "change", "delete")):
    return [f"{app_label}.{action}_{model}" for model in models for action in actions]
