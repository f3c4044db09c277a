"""Generating and keeping monthly reports: on demand from the page, and for every community and street each month.

Idempotency and recovery, written down:

- one `StoredReport` row per (node, month), by unique constraint; `request_report` locks it, so a second click
  while a report is queued or running (and heard from within `STALE_AFTER`) starts no second job;
- `generate_report` builds the report, writes the workbook and the printed page to storage under new names,
  and only then, in one transaction under the row lock, points the row at them and marks it done; the files it
  replaced are deleted after that commit. A worker killed half-way leaves the row as it was (the old files, or
  none) plus at most two unreferenced files; the re-run — the task redelivered (`acks_late`), the next beat, or
  a click once the row is stale — writes its own and swaps them in: still one row, one workbook;
- `monthly_reports` makes sure every street and community has a row for last month and queues the ones not yet
  done: running it twice queues nothing new for finished rows;
- `refresh_figures` (nightly) counts last month's figures again, and the month before and the same month last year
  where none are kept, for each node and audience (`reports.figures`): it overwrites rows, so a re-run only
  counts again. Regenerating a report from the page (`request_report`) drops that month's kept figures of the
  node, so the job and the next page count them afresh.

Reports are built for `ReportViewer`, who sees the whole node: a node is open only to users who see all of it
(`grids.nodes.access_node`), so one stored report serves every one of them.
"""

import logging
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.broker import enqueue, task_named
from core.db_router import replica_reads
from grids.models import Community, Grid, Street
from grids.nodes import node_key, path_of

from . import figures, months
from .apps import has_reports
from .compose import compose
from .models import StoredReport
from .workbook import write_workbook

logger = logging.getLogger(__name__)


class ReportViewer(figures.AudienceViewer):
    """Who a stored report is built for: everything under its node, reading only (every view permission)."""

    def __init__(self):
        super().__init__(())

    def has_perm(self, perm, obj=None):
        return perm.partition(".")[2].startswith("view_")

    def get_all_permissions(self, obj=None):
        """The permissions `has_perm` grants, for the key of the figures kept for it (`reports.figures`)."""
        return {perm for perm in figures.all_permissions() if self.has_perm(perm)}

    def __str__(self):
        return _("月报生成任务")


VIEWER = ReportViewer()


def _locked(node, month):
    """The row for (node, month) under a row lock, created if missing; (row, created). Inside a transaction.
    The row's node field is named after the node's model (street, community, grid)."""
    report, created = StoredReport.objects.get_or_create(**{node._meta.model_name: node}, month=month)
    return StoredReport.objects.select_for_update().get(pk=report.pk), created


def _queue(report, by=None):
    """Mark the locked row queued and send its job after commit."""
    now = timezone.now()
    report.state, report.progress, report.error = StoredReport.State.QUEUED, 0, ""
    report.requested_by, report.requested_at, report.heartbeat_at = by, now, now
    report.save(update_fields=["state", "progress", "error", "requested_by", "requested_at", "heartbeat_at"])
    enqueue(task_named("reports.tasks.generate_report"), report.pk)


@transaction.atomic
def request_report(*, node, month, by):
    """Queue the report of `node` for `month` unless it is queued or running already; (report, started)."""
    report, created = _locked(node, month)
    if not created and report.is_running():
        return report, False
    figures.forget(node, month)
    _queue(report, by)
    return report, True


def _progress(report_id, percent):
    StoredReport.objects.filter(pk=report_id).update(
        state=StoredReport.State.RUNNING, progress=percent, heartbeat_at=timezone.now()
    )


def render_page(report, generated_at):
    """The printed page of a report, as a standalone HTML document."""
    return render_to_string(
        "reports/print.html",
        {"report": report, "path": path_of(report.node), "generated_at": generated_at, "stored": True},
    )


def _save(name, content):
    return default_storage.save(name, ContentFile(content))


