"""The street leader, on a phone, opens last month's report, drills from a community down to the households of
one building that were not visited within their policy, and downloads the workbook the monthly job stored.

Last month (dated from today): building 3 of 东区第一网格 has h1 (visited last month), h2 and h3 (never visited);
building 12 of 西区第一网格 has o1 (visited). Ordinary households are visited every 60 days.
"""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from households.models import Household
from reports import months, services
from reports.models import StoredReport
from tests.browser.conftest import sign_in
from tests.factories import HouseholdFactory
from tests.visits.factories import VisitFactory
from visits.models import VisitPolicy
from visits.scheduling import refresh_visit_statuses

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_month(street, community, grid, other_grid, building, other_building, grid_worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    VisitPolicy.objects.all().delete()
    VisitPolicy.objects.create(priority_group=None, interval_days=60)
    month = months.last_month()
    registered = timezone.now() - datetime.timedelta(days=90)
    visited = timezone.make_aware(datetime.datetime.combine(month.replace(day=10), datetime.time(10)))
    rooms = {}
    for on, room in ((building, "101"), (building, "102"), (building, "103"), (other_building, "201")):
        rooms[room] = HouseholdFactory(building=on, unit=1, room=room)
    Household.objects.update(created_at=registered)
    for room in ("101", "201"):
        VisitFactory(household=rooms[room], logged_by=grid_worker, visited_at=visited)
    refresh_visit_statuses()
    # The beat job of the 1st, run for the street.
    report = services.stored_report_row(street, month)
    services.generate_report(report.pk)
    return month


def test_leader_drills_down_to_unvisited_households_and_downloads_the_workbook(
    phone, live_server, leader, last_month, community, grid, building
):
    sign_in(phone, "leader")
    phone.goto(phone.base_url + "/reports/")
    phone.get_by_role("heading", name=f"黄屯街道 · {last_month.year}年{last_month.month}月月度报表").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    coverage = phone.locator("#table-visit_coverage-coverage")
    assert coverage.locator('tr[data-row="total"] td[data-column="unvisited"] .report-figure').inner_text() == "2"

    coverage.get_by_role("link", name="金色嘉苑社区").click()
    phone.get_by_role("heading", name=f"金色嘉苑社区 · {last_month.year}年{last_month.month}月月度报表").wait_for()
    phone.locator("#table-visit_coverage-coverage").get_by_role("link", name="东区第一网格").click()
    phone.get_by_role("heading", name=f"东区第一网格 · {last_month.year}年{last_month.month}月月度报表").wait_for()
    row = phone.locator(f'#table-visit_coverage-coverage tr[data-row="building:{building.pk}"]')
    row.locator('td[data-column="unvisited"] a').click()

    phone.get_by_role("heading", name="未按期走访的居民户").wait_for()
    assert phone.locator("#rows-count").inner_text() == "2"
    assert sorted(phone.locator("#rows-table tbody th").all_inner_texts()) == ["3-1-102", "3-1-103"]

    phone.get_by_role("link", name="返回月度报表").click()
    phone.goto(phone.base_url + "/reports/")
    assert "生成于" in phone.locator("#report-ready").inner_text()
    with phone.expect_download() as download:
        phone.locator("#report-workbook-link").click()
    assert download.value.suggested_filename == f"黄屯街道月度报表-{last_month:%Y-%m}.xlsx"
    with open(download.value.path(), "rb") as workbook:
        book = load_workbook(io.BytesIO(workbook.read()))
    assert {"封面", "走访覆盖", "民情诉求"} <= set(book.sheetnames)
    assert StoredReport.objects.count() == 1
