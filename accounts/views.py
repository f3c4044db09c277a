from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

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
