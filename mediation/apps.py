from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    """Mediation plugs into the lower apps' registries from here; it edits none of their files."""

    name = "mediation"
    verbose_name = _("和为贵调解")

    def ready(self):
        from core import refdata

        refdata.register("mediation.migrations.0002_roles.forwards")
