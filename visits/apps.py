from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访与诉求")

    def ready(self):
        from django.db.models import F

        from accounts import workbench
        from accounts.access import can_write
        from core import navigation, refdata
        from core.navigation import NavEntry
        from grids import snapshots
        from grids.coverage import register_measure
        from households import actions, listing, timeline
        from households.actions import HouseholdAction
        from households.listing import ListingAnnotation

        from . import form_sections, overview, reminders, request_actions
        from . import workbench as sections
        from .coverage import VISITED
        from .form_sections import VisitFormSection
        from .forms import RaisedRequestFormSet
        from .models import ResidentRequest
        from .report_sections import register as register_report_sections
        from .request_actions import RequestAction
        from .services import save_raised_requests
        from .timeline import visits_and_requests

        refdata.register("visits.migrations.0002_default_policies_and_roles.forwards")
        refdata.register("visits.migrations.0004_beat_schedule.forwards")
        refdata.register("visits.migrations.0008_practice_visit_policies.forwards")
        register_measure(VISITED)
        snapshots.register(snapshots.NightlyFigures(key="visited_months", counts=overview.visited_month_counts))
        register_report_sections()
        timeline.register(
            visits_and_requests, nouns=(pgettext_lazy("timeline", "走访"), pgettext_lazy("timeline", "诉求"))
        )
        listing.register(
            ListingAnnotation(
                key="last_visited_at",
                label=_("最近走访"),
                expression=lambda: F("visit_status__last_visited_at"),
                empty=_("暂无"),
                order=10,
            )
        )
        workbench.register(overview.overview)
        workbench.register(sections.my_work)
        reminders.digest_sources.register(reminders.VISIT_TASK_DIGEST)
        reminders.escalation_sources.register(reminders.VISIT_TASKS)
        reminders.escalation_sources.register(reminders.RESIDENT_REQUESTS)
        form_sections.register(
            VisitFormSection(
                key="raised_requests",
                prefix="req",
                form_class=RaisedRequestFormSet,
                template="visits/_raised_requests.html",
                save=save_raised_requests,
                order=10,
            )
        )
        request_actions.register(
            RequestAction(
                key="schedule_check",
                label=_("安排核查走访"),
                url_name="request_schedule_check",
                states=(ResidentRequest.State.VERIFYING,),
                permission="visits.add_visittask",
                icon="clipboard-check",
            )
        )
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
