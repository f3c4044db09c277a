"""Months as the report names them: the first day of the month, written "2026-01" in a URL."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _


def shift(month, months):
    """The first day of the month `months` away from `month` (negative: earlier)."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def last_month(today=None):
    today = today or timezone.localdate()
    return shift(today.replace(day=1), -1)


def parse(text, default):
    """The month in "2026-01" (the first day), or `default` when `text` is missing or not a month."""
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m").date()  # noqa: DTZ007 - a month, no time
    except ValueError:
        return default


def bounds(month):
    """The aware local midnights at the start of `month` and of the month after."""
    return tuple(
        timezone.make_aware(datetime.datetime.combine(first, datetime.time())) for first in (month, shift(month, 1))
    )


def label(month):
    return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}
