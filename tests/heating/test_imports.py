"""The logger import: all rows or none with Chinese row errors, the standard check on consecutive readings, at most
one ticket action per household and day, and a re-import that changes nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from heating.imports import LoggerImportError, import_logger_csv
from heating.models import HeatingTicket, LoggerReading
from heating.services import Reading, record_inspection
from tests.heating.conftest import celsius

pytestmark = pytest.mark.django_db

HEADER = "楼号,房号,房间,时间,室温\n"


def at(hours_ago):
    return f"{timezone.localtime() - datetime.timedelta(hours=hours_ago):%Y-%m-%d %H:%M}"


def csv(*rows):
    return (HEADER + "".join(",".join(row) + "\n" for row in rows)).encode()


def run(season, *rows):
    return import_logger_csv(season=season, data=csv(*rows))


def test_good_rows_are_saved_for_the_household_of_the_room_code(heating, household):
    result = run(heating, ("3", "2-501", "卧室", at(6), "19.5"), ("3号楼", "2-501", "客厅", at(6), "20"))

    assert (result.rows, result.created, result.tickets) == (2, 2, [])
    reading = LoggerReading.objects.get(room_type="living")
    assert (reading.household, reading.building_id, reading.room_code) == (household, household.building_id, "2-501")
    assert str(reading.celsius) == "20.0"


def test_bad_rows_save_nothing_and_are_named_by_their_excel_rows(heating, household):
    with pytest.raises(LoggerImportError) as error:
        run(
            heating,
            ("3", "2-501", "卧室", at(6), "19.5"),
            ("99", "2-501", "卧室", at(6), "19.5"),
            ("3", "4-1101", "卧室", at(6), "19.5"),
            ("3", "2-501", "卧室", at(6), "很冷"),
            ("3", "2-501", "卧室", "昨天早上", "19.5"),
            ("3", "2-501", "厨房", at(6), "19.5"),
            ("3", "2-501", "卧室", at(6), "55"),
        )

    errors = dict(error.value.errors)
    assert errors[3] == "找不到楼宇：金色嘉苑社区 99号楼。"
    assert errors[4] == "3号楼没有房号 4-1101 的居民户。"
    assert errors[5] == "室温“很冷”应为数字，如 18.5。"
    assert errors[6] == "时间“昨天早上”无法识别，请写作 2026-12-01 08:00。"
    assert errors[7].startswith("房间“厨房”无法识别")
    assert errors[8].startswith("室温 55.0 ℃ 超出范围")
    assert 2 not in errors
    assert not LoggerReading.objects.exists()


def test_a_time_outside_the_season_is_a_row_error(heating, household):
    before = f"{heating.starts_on - datetime.timedelta(days=1):%Y-%m-%d} 08:00"
    with pytest.raises(LoggerImportError) as error:
        run(heating, ("3", "2-501", "卧室", before, "19.5"))
    assert "不在本供暖季" in error.value.errors[0][1]


def test_a_missing_column_is_reported_on_the_header_row(heating, household):
    with pytest.raises(LoggerImportError) as error:
        import_logger_csv(season=heating, data="楼号,房号,时间\n3,2-501,2026-12-01 08:00\n".encode())
    assert error.value.errors == [(1, "文件缺少必填列：房间、室温。")]


def test_two_consecutive_cold_readings_raise_a_ticket_to_the_company(heating, household, company):
    result = run(heating, ("3", "2-501", "卧室", at(9), "17.5"), ("3", "2-501", "卧室", at(6), "17.9"))

    ticket = HeatingTicket.objects.get()
    assert result.tickets == [ticket]
    assert (ticket.household, ticket.company, ticket.source) == (household, company, HeatingTicket.Source.LOGGER)
    assert ticket.state == HeatingTicket.State.REPORTED and ticket.created_by is None
    assert "测温设备：卧室连续 2 次低于标准 18.0 ℃" in ticket.problem
    assert ticket.events.get().by is None


def test_one_cold_reading_or_cold_readings_apart_raise_nothing(heating, household):
    run(
        heating,
        ("3", "2-501", "卧室", at(12), "16.0"),
        ("3", "2-501", "卧室", at(9), "18.0"),
        ("3", "2-501", "卧室", at(6), "16.0"),
        ("3", "2-501", "客厅", at(6), "16.0"),
        ("3", "2-501", "其他", at(5), "12.0"),
        ("3", "2-501", "其他", at(4), "12.0"),
    )
    assert not HeatingTicket.objects.exists()


def test_the_number_of_cold_readings_is_the_seasons(heating, household):
    heating.cold_readings_for_ticket = 3
    heating.save()
    run(heating, ("3", "2-501", "卧室", at(9), "17.0"), ("3", "2-501", "卧室", at(6), "17.0"))
    assert not HeatingTicket.objects.exists()
    run(heating, ("3", "2-501", "卧室", at(3), "17.0"))
    assert HeatingTicket.objects.count() == 1


def test_at_most_one_ticket_action_per_household_per_day(heating, household):
    day = (timezone.localtime() - datetime.timedelta(days=1)).replace(hour=8, minute=0)
    times = [f"{day + datetime.timedelta(minutes=m):%Y-%m-%d %H:%M}" for m in (0, 10, 20, 30, 40)]
    first = run(heating, ("3", "2-501", "卧室", times[0], "16"), ("3", "2-501", "卧室", times[1], "16"))
    # The same day: a warm reading, then another cold run, in a later file.
    second = run(
        heating,
        ("3", "2-501", "卧室", times[2], "19"),
        ("3", "2-501", "卧室", times[3], "16"),
        ("3", "2-501", "卧室", times[4], "16"),
    )

    assert len(first.tickets) == 1 and second.tickets == []
    ticket = HeatingTicket.objects.get()
    assert ticket.problem.count("测温设备") == 1


def test_a_cold_run_adds_to_the_open_ticket(heating, household, grid_worker):
    inspection, _ = record_inspection(
        household=household, by=grid_worker, readings=[Reading("bedroom", celsius(16))], valve="fully_open"
    )
    run(heating, ("3", "2-501", "客厅", at(2), "16"), ("3", "2-501", "客厅", at(1), "16"))

    ticket = HeatingTicket.objects.get()
    assert ticket == inspection.ticket and ticket.source == HeatingTicket.Source.INSPECTION
    assert "测温设备：客厅连续 2 次" in ticket.problem


def test_importing_the_same_file_twice_changes_nothing(heating, household):
    rows = (("3", "2-501", "卧室", at(9), "17.5"), ("3", "2-501", "卧室", at(6), "17.0"))
    run(heating, *rows)
    problem = HeatingTicket.objects.get().problem

    again = run(heating, *rows)

    assert (again.rows, again.created, again.tickets) == (2, 0, [])
    assert LoggerReading.objects.count() == 2
    assert HeatingTicket.objects.get().problem == problem


def test_a_building_without_a_company_is_a_row_error(season, household):
    with pytest.raises(LoggerImportError) as error:
        run(season, ("3", "2-501", "卧室", at(6), "17.5"))
    assert error.value.errors == [(2, "3号楼尚未设置供热公司，请先在“楼宇供热单位”中设置。")]


def test_a_gb18030_file_from_excel_is_read(heating, household):
    data = (HEADER + f"3,2-501,卧室,{at(6)},19.5\n").encode("gb18030")
    assert import_logger_csv(season=heating, data=data).created == 1


def test_admin_import_page_shows_row_errors_and_imports_a_good_file(client_for, admin_user, heating, household):
    client = client_for(admin_user)
    url = reverse("admin:heating_loggerreading_import")
    assert client.get(url).status_code == 200

    bad = client.post(url, {"season": heating.pk, "file": _upload(csv(("3", "9-901", "卧室", at(6), "19.5")))})
    assert "第 2 行：3号楼没有房号 9-901 的居民户。" in bad.content.decode()

    good = client.post(url, {"season": heating.pk, "file": _upload(csv(("3", "2-501", "卧室", at(6), "19.5")))})
    assert good.status_code == 302 and LoggerReading.objects.count() == 1


def test_grid_worker_may_not_import(client_for, grid_worker, heating):
    grid_worker.is_staff = True
    grid_worker.save()
    assert client_for(grid_worker).get(reverse("admin:heating_loggerreading_import")).status_code == 403


def _upload(data):
    return SimpleUploadedFile("readings.csv", data, content_type="text/csv")
