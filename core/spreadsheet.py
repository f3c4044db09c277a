"""Cells of the spreadsheets the portal writes: every export goes through `safe_cell`.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and WPS (CSV included), so data a resident typed could run in a cadre's spreadsheet. Such text is prefixed with
an apostrophe, which spreadsheets show as plain text. Numbers stay numbers; characters an XLSX file cannot hold
are dropped.
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters an XLSX cell cannot hold (openpyxl refuses them).
ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def safe_text(value):
    """`value` as text a spreadsheet shows as text: a leading formula character is quoted."""
    text = ILLEGAL_CHARACTERS.sub("", "" if value is None else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value):
    """A cell value for an export: numbers, dates and booleans as they are, everything else through `safe_text`."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value
    return safe_text(value)
