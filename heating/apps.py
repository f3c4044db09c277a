from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HeatingConfig(AppConfig):
    """Heating plugs into the lower apps' registries from here; it edits none of their files."""

    name = "heating"
    verbose_name = _("供暖")

    def ready(self):
        from core import refdata
        from visits.kinds import TaskKind, register_kind
        from visits.purposes import Purpose

        from . import kinds

        refdata.register("heating.migrations.0002_roles.forwards")
        register_kind(TaskKind(kinds.RECHECK, _("供暖复查"), purposes=(Purpose.HEATING.value,)))
        register_kind(TaskKind(kinds.SEASON_CHECK, _("供暖季前检查"), purposes=(Purpose.HEATING.value,)))
