import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import second_factor
from .forms import CodeForm
from .notifications import access_notification, mark_read
from .workbench import sections_for


@login_required
def workbench(request):
    return render(request, "accounts/workbench.html", {"sections": sections_for(request)})


NOTIFICATIONS_PER_PAGE = 20


@login_required
def notification_list(request):
    page = Paginator(request.user.notifications.all(), NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one of my notifications read, then follow its link (or return to the list)."""
    notification = access_notification(request.user, pk)
    mark_read(user=request.user, pk=notification.pk)
    target = notification.url if request.POST.get("open") else request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request):
    mark_read(user=request.user)
    return redirect("notification_list")


def _next_url(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


@login_required
def login_code(request):
    """The second step of signing in: a code from the user's authenticator app."""
    next_url = _next_url(request, settings.LOGIN_REDIRECT_URL)
    if not second_factor.waiting_for_code(request):
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.verify(request, form.cleaned_data["code"]):
            return redirect(next_url)
        if second_factor.record_failure(request):
            logout(request)
            messages.error(request, _("验证码错误次数过多，请重新登录。"))
            return redirect(settings.LOGIN_URL)
        form.add_error("code", _("验证码不正确或已过期，请输入验证器应用中当前显示的验证码。"))
    return render(request, "registration/login_code.html", {"form": form, "next": next_url})


@login_required
def second_factor_setup(request):
    """Turn on two-step sign-in: scan the QR code (drawn here as an SVG) with an authenticator app, then confirm
    with a code from it. Once on, the page says so; an admin resets it from the staff account's page."""
    user = request.user
    if not user.may_use_second_factor:
        raise PermissionDenied
    context = {
        "enabled": second_factor.has_device(user),
        "required": settings.OTP_REQUIRED_FOR_SUPERUSERS and user.is_superuser,
        "next": _next_url(request, "second_factor_setup"),
    }
    if context["enabled"]:
        return render(request, "accounts/second_factor.html", context)
    device = second_factor.pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor.enrol(request, device, form.cleaned_data["code"]):
            messages.success(request, _("两步验证已启用：以后每次登录都需要输入验证器应用中的验证码。"))
            return redirect(context["next"])
        form.add_error("code", _("验证码不正确，请确认已扫描本页的二维码，并输入当前显示的验证码。"))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title=_("两步验证二维码"), svgclass="qr-code")
    context |= {"form": form, "qr_svg": mark_safe(qr), "secret": second_factor.secret_text(device)}
    return render(request, "accounts/second_factor.html", context)
