"""Two-step sign-in (django-otp TOTP): admins and cadres enrol an authenticator app, sign-in then asks for its
code after the password, and superusers need one before the admin opens when `OTP_REQUIRED_FOR_SUPERUSERS` is on
(production's default)."""

import logging
import os
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.second_factor import secret_text
from tests.factories import UserFactory

PASSWORD = "pw-test-2026"


def code_for(device, *, offset=0):
    """The code the app shows now (`offset` steps later or earlier)."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def enrolled(user):
    return TOTPDevice.objects.create(user=user, name="手机", confirmed=True)


def sign_in(client, username, path="login"):
    return client.post(reverse(path), {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")


@pytest.fixture
def audit_log(caplog):
    logger = logging.getLogger("portal.audit")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def events(caplog):
    return [(record.getMessage(), record.audit) for record in caplog.records if record.name == "portal.audit"]


def test_the_apps_and_the_middleware_are_installed():
    assert {"django_otp", "django_otp.plugins.otp_totp"} <= set(settings.INSTALLED_APPS)
    middleware = settings.MIDDLEWARE
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert auth < middleware.index("django_otp.middleware.OTPMiddleware")


# Enrolling --------------------------------------------------------------------------------------------------


def test_a_cadre_sees_a_qr_code_drawn_on_the_server(client_for, cadre):
    response = client_for(cadre).get(reverse("second_factor_setup"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "第一步：用验证器应用扫描二维码" in page
    assert '<svg width="' in page and "<path" in page
    assert "otpauth://" not in page  # the key travels only inside the picture and as the typed secret
    device = TOTPDevice.objects.get(user=cadre)
    assert device.confirmed is False
    assert secret_text(device) in page  # for typing in when the camera will not scan


def test_reloading_the_page_keeps_the_same_key(client_for, cadre):
    client = client_for(cadre)
    client.get(reverse("second_factor_setup"))
    client.get(reverse("second_factor_setup"))

    assert TOTPDevice.objects.filter(user=cadre).count() == 1


def test_a_code_from_the_app_turns_it_on_and_verifies_the_session(client_for, cadre, audit_log):
    client = client_for(cadre)
    client.get(reverse("second_factor_setup"))
    device = TOTPDevice.objects.get(user=cadre)

    response = client.post(reverse("second_factor_setup"), {"code": code_for(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(reverse("workbench")).status_code == 200  # this session entered its code
    assert "已启用" in client.get(reverse("second_factor_setup")).content.decode()
    assert ("second_factor_enrolled", {"user": "cadre", "user_id": cadre.pk, "ip": "127.0.0.1"}) in events(audit_log)


def test_a_wrong_code_does_not_turn_it_on(client_for, cadre):
    client = client_for(cadre)
    client.get(reverse("second_factor_setup"))
    device = TOTPDevice.objects.get(user=cadre)

    response = client.post(reverse("second_factor_setup"), {"code": code_for(device, offset=5)})

    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False


@pytest.mark.parametrize("code", ["12345", "１２３４５６", "¹²³⁴⁵⁶", "abcdef"])
def test_a_code_must_be_six_ascii_digits(client_for, cadre, code):
    client = client_for(cadre)
    client.get(reverse("second_factor_setup"))

    response = client.post(reverse("second_factor_setup"), {"code": code})

    assert response.status_code == 200
    assert "请输入 6 位数字验证码" in response.content.decode()


def test_a_grid_worker_may_not_enrol(client_for, grid_worker):
    assert client_for(grid_worker).get(reverse("second_factor_setup")).status_code == 403


def test_the_menu_offers_it_to_cadres_not_to_grid_workers(client_for, cadre, grid_worker):
    assert reverse("second_factor_setup") in client_for(cadre).get(reverse("workbench")).content.decode()
    assert reverse("second_factor_setup") not in client_for(grid_worker).get(reverse("workbench")).content.decode()


# Signing in -------------------------------------------------------------------------------------------------


def test_without_a_device_the_password_is_enough(client, cadre):
    response = sign_in(client, "cadre")

    assert response["Location"] == reverse("workbench")
    assert client.get(reverse("workbench")).status_code == 200


def test_with_a_device_sign_in_asks_for_the_code_in_chinese(client, cadre):
    enrolled(cadre)
    sign_in(client, "cadre")

    held = client.get(reverse("household_list"))
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("login_code"))
    page = client.get(held["Location"]).content.decode()
    assert "两步验证" in page and "验证码" in page and "验证并登录" in page


def test_the_right_code_opens_the_page_asked_for(client, cadre, audit_log):
    device = enrolled(cadre)
    sign_in(client, "cadre")

    response = client.post(
        reverse("login_code"), {"code": code_for(device), "next": reverse("household_list")}, REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("household_list")
    assert client.get(reverse("household_list")).status_code == 200
    assert "second_factor_passed" in [event for event, _ in events(audit_log)]


def test_a_code_cannot_be_used_twice(client, cadre):
    device = enrolled(cadre)
    code = code_for(device)
    sign_in(client, "cadre")
    client.post(reverse("login_code"), {"code": code})
    client.logout()
    sign_in(client, "cadre")

    response = client.post(reverse("login_code"), {"code": code})

    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()


def test_a_wrong_code_keeps_the_session_at_the_code_page(client, cadre, audit_log):
    device = enrolled(cadre)
    sign_in(client, "cadre")

    response = client.post(reverse("login_code"), {"code": code_for(device, offset=10)})

    assert response.status_code == 200
    assert "验证码不正确或已过期" in response.content.decode()
    assert client.get(reverse("workbench")).status_code == 302
    assert ("second_factor_failed", {"user": "cadre", "user_id": cadre.pk, "ip": "127.0.0.1", "failures": 1}) in events(
        audit_log
    )


def test_five_wrong_codes_end_the_session(client, cadre):
    device = enrolled(cadre)
    sign_in(client, "cadre")
    moment = timezone.now()
    for attempt in range(5):
        # django-otp makes the device wait 1, 2, 4 … seconds after each failure: let that time pass.
        with time_machine.travel(moment + timezone.timedelta(seconds=20 * attempt), tick=False):
            response = client.post(reverse("login_code"), {"code": code_for(device, offset=10)})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("workbench"))["Location"].startswith(reverse("login"))


def test_the_admin_login_page_asks_for_the_code_too(client, cadre):
    cadre.is_staff = True
    cadre.save()
    enrolled(cadre)

    response = client.post(
        reverse("admin:login"), {"username": "cadre", "password": PASSWORD, "next": "/admin/"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302

    held = client.get("/admin/")
    assert held.status_code == 302
    assert held["Location"].startswith(reverse("login_code"))


def test_a_session_signed_in_by_force_is_held_too(client, cadre):
    enrolled(cadre)
    client.force_login(cadre)

    assert client.get(reverse("workbench"))["Location"].startswith(reverse("login_code"))
    assert client.post(reverse("logout")).status_code == 302  # signing out stays possible


# Superusers -------------------------------------------------------------------------------------------------


def test_demo_and_tests_do_not_require_it_for_the_admin(client_for, admin_user):
    assert settings.OTP_REQUIRED_FOR_SUPERUSERS is False  # debug on: the demo's admin signs in as before
    assert client_for(admin_user).get("/admin/").status_code == 200


def test_when_required_a_superuser_without_a_device_is_sent_to_enrol(client_for, admin_user, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    client = client_for(admin_user)

    response = client.get("/admin/households/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("second_factor_setup"))
    page = client.get(response["Location"]).content.decode()
    assert "超级管理员须先启用两步验证" in page
    assert client.get(reverse("workbench")).status_code == 200  # the portal itself stays open


def test_when_required_the_admin_opens_after_enrolling(client_for, admin_user, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    client = client_for(admin_user)
    client.get(reverse("second_factor_setup"))
    device = TOTPDevice.objects.get(user=admin_user)

    response = client.post(reverse("second_factor_setup"), {"code": code_for(device), "next": "/admin/"})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_when_required_a_superuser_with_a_device_must_enter_the_code(client, admin_user, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    device = enrolled(admin_user)
    client.force_login(admin_user)
    session = client.session
    del session["second_factor_required"]  # as a session from before the device existed
    session.save()

    held = client.get("/admin/")
    assert held["Location"].startswith(reverse("login_code"))
    client.post(reverse("login_code"), {"code": code_for(device)})
    assert client.get("/admin/").status_code == 200


def test_other_staff_may_open_the_admin_without_it_even_when_required(client_for, cadre, settings):
    settings.OTP_REQUIRED_FOR_SUPERUSERS = True
    cadre.is_staff = True
    cadre.save()

    assert client_for(cadre).get("/admin/").status_code == 200


def test_production_requires_it_by_default():
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-production-secret-key-long-and-random-enough-0123456789",
        "ID_NUMBER_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "DATABASE_URL": "sqlite:///:memory:",
    }
    script = "from django.conf import settings; print(settings.OTP_REQUIRED_FOR_SUPERUSERS)"

    required = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    turned_off = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "OTP_REQUIRED_FOR_SUPERUSERS": "0"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert required.stdout.strip() == "True"
    assert turned_off.stdout.strip() == "False"


# Resetting a lost phone -------------------------------------------------------------------------------------


def test_a_superuser_resets_a_lost_phone_from_the_staff_list(client_for, admin_user, cadre, audit_log):
    enrolled(cadre)

    client_for(admin_user).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [cadre.pk]},
    )

    assert not TOTPDevice.objects.filter(user=cadre).exists()
    assert (
        "second_factor_reset",
        {"user": "admin", "user_id": admin_user.pk, "ip": "127.0.0.1", "target": "cadre"},
    ) in (events(audit_log))


def test_an_admin_who_is_not_a_superuser_cannot_reset_it(client_for, cadre):
    admin = UserFactory(username="clerk", role="admin", is_staff=True)
    enrolled(cadre)

    client_for(admin).post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_second_factor", "_selected_action": [cadre.pk]}
    )

    assert TOTPDevice.objects.filter(user=cadre).exists()
