"""Stored monthly reports: one workbook and one printable page per node of the grid and month."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import Community, Grid, Street

# A report whose job has not reported progress for this long is taken for dead (its worker was killed): the
# page stops showing it as running and a new request starts it again.
STALE_AFTER = datetime.timedelta(minutes=10)


class StoredReportQuerySet(models.QuerySet):
    def of(self, node):
        return self.filter(**{node._meta.model_name: node})


class StoredReport(models.Model):
    """The monthly report of one street, community or grid, generated in the background and kept.

    One row per (node, month), by constraint: generating again replaces the files of the same row. The job
    writes its files first, then swaps them in under a row lock (`reports.services.generate_report`), so a
    worker killed half-way leaves the previous files in place and the row to be finished by the next run.
    Progress lives on the row, for the page's bar.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("生成失败")

    street = models.ForeignKey(
        Street, verbose_name=_("街道"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("网格"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    workbook = models.FileField(_("Excel 工作簿"), upload_to="reports/", blank=True, max_length=200)
    page = models.FileField(_("打印页"), upload_to="reports/", blank=True, max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), default=timezone.now)
    generated_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)

    objects = StoredReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("月度报表")
        verbose_name_plural = _("月度报表")
        ordering = ["-month", "street", "community", "grid"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(street__isnull=False, community__isnull=True, grid__isnull=True)
                    | Q(street__isnull=True, community__isnull=False, grid__isnull=True)
                    | Q(street__isnull=True, community__isnull=True, grid__isnull=False)
                ),
                name="storedreport_exactly_one_node",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="storedreport_progress_percent"),
            models.UniqueConstraint(
                fields=["street", "month"], condition=Q(street__isnull=False), name="storedreport_one_per_street"
            ),
            models.UniqueConstraint(
                fields=["community", "month"],
                condition=Q(community__isnull=False),
                name="storedreport_one_per_community",
            ),
            models.UniqueConstraint(
                fields=["grid", "month"], condition=Q(grid__isnull=False), name="storedreport_one_per_grid"
            ),
        ]

    def __str__(self):
        return f"{self.node} {self.month:%Y-%m}"

    @property
    def node(self):
        return self.street or self.community or self.grid

    def is_running(self, now=None):
        """Queued or running, and heard from within `STALE_AFTER`."""
        now = now or timezone.now()
        return self.state in (self.State.QUEUED, self.State.RUNNING) and self.heartbeat_at > now - STALE_AFTER

    @property
    def is_ready(self):
        return bool(self.workbook)


class MonthFigures(models.Model):
    """The figures of every report section for one node and month, as one audience sees them, kept so the report
    page reads them instead of building each section (`reports.figures` says when they are computed and what
    makes them out of date).

    `sections` maps each section's key to None (nothing for the month) or {"tables": [...]} (its tables, as
    `reports.figures` writes them) or {"html": "..."} (a section shown through its template, rendered). The
    audience is the language and the permissions the figures were counted for: users who may open a node see all
    of it, so what differs between them is only which sections and figures their permissions show.
    """

    node = models.CharField(_("单位"), max_length=30, help_text=_("如 community:3"))
    month = models.DateField(_("月份"), help_text=_("该月 1 日"))
    audience = models.CharField(_("适用对象"), max_length=40)
    version = models.PositiveSmallIntegerField(_("口径版本"))
    sections = models.JSONField(_("各部分数字"))
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("月报数字")
        verbose_name_plural = _("月报数字")
        constraints = [
            models.UniqueConstraint(fields=["node", "month", "audience"], name="monthfigures_one_per_audience"),
        ]

    def __str__(self):
        return f"{self.node} {self.month:%Y-%m}"
