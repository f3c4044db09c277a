"""The Django admin speaks the portal's language: its JavaScript catalogue and the third-party apps in it."""

import datetime
import io
from urllib.parse import quote
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

from tests.households.test_exports import export

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def english_admin(admin_client):
    admin_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return admin_client


def test_admin_javascript_catalogue_translates_the_picker(admin_client):
    js = admin_client.get(reverse("admin:jsi18n")).content.decode()

    # Django 5.2's SelectFilter2.js asks for these; its own zh_Hans catalogue lacks them.
    for english, chinese in [("Choose all %s", "全选%s"), ("Remove all %s", "删除全部%s"), ("Choose", "选择")]:
        assert f'"{english}": "{chinese.encode("unicode_escape").decode()}"' in js


def test_admin_index_names_the_login_protection_app_in_chinese(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "登录保护" in html
    for label in ["登录失败计数", "登录日志", "登录失败日志"]:
        assert label in html
    assert "Axes" not in html
    assert "Access attempts" not in html


def test_axes_changelists_are_in_chinese(admin_client):
    AccessAttempt.objects.create(
        username="grid01",
        ip_address="10.0.0.8",
        user_agent="Firefox",
        path_info="/accounts/login/",
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="*/*",
    )
    AccessLog.objects.create(username="grid01", ip_address="10.0.0.8", user_agent="Firefox", path_info="/")
    AccessFailureLog.objects.create(username="grid01", ip_address="10.0.0.8", user_agent="Firefox", path_info="/")

    attempts = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    logs = admin_client.get(reverse("admin:axes_accesslog_changelist")).content.decode()
    failures = admin_client.get(reverse("admin:axes_accessfailurelog_changelist")).content.decode()

    for label in ["尝试时间", "IP 地址", "浏览器标识", "用户名", "路径", "失败次数", "状态", "还可尝试 3 次", "已锁定"]:
        assert label in attempts
    for label in ["Attempt Time", "IP Address", "Failed Logins", "Attempt Remaining", "Locked Out"]:
        assert label not in attempts
    assert "退出时间" in logs and "Logout Time" not in logs
    assert "已锁定" in failures and "Access lock out" not in failures


def test_axes_change_page_fieldsets_are_in_chinese(admin_client):
    attempt = AccessAttempt.objects.create(
        username="grid01",
        ip_address="10.0.0.8",
        user_agent="Firefox",
        path_info="/accounts/login/",
        failures_since_start=5,
        get_data="",
        post_data="",
        http_accept="*/*",
    )

    html = admin_client.get(reverse("admin:axes_accessattempt_change", args=[attempt.pk])).content.decode()

    for label in ["表单数据", "请求信息", "GET 数据", "POST 数据"]:
        assert label in html
    assert "Form Data" not in html and "Meta Data" not in html


def test_axes_admin_follows_the_language_switch(english_admin):
    html = english_admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()

    assert "Attempt Time" in html
    assert "尝试时间" not in html


EXPORT_DAY = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def xlsx_rows(response):
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)


@time_machine.travel(EXPORT_DAY, tick=False)
def test_coverage_export_is_named_in_chinese_and_keeps_numbers(admin_client, household):
    response = admin_client.get(reverse("admin:grids_building_export"))

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote("楼宇覆盖-2026-12-01.xlsx")
    header, row = xlsx_rows(response)
    figures = dict(zip(header, row, strict=True))
    assert type(figures["居民户数"]) is int
    assert all(isinstance(value, int | float) for name, value in figures.items() if name.endswith("（%）"))


@time_machine.travel(EXPORT_DAY, tick=False)
@pytest.mark.parametrize(("model", "name"), [("household", "居民户"), ("resident", "居民")])
def test_household_exports_are_named_in_chinese_and_keep_numbers(admin_client, household, model, name):
    response = export(admin_client, model)

    assert response["Content-Disposition"] == "attachment; filename*=utf-8''" + quote(f"{name}-2026-12-01.xlsx")
    header, row = xlsx_rows(response)
    cells = dict(zip(header, row, strict=True))
    assert cells["单元"] == 2
    assert cells["楼层"] == 5
    if model == "household":
        assert cells["人数"] == 1


@time_machine.travel(EXPORT_DAY, tick=False)
def test_export_is_named_in_english_after_the_switch(english_admin, household):
    response = export(english_admin, "household")

    assert response["Content-Disposition"] == 'attachment; filename="Households-2026-12-01.xlsx"'