def generate_report(report_id):
    """Build, write and store one report (see the module docstring for what a re-run does). Returns the row."""
    report = StoredReport.objects.select_related("street", "community", "grid").get(pk=report_id)
    _progress(report_id, 1)
    built = compose(  # from the kept figures; those not kept yet counted on the replica (`reports.figures`)
        report.node,
        report.month,
        VIEWER,
        progress=lambda done, total: _progress(report_id, 1 + 88 * done // total),
    )
    generated_at = timezone.now()
    folder = f"reports/{report.month:%Y-%m}/{node_key(report.node).replace(':', '-')}"
    token = uuid.uuid4().hex[:12]
    workbook_name = _save(f"{folder}/{token}.xlsx", write_workbook(built, generated_at))
    _progress(report_id, 94)
    page_name = _save(f"{folder}/{token}.html", render_page(built, generated_at).encode())
    with transaction.atomic():
        locked = StoredReport.objects.select_for_update().get(pk=report_id)
        replaced = [name for name in (locked.workbook.name, locked.page.name) if name]
        locked.workbook.name, locked.page.name = workbook_name, page_name
        locked.state, locked.progress, locked.error = StoredReport.State.DONE, 100, ""
        locked.generated_at = locked.heartbeat_at = generated_at
        locked.save()
        transaction.on_commit(lambda: _delete(replaced))
    logger.info("generate_report: %s for %s", node_key(report.node), months.label(report.month))
    return locked


def _delete(names):
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("generate_report: could not delete replaced file %s", name)


def record_failure(report_id, error):
    StoredReport.objects.filter(pk=report_id).update(
        state=StoredReport.State.FAILED, error=str(error)[:300], heartbeat_at=timezone.now()
    )


def monthly_reports(*, today=None):
    """For last month: a row for the street and each community, and a generation queued for each not yet done
    (nor running). Returns how many were queued."""
    month = months.last_month(today)
    nodes = [*Street.objects.order_by("name"), *Community.objects.order_by("street__name", "name")]
    queued = 0
    for node in nodes:
        with transaction.atomic():
            report, created = _locked(node, month)
            done = report.state == StoredReport.State.DONE and report.is_ready
            if not created and (done or report.is_running()):
                continue
            _queue(report)
        queued += 1
    logger.info("monthly_reports: %d queued for %s", queued, months.label(month))
    return queued


def stored_report_row(node, month):
    """The row for (node, month), created (queued) if missing, without sending its job."""
    with transaction.atomic():
        return _locked(node, month)[0]


def _audiences():
    """{audience key: (viewer, nodes)}: for each set of permissions among the active users with reports, a viewer
    with those permissions and the nodes (street, communities, grids) some user with them may open. Five queries
    whatever the number of users."""
    users = (
        User.objects.filter(is_active=True)
        .prefetch_related("groups__permissions__content_type", "user_permissions__content_type", "assignments")
        .order_by("pk")
    )
    everything = figures.all_permissions()
    streets, communities = list(Street.objects.order_by("name")), list(Community.objects.order_by("name"))
    grids = list(Grid.objects.select_related("community").order_by("name"))
    audiences = {}
    for user in users:
        if not has_reports(user):
            continue
        perms = everything if user.is_superuser else _permissions_of(user)
        viewer = figures.AudienceViewer(perms)
        key = figures.audience(viewer)
        nodes = audiences.setdefault(key, (viewer, {}))[1]
        for node in _nodes_of(user, streets, communities, grids):
            nodes[node_key(node)] = node
    return {key: (viewer, list(nodes.values())) for key, (viewer, nodes) in audiences.items()}


def _permissions_of(user):
    granted = [*user.user_permissions.all(), *(perm for group in user.groups.all() for perm in group.permissions.all())]
    return {f"{perm.content_type.app_label}.{perm.codename}" for perm in granted}


def _nodes_of(user, streets, communities, grids):
    """The streets, communities and grids `user` may open a report of."""
    if user.sees_everything:
        return [*streets, *communities, *grids]
    nodes = []
    for assignment in user.assignments.all():
        if assignment.street_id:
            nodes += [s for s in streets if s.pk == assignment.street_id]
            nodes += [c for c in communities if c.street_id == assignment.street_id]
            nodes += [g for g in grids if g.community.street_id == assignment.street_id]
        elif assignment.community_id:
            nodes += [c for c in communities if c.pk == assignment.community_id]
            nodes += [g for g in grids if g.community_id == assignment.community_id]
        elif assignment.grid_id:
            nodes += [g for g in grids if g.pk == assignment.grid_id]
    return nodes


def refresh_figures(*, today=None):
    """Count last month's figures again for every node and audience, and the month before and the same month last
    year where none are current (see `reports.figures`). Returns how many months were counted."""
    month = months.last_month(today)
    earlier = [months.shift(month, -1), months.shift(month, -12)]
    counted = 0
    for key, (viewer, nodes) in _audiences().items():
        for node in nodes:
            kept = figures.kept(node, earlier, key)
            wanted = [month, *(other for other in earlier if other not in kept or not figures.is_current(kept[other]))]
            for other in wanted:
                counted_at = timezone.now()
                with replica_reads():
                    sections = figures.count_month(node, other, viewer)
                with transaction.atomic():
                    figures.store(node, other, key, sections, counted_at)
                counted += 1
    logger.info("refresh_figures: %d node-months counted for %s", counted, months.label(month))
    return counted
