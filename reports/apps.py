from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def has_reports(user):
    """Everyone with a node of the grid (mediators work by committee, not by node: they have none)."""
    return user.is_authenticated and (user.sees_everything or user.role != "mediator")


class ReportsConfig(AppConfig):
    """The monthly report: sections every app registers in `core.reports`, read here and nowhere else."""

    name = "reports"
    verbose_name = _("月度报表")

    def ready(self):
        from core import navigation, refdata, reports
        from core.navigation import NavEntry
        from core.reports import ReportSection

        from .villages import village_rows, village_tables, villages_section

        refdata.register("reports.migrations.0002_beat_schedule.forwards")
        refdata.register("reports.migrations.0004_figures_beat.forwards")
        navigation.register(NavEntry(key="reports", label=_("月报"), url_name="report", order=70, visible=has_reports))
        reports.register(
            ReportSection(
                key="villages",
                title=_("原村"),
                build=villages_section,
                tables=village_tables,
                rows=village_rows,
                order=90,
            )
        )
