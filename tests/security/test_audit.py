"""The audit log (core/audit.py): sign-ins, failures, lock-outs, denials, reveals and exports as JSON lines kept at
least six months; every export needs a permission of its own and is logged (who, what, how many, when)."""

import datetime
import json
import logging
import time
from logging.handlers import TimedRotatingFileHandler

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from import_export.admin import ExportMixin

from accounts.models import User
from core.audit import AuditFileHandler, JsonLinesFormatter, log_export
from tests.factories import UserFactory
from tests.heating.conftest import company, heating, season  # noqa: F401 - fixtures
from tests.heating.tickets import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_log(caplog):
    """The `portal.audit` records of the test (the logger does not propagate to the root's handlers)."""
    logger = logging.getLogger("portal.audit")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def lines(caplog, event):
    return [record.audit for record in caplog.records if record.name == "portal.audit" and record.getMessage() == event]


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.0.0.7")


# The file ---------------------------------------------------------------------------------------------------


def test_the_audit_logger_writes_json_lines_to_a_daily_file_kept_six_months():
    logger = logging.getLogger("portal.audit")
    [handler] = [handler for handler in logger.handlers if isinstance(handler, AuditFileHandler)]

    assert isinstance(handler, TimedRotatingFileHandler)
    assert handler.when == "MIDNIGHT"
    assert handler.backupCount >= 183
    assert handler.baseFilename == str(settings.AUDIT_LOG_DIR / "audit.jsonl")
    assert isinstance(handler.formatter, JsonLinesFormatter)
    assert logger.propagate is False and logger.level == logging.INFO


def test_a_line_is_one_json_object_with_time_event_and_fields():
    record = logging.LogRecord("portal.audit", logging.INFO, __file__, 1, "export", None, None)
    record.audit = {"user": "cadre", "what": "居民", "count": 3}

    line = json.loads(JsonLinesFormatter().format(record))

    assert line["event"] == "export" and line["user"] == "cadre" and line["what"] == "居民" and line["count"] == 3
    assert datetime.datetime.fromisoformat(line["at"]).tzinfo is not None


def test_several_processes_rotating_one_file_lose_no_day(tmp_path):
    """Two handlers on one file stand for two gunicorn workers: the second to pass midnight keeps the first's file."""
    path = tmp_path / "audit.jsonl"
    first, second = (AuditFileHandler(str(path), when="midnight", backupCount=190, delay=True) for _ in range(2))
    for handler in (first, second):
        handler.setFormatter(logging.Formatter("%(message)s"))

    def write(handler, text):
        handler.emit(logging.LogRecord("portal.audit", logging.INFO, __file__, 1, text, None, None))

    write(first, "day 1, worker 1")
    write(second, "day 1, worker 2")
    for handler in (first, second):
        handler.rolloverAt = int(time.time()) - 1  # midnight has passed
    write(first, "day 2, worker 1")
    write(second, "day 2, worker 2")
    first.close()
    second.close()

    [dated] = [p for p in tmp_path.iterdir() if p != path]
    assert dated.read_text().splitlines() == ["day 1, worker 1", "day 1, worker 2"]
    assert path.read_text().splitlines() == ["day 2, worker 1", "day 2, worker 2"]


# Sign-ins ---------------------------------------------------------------------------------------------------


def test_a_sign_in_is_logged_with_user_and_address(client, grid_worker, audit_log):
    sign_in(client, "grid01", "pw-test-2026")

    assert lines(audit_log, "login") == [{"user": "grid01", "user_id": grid_worker.pk, "ip": "10.0.0.7"}]


def test_a_failed_sign_in_is_logged_without_the_password(client, grid_worker, audit_log):
    sign_in(client, "grid01", "wrong-secret")

    assert lines(audit_log, "login_failed") == [{"ip": "10.0.0.7", "username": "grid01"}]
    assert "wrong-secret" not in audit_log.text


def test_a_very_long_username_is_cut_in_the_log(client, db, audit_log):
    sign_in(client, "x" * 300, "wrong")

    [line] = lines(audit_log, "login_failed")
    assert line["username"] == "x" * 150


def test_a_lock_out_is_logged(client, grid_worker, settings, audit_log):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, "grid01", "wrong")

    assert lines(audit_log, "lockout") == [{"ip": "10.0.0.7", "username": "grid01"}]


def test_a_sign_out_is_logged(client_for, grid_worker, audit_log):
    client_for(grid_worker).post(reverse("logout"))

    assert lines(audit_log, "logout") == [{"user": "grid01", "user_id": grid_worker.pk, "ip": "127.0.0.1"}]


# Denials ----------------------------------------------------------------------------------------------------


