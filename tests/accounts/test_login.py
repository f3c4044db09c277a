import subprocess
import sys

import pytest
from django.urls import reverse

from tests.factories import UserFactory


@pytest.fixture
def worker(db):
    return UserFactory(username="grid01")


def attempt(client, password):
    return client.post(reverse("login"), {"username": "grid01", "password": password}, REMOTE_ADDR="10.0.0.7")


def test_sign_in_lands_on_the_workbench(client, worker):
    response = attempt(client, "pw-test-2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench")


def test_wrong_password_shows_a_chinese_message(client, worker):
    response = attempt(client, "wrong")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_five_failures_lock_the_username_even_with_the_right_password(client, worker, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for _ in range(5):
        attempt(client, "wrong")
    response = attempt(client, "pw-test-2026")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_production_settings_refuse_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings", "DJANGO_DEBUG": "0", "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_sign_out_needs_post_and_ends_the_session(client, worker):
    client.force_login(worker)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("workbench")).status_code == 302
