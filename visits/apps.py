from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访与诉求")

    def ready(self):
        from accounts import workbench
        from core import navigation, refdata
        from core.navigation import NavEntry
        from grids.coverage import register_measure
        from households import actions, timeline
        from households.actions import HouseholdAction

        from . import workbench as sections
        from .access import can_write
        from .coverage import VISITED
        from .timeline import visits_and_requests

        refdata.register("visits.migrations.0002_default_policies_and_roles.forwards")
        refdata.register("visits.migrations.0004_beat_schedule.forwards")
        register_measure(VISITED)
        timeline.register(visits_and_requests)
        workbench.register(sections.my_work)
        workbench.register(sections.grid_visits)
        navigation.register(NavEntry(key="visit_tasks", label=_("走访任务"), url_name="visittask_list", order=30))
        navigation.register(NavEntry(key="requests", label=_("民情诉求"), url_name="request_list", order=40))
        actions.register(
            HouseholdAction(
                key="log_visit",
                label=_("记录走访"),
                url_name="visit_create",
                allowed=lambda user, household: can_write(user, "visits.add_visit"),
                icon="door-open",
                primary=True,
                order=10,
            )
        )
        actions.register(
            HouseholdAction(
                key="register_request",
                label=_("登记诉求"),
                url_name="request_create",
                allowed=lambda user, household: can_write(user, "visits.add_residentrequest"),
                order=20,
            )
        )
