"""Stored monthly reports: the job is idempotent and survives a worker killed mid-run, a second click while a
report runs starts nothing, progress shows on the page, the monthly beat queues every community and the street
once, and reports go to their own queue."""

import datetime
import io

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask
from openpyxl import load_workbook

from jinjiajiayuan.celery import app as celery_app
from reports import services
from reports import tasks as report_tasks  # noqa: F401 - registers the tasks the services send by name
from reports.models import STALE_AFTER, StoredReport
from tests.factories import CommunityFactory
from tests.reports.conftest import FEBRUARY, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The report jobs sent to the broker (recorded, not sent)."""
    calls = []
    monkeypatch.setattr(services, "enqueue", lambda task, *args: calls.append((task.name, *args)))
    return calls


def stored_files():
    folders, _files = default_storage.listdir("reports")
    names = []
    for month in folders:
        for node in default_storage.listdir(f"reports/{month}")[0]:
            names += [
                f"reports/{month}/{node}/{name}" for name in default_storage.listdir(f"reports/{month}/{node}")[1]
            ]
    return sorted(names)


def workbook_of(stored):
    with default_storage.open(stored.workbook.name, "rb") as file:
        return load_workbook(io.BytesIO(file.read()))


def test_the_workbook_has_a_sheet_per_section_with_chinese_headers(
    month_world, media_root, street, django_capture_on_commit_callbacks
):
    CommunityFactory(street=street, name="=1+2")
    report = services.stored_report_row(street, FEBRUARY)
    with django_capture_on_commit_callbacks(execute=True):
        services.generate_report(report.pk)
    report.refresh_from_db()
    assert (report.state, report.progress) == (StoredReport.State.DONE, 100)
    book = workbook_of(report)
    assert book.sheetnames[:4] == ["封面", "走访覆盖", "民情诉求", "党建引领"]
    assert "原村" in book.sheetnames and "党建引领" in book.sheetnames
    coverage = list(book["走访覆盖"].iter_rows(values_only=True))
    assert coverage[1][:2] == ("社区", "居民户")
    assert next(row for row in coverage if row[0] == "合计")[1] == 8
    assert any(row[0] == "'=1+2" for row in coverage)  # a name that looks like a formula stays text
    assert list(book["调解"].iter_rows(values_only=True)) == [("本月没有数据。",)]  # no dispute in February
    with default_storage.open(report.page.name) as page:
        assert "黄屯街道 · 2026年2月月度报表" in page.read().decode()


def test_generating_twice_keeps_one_stored_report_and_replaces_its_files(
    month_world, media_root, community, django_capture_on_commit_callbacks
):
    report = services.stored_report_row(community, FEBRUARY)
    with django_capture_on_commit_callbacks(execute=True):
        services.generate_report(report.pk)
        first = StoredReport.objects.get().workbook.name
        services.generate_report(report.pk)
    assert StoredReport.objects.count() == 1
    stored = StoredReport.objects.get()
    assert stored.workbook.name != first
    assert stored_files() == sorted([stored.workbook.name, stored.page.name])


def test_a_worker_killed_after_writing_the_workbook_leaves_one_report_after_the_rerun(
    month_world, media_root, community, monkeypatch, django_capture_on_commit_callbacks
):
    report = services.stored_report_row(community, FEBRUARY)
    real_render = services.render_page

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(services, "render_page", killed)
    with pytest.raises(SystemExit):
        services.generate_report(report.pk)
    half_done = StoredReport.objects.get()
    assert not half_done.workbook and half_done.state == StoredReport.State.RUNNING
    assert half_done.progress >= 90

    monkeypatch.setattr(services, "render_page", real_render)
    with django_capture_on_commit_callbacks(execute=True):
        services.generate_report(report.pk)  # the redelivered message, or the next beat
    assert StoredReport.objects.count() == 1
    done = StoredReport.objects.get()
    assert done.state == StoredReport.State.DONE
    assert workbook_of(done)["走访覆盖"]["A2"].value == "网格"


def test_a_second_click_while_the_report_runs_starts_no_second_job(month_world, community, cadre, sent):
    _report, started = services.request_report(node=community, month=FEBRUARY, by=cadre)
    _again, started_again = services.request_report(node=community, month=FEBRUARY, by=cadre)
    assert (started, started_again) == (True, False)
    assert len(sent) == 1
    with time_machine.travel(NOW + STALE_AFTER + datetime.timedelta(minutes=1), tick=False):
        _report, restarted = services.request_report(node=community, month=FEBRUARY, by=cadre)
    assert restarted and len(sent) == 2  # a job not heard from for too long is taken for dead
    assert StoredReport.objects.count() == 1


def test_the_monthly_job_queues_the_street_and_every_community_once(
    month_world, media_root, sent, django_capture_on_commit_callbacks
):
    assert services.monthly_reports() == 3
    assert services.monthly_reports() == 0  # queued already
    with django_capture_on_commit_callbacks(execute=True):
        for report in StoredReport.objects.all():
            services.generate_report(report.pk)
    assert services.monthly_reports() == 0  # done already
    assert StoredReport.objects.filter(month=FEBRUARY, state=StoredReport.State.DONE).count() == 3
    assert {name for name, *_args in sent} == {"reports.tasks.generate_report"}
    assert len(sent) == 3


def test_a_failed_job_is_recorded_and_can_be_started_again(month_world, community, cadre, sent, monkeypatch):
    from reports import tasks

    report, _started = services.request_report(node=community, month=FEBRUARY, by=cadre)
    monkeypatch.setattr(services, "compose", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.generate_report.apply(args=[report.pk], throw=True)
    report.refresh_from_db()
    assert report.state == StoredReport.State.FAILED and "division" in report.error
    assert services.request_report(node=community, month=FEBRUARY, by=cadre)[1] is True


def test_reports_go_to_their_own_queue_and_run_on_the_first_of_the_month():
    route = celery_app.amqp.router.route({}, "reports.tasks.generate_report")
    assert route["queue"].name == "reports"
    assert celery_app.amqp.router.route({}, "visits.tasks.daily_digest")["queue"].name == "celery"
    beat = PeriodicTask.objects.get(task="reports.tasks.monthly_reports")
    assert (beat.crontab.day_of_month, beat.crontab.hour, beat.queue) == ("1", "3", "reports")


def test_runjob_lists_the_monthly_reports(capsys):
    call_command("runjob", "--list")
    assert "monthly_reports" in capsys.readouterr().out


# The page: generate, progress, download ---------------------------------------------------------------------


def test_generating_from_the_page_shows_a_progress_bar_that_polls(month_world, client_for, cadre, community, sent):
    client = client_for(cadre)
    response = client.post(
        "/reports/generate/", {"node": f"community:{community.pk}", "month": "2026-02"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    stored = StoredReport.objects.get()
    assert 'id="report-progress"' in page
    assert f'data-hx-get="/reports/stored/{stored.pk}/"' in page
    StoredReport.objects.filter(pk=stored.pk).update(state=StoredReport.State.RUNNING, progress=40)
    polled = client.get(f"/reports/stored/{stored.pk}/").content.decode()
    assert 'value="40"' in polled
    again = client.post(
        "/reports/generate/", {"node": f"community:{community.pk}", "month": "2026-02"}, HTTP_HX_REQUEST="true"
    )
    assert "无需重复点击" in again.content.decode()
    assert len(sent) == 1


def test_a_finished_report_is_listed_with_its_time_and_downloads(
    month_world, media_root, client_for, cadre, community, django_capture_on_commit_callbacks
):
    report = services.stored_report_row(community, FEBRUARY)
    with django_capture_on_commit_callbacks(execute=True):
        services.generate_report(report.pk)
    client = client_for(cadre)
    page = client.get(f"/reports/?node=community:{community.pk}&month=2026-02").content.decode()
    assert "已生成" in page and "2026-03-15 10:00" in page
    assert f"/reports/stored/{report.pk}/workbook.xlsx" in page
    download = client.get(f"/reports/stored/{report.pk}/workbook.xlsx")
    assert download.status_code == 200
    assert "filename*=utf-8''" in download["Content-Disposition"]
    load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    printed = client.get(f"/reports/stored/{report.pk}/page/")
    assert "金色嘉苑社区 · 2026年2月月度报表" in printed.content.decode()
    polled = client.get(f"/reports/stored/{report.pk}/").content.decode()
    assert "data-hx-get" not in polled  # nothing left to poll


def test_stored_reports_of_other_nodes_are_404(month_world, client_for, grid_worker, community, sent):
    report = services.stored_report_row(community, FEBRUARY)
    client = client_for(grid_worker)
    for url in (f"/reports/stored/{report.pk}/", f"/reports/stored/{report.pk}/workbook.xlsx"):
        assert client.get(url).status_code == 404
    response = client.post("/reports/generate/", {"node": f"community:{community.pk}", "month": "2026-02"})
    assert response.status_code == 404
    assert sent == []
