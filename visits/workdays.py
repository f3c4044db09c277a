"""The working-day calendar: Chinese statutory holidays and make-up working days (调休).

Backed by the maintained `chinesecalendar` package. For a year the package does not know yet it raises
NotImplementedError; there we fall back to Monday–Friday, which is right for most days of any year.
Upgrading the package (pinned in requirements.txt) is how a new year's holiday table arrives.
"""

import datetime

import chinese_calendar
from django.utils import timezone

# A working day ends, for deadlines, at the end of office hours.
WORKDAY_ENDS = datetime.time(18, 0)
URGENT_RESPONSE = datetime.timedelta(hours=2)
WORKDAYS_BY_URGENCY = {"normal": 1, "low": 3}


def is_workday(day):
    """Whether `day` is a working day: statutory holidays are off, make-up Saturdays and Sundays are on."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(day, count):
    """The `count`-th working day after `day` (not counting `day` itself)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    while count:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            count -= 1
    return day


def request_due_at(urgency, registered_at):
    """When a request registered at `registered_at` must have been responded to.

    Urgent: two clock hours. Normal: the end of the next working day. Low: the end of the third working day.
    """
    if urgency == "urgent":
        return registered_at + URGENT_RESPONSE
    local = timezone.localtime(registered_at)
    day = add_workdays(local.date(), WORKDAYS_BY_URGENCY[urgency])
    return timezone.make_aware(datetime.datetime.combine(day, WORKDAY_ENDS), timezone.get_current_timezone())
