from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访与诉求")

    def ready(self):
        from accounts import workbench
        from grids.coverage import register_measure
        from households import timeline

        from . import workbench as sections
        from .coverage import VISITED
        from .timeline import visits_and_requests

        register_measure(VISITED)
        timeline.register(visits_and_requests)
        workbench.register(sections.my_work)
        workbench.register(sections.grid_visits)
