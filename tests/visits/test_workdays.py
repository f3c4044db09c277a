import datetime
from zoneinfo import ZoneInfo

import pytest

from visits.workdays import add_workdays, is_workday, request_due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_make_up_sunday_before_national_day_is_a_working_day():
    assert is_workday(datetime.date(2025, 9, 28))
    assert not is_workday(datetime.date(2025, 10, 6))


def test_normal_request_registered_before_national_day_is_due_on_the_first_working_day_after_it():
    due = request_due_at("normal", at(2025, 9, 30, 15, 30))
    assert due.astimezone(SHANGHAI) == at(2025, 10, 9, 18, 0)


def test_low_request_counts_the_make_up_saturday_after_national_day():
    # 10-09 Thu, 10-10 Fri, 10-11 Sat (a make-up working day) are the three working days.
    due = request_due_at("low", at(2025, 9, 30, 15, 30))
    assert due.astimezone(SHANGHAI) == at(2025, 10, 11, 18, 0)


def test_normal_request_on_friday_before_make_up_sunday_is_due_that_sunday():
    due = request_due_at("normal", at(2025, 9, 26, 10, 0))
    assert due.astimezone(SHANGHAI) == at(2025, 9, 28, 18, 0)


def test_urgent_request_is_due_in_two_clock_hours_even_on_a_holiday():
    assert request_due_at("urgent", at(2025, 10, 1, 9, 0)) == at(2025, 10, 1, 11, 0)


def test_year_unknown_to_the_calendar_falls_back_to_monday_to_friday():
    # 2099-01-02 is a Friday; the next working day is Monday 2099-01-05.
    assert add_workdays(datetime.date(2099, 1, 2), 1) == datetime.date(2099, 1, 5)
    assert is_workday(datetime.date(2099, 1, 1))


def test_add_workdays_refuses_zero():
    with pytest.raises(ValueError):
        add_workdays(datetime.date(2025, 1, 1), 0)
