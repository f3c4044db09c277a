"""The monthly return (调解工作月报表) as an Excel file, `/mediation/return/?month=2026-11`: the return by dispute
type with its total (合计) on the first sheet, the month by grid on the second, for the communities the user
counts (`Dispute.objects.counted_for`), with a title row naming the committee or street and the month.

Every cell goes through `core.spreadsheet.safe_cell`, so a name typed as "=…" stays text; figures are numbers,
the success rate a fraction formatted as a percent, "—" where nothing was mediated. Five queries, whatever the
number of disputes: the return (2), by grid (2), the title's scope (1).
"""

import datetime
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.audit import log_export
from core.spreadsheet import safe_cell
from grids.models import Street

from . import figures
from .models import Dispute
from .statistics import EXPORT_PERMISSION, month_error, month_label, month_value, parse_month

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERCENT_FORMAT = "0.0%"
DAYS_FORMAT = "0.0"
NO_FIGURE = "—"


def figure_headers():
    return [
        _("受理"),
        pgettext("statistics", "调解"),
        _("调解成功"),
        _("调解不成"),
        _("成功率"),
        _("书面协议"),
        _("口头协议"),
        _("矛盾上行"),
        _("平均办结天数"),
    ]


def figure_cells(row):
    rate = row["success_rate"]
    days = row["days"]
    return [
        row["received"],
        row["mediated"],
        row["succeeded"],
        row["failed"],
        NO_FIGURE if rate is None else rate,
        row["written"],
        row["oral"],
        row["escalated"],
        NO_FIGURE if days is None else round(days, 1),
    ]


def scope_name(user):
    """Whose return it is: the committee of the user's community, or the street's (every) committee."""
    if user.sees_everything:
        streets = list(Street.objects.order_by("name").values_list("name", flat=True)[:2])
        if len(streets) == 1:
            return _("%(street)s各社区人民调解委员会") % {"street": streets[0]}
        return _("各街道社区人民调解委员会")
    names = list(figures.counted_communities(user).order_by("name").values_list("name", flat=True))
    return _("%(communities)s人民调解委员会") % {"communities": "、".join(names)}


def _append(sheet, values):
    sheet.append([safe_cell(value) for value in values])


def _title(sheet, title, subtitle, width):
    _append(sheet, [title])
    _append(sheet, [subtitle])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet["A2"].alignment = Alignment(horizontal="center")


def _format(sheet, *, header_row, first_figure_column, label_widths):
    """Bold header and 合计 rows, percent and day formats, column widths, the header frozen."""
    rate_column = first_figure_column + 4
    days_column = first_figure_column + 8
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in sheet.iter_rows(min_row=header_row + 1):
        row[rate_column - 1].number_format = PERCENT_FORMAT
        row[days_column - 1].number_format = DAYS_FORMAT
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in enumerate(label_widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    for column in range(first_figure_column, days_column + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=first_figure_column)


def return_workbook(user, month, *, today=None):
    """The .xlsx bytes of the month's return as `user` counts it."""
    today = today or timezone.localdate()
    disputes = Dispute.objects.counted_for(user)
    report = figures.monthly_return(disputes, month)
    grids = figures.grid_rows(disputes, month, user)
    title = _("%(scope)s调解工作月报表（%(month)s）") % {"scope": scope_name(user), "month": month_label(month)}
    subtitle = _("统计期间：%(start)s 至 %(end)s　制表日期：%(today)s") % {
        "start": report["month"].isoformat(),
        "end": min(figures.month_bounds(month)[1] - datetime.timedelta(days=1), today).isoformat(),
        "today": today.isoformat(),
    }

    workbook = Workbook()
    by_type = workbook.active
    by_type.title = _("调解月报表")
    headers = [_("纠纷类型"), *figure_headers()]
    _title(by_type, title, subtitle, len(headers))
    _append(by_type, headers)
    for row in report["rows"]:
        _append(by_type, [row["label"], *figure_cells(row)])
    _append(by_type, [_("合计"), *figure_cells(report["total"])])
    _format(by_type, header_row=3, first_figure_column=2, label_widths=[16])
    _append(by_type, [])
    _append(
        by_type,
        [
            _(
                "说明：受理为本月受理的纠纷；调解为本月调解终结（成功或不成）的纠纷；调解成功为达成书面或口头协议；"
                "矛盾上行为调解不成后转至法院、司法所、公安、信访等部门；平均办结天数为受理至调解终结的天数。"
                "协议未履行重新调解的纠纷，按最近一次调解终结计入。"
            )
        ],
    )

    by_grid = workbook.create_sheet(_("按网格"))
    headers = [_("社区"), _("网格"), *figure_headers()]
    _title(by_grid, title, subtitle, len(headers))
    _append(by_grid, headers)
    for row in grids:
        _append(by_grid, [row["community"], row["name"], *figure_cells(row)])
    _append(by_grid, [_("合计"), None, *figure_cells(report["total"])])
    _format(by_grid, header_row=3, first_figure_column=3, label_widths=[16, 18])

    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@login_required
def mediation_return(request):
    """The monthly return (`?month=2026-11`, this month so far by default) as an Excel file; a month that is
    not one goes back to the statistics with a message."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    raw = request.GET.get("month", "")
    month = parse_month(raw, today) if raw else today.replace(day=1)
    if month is None:
        messages.error(request, month_error(raw))
        return redirect(f"{reverse('mediation_index')}#mediation-statistics")
    filename = _("调解月报表-%(month)s.xlsx") % {"month": month_value(month)}
    workbook = return_workbook(request.user, month, today=today)
    log_export(request.user, "mediation.monthly_return", None, request=request, month=month_value(month))
    response = HttpResponse(workbook, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
