"""Error pages with debug off: the portal's layout, in Chinese, with the way back to the workbench.

This module is its own URLconf: the portal's URLs plus views that raise, so each handler runs as in production.
"""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import OperationalError, connections
from django.test import Client, override_settings
from django.urls import path

from jinjiajiayuan.urls import urlpatterns as portal_urlpatterns


def _raising(exception):
    def view(request):
        raise exception

    return view


urlpatterns = [
    *portal_urlpatterns,
    path("raise/400", _raising(SuspiciousOperation("a malformed request"))),
    path("raise/403", _raising(PermissionDenied)),
    path("raise/500", _raising(RuntimeError("a bug"))),
]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]

WAY_BACK = '<a class="btn btn-danger" href="/">'


@pytest.fixture
def client():
    """Like a browser: errors come back as pages instead of being raised into the test."""
    return Client(raise_request_exception=False)


def _refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("the database is down")


@override_settings(DEBUG=False)
@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/raise/400", 400, "请求有误"),
        ("/raise/403", 403, "没有权限"),
        ("/no-such-page/", 404, "页面不存在"),
        ("/raise/500", 500, "系统出错了"),
    ],
)
def test_error_page_is_chinese_with_a_way_back(client, grid_worker, url, status, heading):
    client.force_login(grid_worker)

    response = client.get(url)

    assert response.status_code == status
    text = response.content.decode()
    assert heading in text
    assert "返回工作台" in text and WAY_BACK in text
    assert "金色嘉苑社区服务门户" in text
    assert 'href="/static/css/portal.css"' in text


@override_settings(DEBUG=False)
def test_404_keeps_the_signed_in_menu(client, grid_worker):
    client.force_login(grid_worker)

    text = client.get("/no-such-page/").content.decode()

    assert "portal-nav" in text


@override_settings(DEBUG=False)
def test_404_for_anonymous_visitor_has_no_menu(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "portal-nav" not in response.content.decode()


@override_settings(DEBUG=False, ALLOWED_HOSTS=["portal.example.cn"])
def test_disallowed_host_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="attacker.example")

    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


@override_settings(DEBUG=False)
def test_expired_form_gets_the_csrf_page(grid_worker):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "grid01", "password": "pw-test-2026"})

    assert response.status_code == 403
    text = response.content.decode()
    assert "页面已过期" in text and WAY_BACK in text


@override_settings(DEBUG=False)
def test_500_page_renders_while_the_database_is_down(client, grid_worker):
    client.force_login(grid_worker)

    with connections["default"].execute_wrapper(_refuse_every_query):
        response = client.get("/")  # loading the session fails first

    assert response.status_code == 500
    text = response.content.decode()
    assert "系统出错了" in text and WAY_BACK in text
