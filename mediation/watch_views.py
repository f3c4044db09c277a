"""Watch items (矛盾关注事项): pairs of households flagged twice within 90 days on home visits, for the committee's
mediators and managers to watch, open as a dispute (`dispute_create?watch=<id>`) or dismiss.

The list is `WatchItem.objects.visible_to(user)` (the committees the user mediates for or manages) and needs
`mediation.view_watchitem` (grid workers and leaders: 403); one item is fetched through `access_watch_item`
(404 outside); dismissing needs `mediation.change_watchitem` (managers).
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_write, require_write
from households.models import head_name_of

from .access import access_watch_item
from .models import EarlySign, WatchItem
from .services import dismiss_watch_item

VIEW_PERMISSION = "mediation.view_watchitem"
CHANGE_PERMISSION = "mediation.change_watchitem"
OPEN_PERMISSION = "mediation.add_dispute"
PAGE_SIZE = 30


def open_watch_items(user):
    """How many open watch items the user's committees have (a figure for the mediation index). One query."""
    if not user.has_perm(VIEW_PERMISSION):
        return 0
    return WatchItem.objects.visible_to(user).open().count()


@require_safe
@login_required
def watch_list(request):
    """The open watch items of the user's committees, newest flag first, each with its flags. Three queries."""
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    items = (
        WatchItem.objects.visible_to(request.user)
        .open()
        .select_related("community", "household_a__building", "household_b__building")
        .annotate(head_a=head_name_of("household_a_id"), head_b=head_name_of("household_b_id"))
        .order_by("-last_flagged_on", "-pk")
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    _attach_flags(page.object_list)
    return render(
        request,
        "mediation/watch_list.html",
        {
            "page": page,
            "may_open": can_write(request.user, OPEN_PERMISSION),
            "may_dismiss": can_write(request.user, CHANGE_PERMISSION),
        },
    )


def _attach_flags(items):
    """Give each item `flag_list`: the early signs flagged for its pair, newest first. One query."""
    by_pair = {(item.household_a_id, item.household_b_id): item for item in items}
    for item in by_pair.values():
        item.flag_list = []
    household_ids = {household_id for pair in by_pair for household_id in pair}
    if not household_ids:
        return
    signs = (
        EarlySign.objects.filter(household_id__in=household_ids, other_household_id__in=household_ids)
        .select_related("flagged_by")
        .order_by("-flagged_on", "-pk")
    )
    flags = defaultdict(list)
    for sign in signs:
        flags[tuple(sorted((sign.household_id, sign.other_household_id)))].append(sign)
    for pair, item in by_pair.items():
        item.flag_list = flags[pair]


@require_POST
@login_required
def watch_dismiss(request, pk):
    item = access_watch_item(request.user, pk)
    require_write(request.user, CHANGE_PERMISSION)
    if dismiss_watch_item(item):
        messages.success(
            request,
            _("已解除关注：%(a)s 与 %(b)s。") % {"a": item.household_a.room_code, "b": item.household_b.room_code},
        )
    else:
        messages.info(request, _("该关注事项已解除或已转为调解案件。"))
    return redirect("watch_list")
