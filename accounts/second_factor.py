"""Two-step sign-in with an authenticator app (TOTP, django-otp).

Who: admins and cadres, and anyone with access to the admin (`User.may_use_second_factor`), may enrol one device
at /accounts/2fa/: a QR code drawn on the server (an SVG from segno, no outside service), then a code from the
app to confirm it (`enrol`).

Signing in: the password step is Django's, on either login page. When the user has a confirmed device,
`require_code_after_password` (on `user_logged_in`) marks the session, and `SecondFactorMiddleware` sends every
request of that session to the code page (`accounts.views.login_code`) until a code from the device is entered
(`verify`). Five wrong codes end the session; django-otp also makes a device wait longer after each failure.

Superusers: with `OTP_REQUIRED_FOR_SUPERUSERS` (on whenever debug is off) the admin opens to a superuser only after
a code in this session; one who has no device yet is sent to enrol first.
"""

import base64

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit import audit

SESSION_KEY = "second_factor_required"
FAILURES_KEY = "second_factor_failures"
MAX_FAILURES = 5
# Pages a session waiting for its code may still open.
WAITING_URL_NAMES = {"login_code", "logout", "set_language"}


def confirmed_devices(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True)


def has_device(user):
    return confirmed_devices(user).exists()


def require_code_after_password(sender, request, user, **kwargs):
    """On sign-in: a user with a confirmed device must enter a code before this session opens anything."""
    if request is not None and hasattr(request, "session") and has_device(user):
        request.session[SESSION_KEY] = True
        request.session.pop(FAILURES_KEY, None)


def waiting_for_code(request):
    return bool(request.session.get(SESSION_KEY)) and not request.user.is_verified()


def verify(request, code):
    """Check `code` against the user's devices; on success the session is verified and opens. Returns the device
    or None."""
    user = request.user
    for persistent_id in [device.persistent_id for device in confirmed_devices(user)]:
        device = verify_token(user, persistent_id, code)
        if device is not None:
            otp_login(request, device)
            request.session.pop(SESSION_KEY, None)
            request.session.pop(FAILURES_KEY, None)
            request.session.cycle_key()
            audit("second_factor_passed", user=user, request=request)
            return device
    return None


def record_failure(request):
    """Count a wrong code in this session; returns True when the session has had too many and must end."""
    failures = request.session.get(FAILURES_KEY, 0) + 1
    request.session[FAILURES_KEY] = failures
    audit("second_factor_failed", user=request.user, request=request, failures=failures)
    return failures >= MAX_FAILURES


def pending_device(user):
    """The user's device being enrolled (created on first sight, so the QR code stays the same on a reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="验证器应用", confirmed=False)


def enrol(request, device, code):
    """Confirm `device` with a code from the app: from now on every sign-in asks for one. Returns success."""
    with transaction.atomic():
        if not device.verify_token(code):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    audit("second_factor_enrolled", user=request.user, request=request)
    return True


def reset(*, by, users, request=None):
    """Remove the devices of `users` (a lost phone): they sign in with the password alone until they enrol again."""
    removed = 0
    for user in users:
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        if count:
            removed += 1
            audit("second_factor_reset", user=by, request=request, target=user.get_username())
    return removed


def secret_text(device):
    """The key as the apps' manual entry wants it: base32 in groups of four."""
    text = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _url_name(path):
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


def _with_next(url_name, request):
    return f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"


class SecondFactorMiddleware:
    """Holds a session at the code page until its code is entered; keeps superusers out of the admin until they
    have entered one (with `OTP_REQUIRED_FOR_SUPERUSERS`). Installed after django-otp's `OTPMiddleware`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            if waiting_for_code(request):
                if _url_name(request.path_info) not in WAITING_URL_NAMES:
                    return redirect(_with_next("login_code", request))
            elif self._admin_needs_code(request, user):
                if has_device(user):
                    request.session[SESSION_KEY] = True
                    return redirect(_with_next("login_code", request))
                return redirect(_with_next("second_factor_setup", request))
        return self.get_response(request)

    @staticmethod
    def _admin_needs_code(request, user):
        return (
            settings.OTP_REQUIRED_FOR_SUPERUSERS
            and user.is_superuser
            and request.path_info.startswith(reverse("admin:index"))
            and not user.is_verified()
        )
