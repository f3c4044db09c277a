from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    """Mediation plugs into the lower apps' registries from here; it edits none of their files."""

    name = "mediation"
    verbose_name = _("和为贵调解")

    def ready(self):
        from core import refdata

        refdata.register("mediation.migrations.0002_roles.forwards")
        self.register_pages()
        self.register_follow_ups()
        self.register_figures()

    def register_pages(self):
        """The household page's button and timeline line, the 邻里矛盾 request's "turn into a dispute" action."""

    def register_follow_ups(self):
        """Follow-ups on the task list, deadline reminders and escalation, the visit form's early-sign section."""

    def register_figures(self):
        """The 调解 menu entry, the workbench card, the monthly report section."""
