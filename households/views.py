from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_POST

from .access import access_household, access_resident
from .actions import actions_for
from .models import Household
from .services import reveal_id_number
from .timeline import timeline_for

PAGE_SIZE = 20


@login_required
def household_list(request):
    return household_search(request)


def household_search(request, *, title=None, target_url=None):
    """The household search page (its results fragment for htmx) over the user's households, for ?q=.

    `household_list` links each result to the household page; a form opened without ?household= (log a visit,
    register a request …) passes its own `target_url` and `title`, and each result links to
    `<target_url>?household=<id>`.
    """
    query = request.GET.get("q", "").strip()[:50]
    households = Household.objects.none()
    if query:
        households = Household.objects.visible_to(request.user).search(query).listing()
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "households/_results.html" if request.htmx else "households/household_list.html"
    return render(request, template, {"query": query, "page": page, "title": title, "target_url": target_url})


@login_required
def household_detail(request, pk):
    household = access_household(request.user, pk)
    residents = household.residents.select_related("party_member").prefetch_related("priority_groups")
    linked = None
    if hasattr(household, "lead_role"):
        linked = household.lead_role.linked_households.select_related("building").with_head_name()
    return render(
        request,
        "households/household_detail.html",
        {
            "household": household,
            "residents": residents,
            "linked": linked,
            "can_reveal": request.user.has_perm("households.reveal_id_number"),
            "timeline": timeline_for(household, request.user),
            "actions": actions_for(household, request.user),
        },
    )


@require_POST
@login_required
@permission_required("households.reveal_id_number", raise_exception=True)
def resident_reveal_id(request, pk):
    resident = access_resident(request.user, pk)
    return render(
        request,
        "households/_id_number.html",
        {"resident": resident, "id_number": reveal_id_number(user=request.user, resident=resident)},
    )
