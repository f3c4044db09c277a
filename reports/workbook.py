"""The report as Excel: the monthly workbook (a sheet per section), one table, or the rows behind a figure.

Headers are Chinese; every cell goes through `core.spreadsheet.safe_cell` (text a spreadsheet would run as a
formula is quoted, numbers stay numbers); shares are numbers formatted as percentages. A section that has no
tables of its own (it is shown through its template) gets the tables of its rendered template.
"""

import datetime
import io
from html.parser import HTMLParser

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core.spreadsheet import safe_cell, safe_text
from grids.nodes import path_of

from . import months

PERCENT = "0.0%"
SHEET_TITLE_FORBIDDEN = str.maketrans({c: "" for c in "[]:*?/\\"})


def _plain(value):
    """A value openpyxl can write: aware datetimes as local time without a zone."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return safe_cell(value)


def table_lines(table):
    """(header, rows) of a rendered table: the label column, each column, and when the table is compared the
    previous month's and last year's value after each figure; rows as (values, kinds)."""
    header = [table.head]
    kinds = ["text"]
    for column in table.columns:
        header.append(str(column.label))
        kinds.append(column.kind)
        if table.compared:
            header += [
                _("%(label)s（上月）") % {"label": column.label},
                _("%(label)s（去年同月）") % {"label": column.label},
            ]
            kinds += [column.kind, column.kind]
    rows = []
    for row in table.rows:
        values = [row.label]
        for cell in row.cells:
            values.append(cell.value)
            if table.compared:
                values += [cell.previous, cell.last_year]
        rows.append(values)
    return header, kinds, rows


def _write_table(sheet, title, header, kinds, rows):
    if title:
        sheet.append([safe_text(title)])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([safe_text(text) for text in header])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([_plain(value) for value in values])
        for cell, kind in zip(sheet[sheet.max_row], kinds, strict=False):
            if kind == "share" and isinstance(cell.value, float):
                cell.number_format = PERCENT
    sheet.append([])


def _sheet_title(title, used):
    base = (str(title).translate(SHEET_TITLE_FORBIDDEN) or _("报表"))[:28]
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


class _TableParser(HTMLParser):
    """The tables of a rendered section template, as lists of cell texts (numbers as numbers)."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(_number(" ".join("".join(self._cell).split())))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _number(text):
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def template_tables(section):
    parser = _TableParser()
    parser.feed(section.html)
    return parser.tables


def _cover(sheet, report, generated_at):
    sheet.append([safe_text(_("金色嘉苑社区服务门户 · 月度报表"))])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.append([_("单位"), safe_text(" / ".join(str(node) for node in path_of(report.node)))])
    sheet.append([_("月份"), months.label(report.month)])
    sheet.append([_("生成时间"), _plain(generated_at)])
    sheet.append([_("说明"), _("各表“上月”“去年同月”两列为对比数据；无数据的月份留空。")])
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 48


def write_workbook(report, generated_at=None):
    """The whole report as one .xlsx (bytes): a cover sheet, then a sheet per section (one saying so for a
    section with nothing for the month)."""
    book = Workbook()
    _cover(book.active, report, generated_at or timezone.now())
    book.active.title = _("封面")
    used = {book.active.title}
    for section in report.sections:
        sheet = book.create_sheet(_sheet_title(section.title, used))
        if section.tables:
            for table in section.tables:
                _write_table(sheet, table.title, *table_lines(table))
        elif section.html:
            for lines in template_tables(section):
                if lines:
                    _write_table(sheet, "", lines[0], [], lines[1:])
        sheet.column_dimensions["A"].width = 18
    for title in report.silent:
        book.create_sheet(_sheet_title(title, used)).append([_("本月没有数据。")])
    return _bytes(book)


def table_workbook(table):
    book = Workbook()
    book.active.title = _sheet_title(table.title, set())
    _write_table(book.active, table.title, *table_lines(table))
    return _bytes(book)


def rows_workbook(row_list, rows):
    """The rows behind a figure (all of them, not one page)."""
    book = Workbook()
    book.active.title = _sheet_title(row_list.title, set())
    header = [str(label) for label, _value in row_list.columns]
    lines = [[value(row) for _label, value in row_list.columns] for row in rows]
    _write_table(book.active, row_list.title, header, [], lines)
    return _bytes(book)


def _bytes(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