def test_a_404_to_a_signed_in_user_is_logged_without_the_query(client_for, grid_worker, other_household, audit_log):
    path = reverse("household_detail", args=[other_household.pk])

    assert client_for(grid_worker).get(path, {"q": "魏永凯"}).status_code == 404

    assert lines(audit_log, "denied") == [
        {"user": "grid01", "user_id": grid_worker.pk, "ip": "127.0.0.1", "status": 404, "method": "GET", "path": path}
    ]
    assert "魏永凯" not in audit_log.text


def test_a_403_to_a_signed_in_user_is_logged(client_for, grid_worker, household, audit_log):
    resident = household.residents.get()
    path = reverse("resident_reveal_id", args=[resident.pk])

    assert client_for(grid_worker).post(path).status_code == 403

    [line] = lines(audit_log, "denied")
    assert (line["status"], line["method"], line["path"], line["user"]) == (403, "POST", path, "grid01")


def test_pages_that_open_are_not_logged_as_denials(client_for, grid_worker, household, audit_log):
    assert client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).status_code == 200

    assert lines(audit_log, "denied") == []


# Exports ----------------------------------------------------------------------------------------------------


def test_every_admin_export_needs_its_own_permission(staff_leader_with_views):
    request = RequestFactory().get("/")
    request.user = staff_leader_with_views
    exporting = [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)]

    assert exporting
    for model_admin in exporting:
        opts = model_admin.opts
        assert staff_leader_with_views.has_perm(f"{opts.app_label}.view_{opts.model_name}"), opts.label
        assert model_admin.has_export_permission(request) is False, opts.label
        staff_leader_with_views.user_permissions.add(
            Permission.objects.get(content_type__app_label=opts.app_label, codename=f"export_{opts.model_name}")
        )
        request.user = User.objects.get(pk=staff_leader_with_views.pk)  # a fresh permission cache
        assert model_admin.has_export_permission(request) is True, opts.label


@pytest.fixture
def staff_leader_with_views(street):
    """A street leader with admin access: may view every row the admin exports, may export nothing."""
    user = UserFactory(username="clerk", role=User.Role.LEADER, is_staff=True)
    return user


@pytest.mark.parametrize("model", ["household", "resident"])
def test_seeing_households_in_the_admin_is_not_enough_to_export_them(client_for, staff_leader_with_views, model):
    client = client_for(staff_leader_with_views)

    assert client.get(reverse(f"admin:households_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:households_{model}_export")).status_code == 403


def test_the_admin_role_may_export(db):
    user = UserFactory(username="clerk", role=User.Role.ADMIN, is_staff=True)

    for codename in ["households.export_household", "households.export_resident", "grids.export_grid"]:
        assert user.has_perm(codename), codename


def test_an_admin_export_is_logged_with_who_what_and_how_many(
    client_for, admin_user, household, other_household, audit_log
):
    response = client_for(admin_user).post(
        reverse("admin:households_household_export"), {"format": 0, "resource": 0, "householdexportresource_room": "on"}
    )

    assert response.status_code == 200
    assert lines(audit_log, "export") == [
        {"user": "admin", "user_id": admin_user.pk, "ip": "127.0.0.1", "what": "households.household", "count": 2}
    ]


def test_the_coverage_export_is_logged(client_for, admin_user, grid, other_grid, audit_log):
    assert client_for(admin_user).get(reverse("admin:grids_grid_export")).status_code == 200

    [line] = lines(audit_log, "export")
    assert (line["what"], line["count"], line["user"]) == ("grids.grid", 2, "admin")


def test_the_heating_ticket_export_is_logged(client_for, cadre, heating, company, household, audit_log):  # noqa: F811
    make_ticket(household, heating, company)

    response = client_for(cadre).get(reverse("ticket_export"), {"company": company.pk})

    assert response.status_code == 200
    assert lines(audit_log, "export") == [
        {"user": "cadre", "user_id": cadre.pk, "ip": "127.0.0.1", "what": "heating.heatingticket", "count": 1,
         "company": company.pk}
    ]  # fmt: skip


def test_the_mediation_return_is_logged(client_for, cadre, audit_log):
    response = client_for(cadre).get(reverse("mediation_return"), {"month": "2026-03"})

    assert response.status_code == 200
    [line] = lines(audit_log, "export")
    assert (line["what"], line["month"], line["user"]) == ("mediation.monthly_return", "2026-03", "cadre")


def test_log_export_is_the_one_line_other_exports_call(grid_worker, audit_log):
    log_export(grid_worker, "reports.workbook", 12)

    assert lines(audit_log, "export") == [
        {"user": "grid01", "user_id": grid_worker.pk, "what": "reports.workbook", "count": 12}
    ]
