from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
        from accounts.access import can_write
        from households import actions, timeline
        from households.actions import HouseholdAction
        from visits import request_actions
        from visits.models import ResidentRequest
        from visits.request_actions import RequestAction

        from .timeline import disputes

        actions.register(
            HouseholdAction(
                key="mediation_register",
                label=_("登记调解"),
                url_name="dispute_create",
                allowed=lambda user, household: can_write(user, "mediation.add_dispute"),
                icon="people",
                order=40,
            )
        )
        timeline.register(disputes, nouns=(pgettext_lazy("timeline", "调解"),))
        request_actions.register(
            RequestAction(
                key="mediation_dispute",
                label=_("转为调解案件"),
                url_name="dispute_from_request",
                categories=(ResidentRequest.Category.NEIGHBOUR.value,),
                permission="mediation.add_dispute",
                icon="people",
            )
        )

    def register_follow_ups(self):
        """Follow-ups on the task list, deadline reminders and escalation, the visit form's early-sign section,
        and the beat entry of the risk sweep."""
        from core import refdata
        from visits import form_sections, task_sources
        from visits import reminders as visit_reminders
        from visits.form_sections import VisitFormSection

        from . import reminders
        from .early_signs import EarlySignForm, save_early_sign
        from .follow_ups import FOLLOW_UPS

        refdata.register("mediation.migrations.0004_beat_schedule.forwards")
        task_sources.register(FOLLOW_UPS)
        visit_reminders.digest_sources.register(reminders.MEDIATION_DIGEST)
        visit_reminders.escalation_sources.register(reminders.OVERDUE_DISPUTES)
        form_sections.register(
            VisitFormSection(
                key="early_signs",
                form_class=EarlySignForm,
                template="mediation/_early_sign_section.html",
                save=save_early_sign,
                order=20,
            )
        )

    def register_figures(self):
        """The 调解 menu entry, the workbench card, the monthly report section and disputes by origin village."""
        from accounts import workbench
        from core import navigation, reports
        from core.navigation import NavEntry
        from core.reports import ReportSection

        from . import report_tables, village_figures
        from .sections import may_view, mediation_card, report_section

        navigation.register(
            NavEntry(key="mediation", label=_("调解"), url_name="mediation_index", order=55, visible=may_view)
        )
        workbench.register(mediation_card)
        reports.register(
            ReportSection(
                key="mediation",
                title=_("调解"),
                build=report_section,
                template="mediation/_report.html",
                order=40,
                tables=report_tables.mediation_tables,
                rows=report_tables.mediation_rows,
            )
        )
        reports.register_village_figure(village_figures.DISPUTES)
        reports.register_village_figure(village_figures.DISPUTE_PAIRS)
