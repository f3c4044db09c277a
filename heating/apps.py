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
        refdata.register("heating.migrations.0003_grid_season_figures.forwards")
        inspect = {"purposes": (Purpose.HEATING.value,), "url_name": "inspection_create", "action_label": _("入户测温")}
        register_kind(TaskKind(kinds.RECHECK, _("供暖复查"), **inspect))
        register_kind(TaskKind(kinds.SEASON_CHECK, _("供暖季前检查"), **inspect))
        self.register_inspections()
        self.register_figures()
        self.register_tickets()

    def register_figures(self):
        """The season's figures elsewhere: the 供暖 menu entry, the workbench card, the monthly report section."""
        from accounts import workbench
        from core import navigation, reports
        from core.navigation import NavEntry
        from core.reports import ReportSection

        from . import report_tables, village_figures
        from .sections import heating_card, heating_section, may_view

        navigation.register(
            NavEntry(key="heating", label=_("供暖"), url_name="heating_dashboard", order=50, visible=may_view)
        )
        workbench.register(heating_card)
        reports.register(
            ReportSection(
                key="heating",
                title=_("供暖"),
                build=heating_section,
                template="heating/_report.html",
                order=30,
                tables=report_tables.heating_tables,
                rows=report_tables.heating_rows,
            )
        )
        reports.register_village_figure(village_figures.HEATING_COMPLAINTS)

    def register_tickets(self):
        """Tickets to the heating company: overdue ones escalated to the community's cadres, the cadres' digest."""
        from visits import reminders as visit_reminders

        from . import reminders

        visit_reminders.escalation_sources.register(reminders.OVERDUE_TICKETS)
        visit_reminders.digest_sources.register(reminders.TICKET_DIGEST)

    def register_inspections(self):
        """The inspection in the home: the household-page button, the timeline line, the 供暖 request action."""
        from accounts.access import can_write
        from households import actions, timeline
        from households.actions import HouseholdAction
        from visits import request_actions
        from visits.models import ResidentRequest
        from visits.request_actions import RequestAction

        from .timeline import inspections

        actions.register(
            HouseholdAction(
                key="heating_inspect",
                label=_("入户测温"),
                url_name="inspection_create",
                allowed=lambda user, household: can_write(user, "heating.add_heatinginspection"),
                icon="thermometer-half",
                order=15,
            )
        )
        # An inspection is saved as a visit: the empty timeline's "暂无走访、诉求记录" already covers it.
        timeline.register(inspections)
        request_actions.register(
            RequestAction(
                key="heating_inspection",
                label=_("安排入户测温"),
                url_name="request_inspection_task",
                categories=(ResidentRequest.Category.HEATING.value,),
                permission="heating.add_heatinginspection",
                icon="thermometer-half",
            )
        )
