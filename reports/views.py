"""The monthly report pages: the report of a node and month, the rows behind a figure, Excel downloads, the
printed page, and stored reports (generate on demand, progress, download).

Every page opens its node through `grids.nodes.access_node` (a node wholly the user's, else 404) and the rows
through the section's own `rows`, which keep to what the user may see. The report's figures are the kept ones
(`reports.figures`: one query for the three months shown; a month not kept yet is counted once, on the streaming
replica when one is configured, and kept). A table of child nodes shows the `ROWS_SHOWN` needing attention most,
with a link to the whole table (`?all=section.table`) and its Excel download.
"""

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import reports as registry
from grids.nodes import access_node, children_of, node_key, path_of, top_node

from . import compose, months
from .models import StoredReport
from .services import request_report
from .workbook import rows_workbook, table_workbook

REPORT_KINDS = ("street", "community", "grid")
ROWS_PER_PAGE = 50
#: rows of child nodes a report table shows (the cadre's community has some 180 grids); the rest on request
ROWS_SHOWN = 20
STORED_LISTED = 12
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _node_and_month(request, *, kinds=REPORT_KINDS):
    """The node (`?node=`, by default the user's top node) and month (`?month=`, by default last month; never
    after this month) of a report page."""
    user = request.user
    if "node" in request.GET:
        node = access_node(user, request.GET["node"], kinds=kinds)
    else:
        node = top_node(user)
        if node is None:
            raise Http404
    this_month = timezone.localdate().replace(day=1)
    month = min(months.parse(request.GET.get("month"), months.last_month()), this_month)
    return node, month


def _report_node_key(node):
    """The report a rows page goes back to: the node's own, or for a building its grid's."""
    return f"grid:{node.grid_id}" if node._meta.model_name == "building" else node_key(node)


def _xlsx(content, filename):
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _stored_of(node, month):
    return StoredReport.objects.of(node).filter(month=month).first()


@login_required
def report(request):
    """The monthly report of a node: every section, with comparisons, charts and links down to the rows."""
    node, month = _node_and_month(request)
    built = compose.compose(node, month, request.user, limit=ROWS_SHOWN, full=request.GET.get("all", ""))
    key = node_key(node)
    this_month = timezone.localdate().replace(day=1)
    page = reverse("report")  # once: a community has some 180 grids to link to
    return render(
        request,
        "reports/report.html",
        {
            "report": built,
            "current": month == this_month,
            "nightly": month == months.last_month(),
            "path": [(step, compose.report_url(node_key(step), month)) for step in path_of(node)],
            "children": [(child, f"{page}?{compose.query(node_key(child), month)}") for child in children_of(node)],
            "month_value": f"{month:%Y-%m}",
            "max_month": f"{this_month:%Y-%m}",
            "previous_url": compose.report_url(key, months.shift(month, -1)),
            "next_url": compose.report_url(key, months.shift(month, 1)) if month < this_month else None,
            "stored": _stored_of(node, month),
            "history": StoredReport.objects.of(node).filter(generated_at__isnull=False)[:STORED_LISTED],
            "print_url": f"{reverse('report_print')}?{compose.query(key, month)}",
        },
    )


@login_required
def report_print(request):
    """The report as a printable page (no menu; charts drawn as SVG)."""
    node, month = _node_and_month(request)
    built = compose.compose(node, month, request.user, limit=ROWS_SHOWN, full=request.GET.get("all", ""))
    return render(
        request,
        "reports/print.html",
        {"report": built, "path": path_of(node), "generated_at": timezone.now(), "stored": False},
    )


@login_required
def report_rows(request, section, figure):
    """The rows behind one figure: as many as the figure says, a page at a time, or all of them as Excel."""
    node, month = _node_and_month(request, kinds=(*REPORT_KINDS, "building"))
    params = {key: value for key, value in request.GET.items() if key not in ("node", "month", "page", "format")}
    row_list = compose.rows_for(section, figure, node, month, request.user, params)
    if row_list is None:
        raise Http404
    if request.GET.get("format") == "xlsx":
        return _xlsx(rows_workbook(row_list, row_list.rows), f"{row_list.title}-{month:%Y-%m}.xlsx")
    page = Paginator(row_list.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "xlsx"
    return render(
        request,
        "reports/rows.html",
        {
            "row_list": row_list,
            "page": page,
            "lines": [
                ([value(row) for _label, value in row_list.columns], row_list.url(row) if row_list.url else None)
                for row in page
            ],
            "node": node,
            "month": month,
            "section": registry.registry.get(section),
            "report_url": compose.report_url(_report_node_key(node), month),
            "xlsx_url": f"?{query.urlencode()}",
        },
    )


@login_required
def report_table(request, section, table):
    """One table of the report (with its comparisons) as Excel."""
    node, month = _node_and_month(request)
    built = compose.compose_section(section, node, month, request.user)
    rendered = built.table(section, table) if built else None
    if rendered is None:
        raise Http404
    return _xlsx(table_workbook(rendered), f"{node}-{rendered.title}-{month:%Y-%m}.xlsx")


def _access_stored(user, pk):
    stored = get_object_or_404(StoredReport.objects.select_related("street", "community", "grid"), pk=pk)
    access_node(user, node_key(stored.node), kinds=REPORT_KINDS)
    return stored


def _stored_panel(request, node, month, stored, started=None):
    return render(
        request,
        "reports/_stored.html",
        {"node_key": node_key(node), "month": month, "stored": stored, "started": started},
    )


@login_required
@require_POST
def report_generate(request):
    """Generate the report of a node and month in the background (a second click while it runs starts nothing)."""
    node = access_node(request.user, request.POST.get("node"), kinds=REPORT_KINDS)
    month = min(months.parse(request.POST.get("month"), months.last_month()), timezone.localdate().replace(day=1))
    stored, started = request_report(node=node, month=month, by=request.user)
    if request.htmx:
        return _stored_panel(request, node, month, stored, started)
    return redirect(compose.report_url(node_key(node), month) + "#report-stored")


@login_required
def report_progress(request, pk):
    """The stored report's panel: the progress bar while it runs (polled by htmx), the downloads once done."""
    stored = _access_stored(request.user, pk)
    return _stored_panel(request, stored.node, stored.month, stored)


@login_required
def stored_workbook(request, pk):
    stored = _access_stored(request.user, pk)
    if not stored.workbook:
        raise Http404
    filename = _("%(node)s月度报表-%(month)s.xlsx") % {"node": stored.node, "month": f"{stored.month:%Y-%m}"}
    return FileResponse(default_storage.open(stored.workbook.name, "rb"), as_attachment=True, filename=filename)


@login_required
def stored_page(request, pk):
    stored = _access_stored(request.user, pk)
    if not stored.page:
        raise Http404
    with default_storage.open(stored.page.name, "rb") as page:
        return HttpResponse(page.read(), content_type="text/html; charset=utf-8")
