from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访与诉求")

    def ready(self):
        from accounts import workbench
        from core import refdata
        from grids.coverage import register_measure
        from households import timeline

        from . import workbench as sections
        from .coverage import VISITED
        from .timeline import visits_and_requests

        refdata.register("visits.migrations.0002_default_policies_and_roles.forwards")
        refdata.register("visits.migrations.0004_beat_schedule.forwards")
        register_measure(VISITED)
        timeline.register(visits_and_requests)
        workbench.register(sections.my_work)
        workbench.register(sections.grid_visits)
