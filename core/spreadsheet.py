"""Spreadsheets the portal reads and writes (django-import-export): cells, widgets and file formats.

Writing: a cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and WPS (CSV included), so data a resident typed could run in a cadre's spreadsheet. Every export
format here (`SafeXLSX`, `SafeCSV`) passes each cell through `safe_cell`: such text is prefixed with an
apostrophe, which spreadsheets show as plain text; numbers stay numbers; characters an XLSX file cannot hold are
dropped. An admin exports only with these formats (`tests/test_exports.py` checks every registered admin).

Reading: `cell_text` turns what Excel gives (501, 13800000000.0, a date) into the text a person typed, and the
widgets read Chinese choice labels and dates; `ChineseCSV` reads UTF-8 and the GB18030 that Excel saves.

Nothing here knows a portal app: resources in the apps build on these pieces.
"""

import datetime
import decimal
import re

import tablib
from django.contrib.auth import get_permission_codename
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from import_export import widgets
from import_export.formats.base_formats import CSV, XLSX

from .audit import log_export

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters an XLSX cell cannot hold (openpyxl refuses them).
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


# Writing ----------------------------------------------------------------------------------------------------


def safe_text(value):
    """`value` as text a spreadsheet shows as text: a leading formula character is quoted."""
    text = ILLEGAL_CHARACTERS.sub("", "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value):
    """A cell value for an export: numbers, dates and booleans as they are, everything else through `safe_text`."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.date | datetime.time):
        return value
    return safe_text(value)


def safe_dataset(dataset):
    """A copy of a `tablib.Dataset` with its headers and every cell through `safe_cell`."""
    headers = [safe_text(header) for header in dataset.headers] if dataset.headers else None
    safe = tablib.Dataset(headers=headers, title=dataset.title)
    for row in dataset:
        safe.append([safe_cell(cell) for cell in row])
    return safe


class SafeExportMixin:
    """Exports through `safe_dataset`, instead of import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT (which
    removes one leading "=" only, so "==1+1" stays a formula, and turns every number into text)."""

    def export_data(self, dataset, **kwargs):
        return safe_dataset(dataset).export(self.get_title(), **kwargs)


class SafeXLSX(SafeExportMixin, XLSX):
    pass


class SafeCSV(SafeExportMixin, CSV):
    pass


class ExportFilenameMixin:
    """An admin export named `<name>-<local date>.<ext>` in the user's language, sent with `filename*=` (RFC 6266 /
    RFC 5987) so a Chinese name reaches the browser intact; import-export writes a bare `filename="…"`, which
    Django MIME-encodes when it is not ASCII.

    Every admin export needs its own permission, `<app>.export_<model>` (seeing the rows is not enough), and is
    written to the audit log: who, which model, how many rows (`core.audit.log_export`)."""

    def has_export_permission(self, request):
        return request.user.has_perm(f"{self.opts.app_label}.{get_permission_codename('export', self.opts)}")

    def get_data_for_export(self, request, queryset, **kwargs):
        data = super().get_data_for_export(request, queryset, **kwargs)
        log_export(request.user, self.opts.label_lower, len(data), request=request)
        return data

    def get_export_filename(self, request, queryset, file_format):
        return f"{self.get_export_name(request)}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def get_export_name(self, request):
        return str(self.opts.verbose_name)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        # The one place import-export writes the header, for the export page and the changelist action alike.
        response = super()._do_file_export(file_format, request, queryset, export_form=export_form)
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
        return response


def number_widget(widget_class=widgets.IntegerWidget):
    """A number column that an export writes as a number, not as text."""
    return widget_class(coerce_to_string=False)


# Reading ----------------------------------------------------------------------------------------------------


def cell_text(value):
    """A cell as text: Excel gives numbers for rooms and phones (501, 13800000000.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


class ChoiceLabelWidget(widgets.Widget):
    """Reads the Chinese label of a `TextChoices` (男, 户主…) or its value, and writes the label on export."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        for choice in self.choices:
            if text in (str(choice.label), choice.value):
                return choice.value
        raise ValueError(
            _("“%(value)s”不是有效选项，可填：%(options)s。")
            % {"value": text, "options": "、".join(str(label) for label in self.choices.labels)}
        )

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        return str(self.choices(value).label)


class ChineseDateWidget(widgets.DateWidget):
    """A date cell, or a date typed as 1960-05-17, 1960/5/17, 19600517 or 1960年5月17日."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            return None
        for date_format in DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date, no time
            except ValueError:
                continue
        raise ValueError(_("日期“%(value)s”无法识别，请写作 1960-05-17。") % {"value": text})


class ChineseCSV(SafeCSV):
    """CSV read as bytes and decoded as UTF-8 (with or without BOM) or, failing that, GB18030 as saved by Excel."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)
