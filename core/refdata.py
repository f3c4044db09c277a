"""Reference data: the rows each app's data migrations create (role permissions, priority groups, visit
policies, beat entries) and that must exist wherever the app runs.

Every loader is a data-migration function `loader(apps, schema_editor)` that is safe to run again. The app that
owns it registers its dotted path from `AppConfig.ready()`:

    refdata.register("visits.migrations.0002_default_policies_and_roles.forwards")

so whatever empties the tables (a transactional test's flush) can put every app's rows back with
`load_all(apps)`, without a list kept by hand.
"""

from django.utils.module_loading import import_string

from .registry import Registry

registry = Registry("reference data")


def register(dotted_path):
    return registry.register(dotted_path)


def load_all(apps, schema_editor=None):
    """Run every registered loader, in registration order (apps register in dependency order)."""
    for dotted_path in registry:
        import_string(dotted_path)(apps, schema_editor)
