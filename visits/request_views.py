"""Pages for resident requests (民情诉求): the filtered list, registering one, its page with the next steps
and the registered request-page actions, taking a step (`ResidentRequest.advance`), scheduling a check visit.

A request is called `resident_request` throughout (`request` is the HTTP request); its step is `advance`.
"""

import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_write, require_write
from core.widgets import QuickSelect
from grids.models import Grid
from households.access import household_from_query
from households.views import household_search

from . import kinds, request_actions
from .access import access_request
from .forms import RequestAdvanceForm, RequestForm
from .models import InvalidTransition, ResidentRequest
from .services import open_visit_task, register_request

REQUEST_PAGE_SIZE = 30
CHECK_WITHIN_DAYS = 3


def _assignees(request):
    if request is None:
        return get_user_model().objects.none()
    visible = ResidentRequest.objects.visible_to(request.user)
    users = get_user_model().objects.filter(pk__in=visible.values("assignee"))
    return users.only("pk", "full_name", "username").order_by("full_name")  # what the choice shows


def _grids(request):
    if request is None:
        return Grid.objects.none()
    return Grid.objects.visible_to(request.user).only("pk", "name").order_by("community__name", "name")


class RequestFilter(django_filters.FilterSet):
    ALL = _("全部")
    OPEN = "open"

    state = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=[(OPEN, _("未办结")), *ResidentRequest.State.choices],
        empty_label=ALL,
        widget=QuickSelect,
        method="filter_state",
    )
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=ResidentRequest.Category.choices, empty_label=ALL, widget=QuickSelect
    )
    urgency = django_filters.ChoiceFilter(
        label=_("紧急程度"), choices=ResidentRequest.Urgency.choices, empty_label=ALL, widget=QuickSelect
    )
    overdue = django_filters.ChoiceFilter(
        label=_("是否超时"),
        choices=[("yes", _("已超时")), ("no", _("未超时"))],
        empty_label=ALL,
        widget=QuickSelect,
        method="filter_overdue",
    )
    assignee = django_filters.ModelChoiceFilter(
        label=_("承办人"), queryset=_assignees, empty_label=ALL, widget=QuickSelect
    )
    grid = django_filters.ModelChoiceFilter(
        label=_("网格"), field_name="household__building__grid", queryset=_grids, empty_label=ALL, widget=QuickSelect
    )
    created_from = django_filters.DateFilter(
        label=_("登记日期起"), method="filter_created_from", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = ResidentRequest
        fields = ["state", "category", "urgency", "overdue", "assignee", "grid", "created_from"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-control" if isinstance(field.widget, forms.DateInput) else "form-select"

    def filter_state(self, queryset, name, value):
        if value == self.OPEN:
            return queryset.open()
        return queryset.filter(state=value)

    def filter_created_from(self, queryset, name, value):
        # From the local midnight of that day, as the workbench overview counts "registered this month".
        return queryset.filter(created_at__gte=timezone.make_aware(datetime.datetime.combine(value, datetime.time())))

    def filter_overdue(self, queryset, name, value):
        # The list's queryset is annotated with `is_overdue` (ResidentRequestQuerySet.with_overdue).
        return queryset.filter(is_overdue=value == "yes")


@require_safe
@login_required
def request_list(request):
    resident_requests = (
        ResidentRequest.objects.visible_to(request.user)
        .with_overdue(timezone.now())
        .select_related("household__building", "assignee")
        .order_by(F("closed_at").asc(nulls_first=True), "due_at", "pk")
    )
    filterset = RequestFilter(request.GET, queryset=resident_requests, request=request)
    page = Paginator(filterset.qs, REQUEST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "visits/request_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_add": can_write(request.user, "visits.add_residentrequest"),
        },
    )


@login_required
def request_create(request):
    household = household_from_query(request)
    require_write(request.user, "visits.add_residentrequest")
    if household is None:
        return household_search(request, title=_("登记民情诉求"), target_url=reverse("request_create"))
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        resident_request = register_request(
            household=household,
            by=request.user,
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
            urgency=form.cleaned_data["urgency"],
            channel=form.cleaned_data["channel"],
        )
        messages.success(request, _("诉求已登记。"))
        return redirect("request_detail", resident_request.pk)
    return render(request, "visits/request_form.html", {"household": household, "form": form})


@require_safe
@login_required
def request_detail(request, pk):
    resident_request = access_request(request.user, pk)
    steps = []
    if can_write(request.user, "visits.change_residentrequest"):
        for to_state, label in resident_request.allowed_moves():
            form = RequestAdvanceForm(resident_request=resident_request, prefix=f"move-{to_state}")
            steps.append({"to_state": to_state, "label": label, "form": form})
    return render(
        request,
        "visits/request_detail.html",
        {
            "resident_request": resident_request,
            "events": resident_request.events.select_related("by"),
            "steps": steps,
            "actions": [
                (action, action.url(resident_request))
                for action in request_actions.actions_for(resident_request, request.user)
            ],
            "State": ResidentRequest.State,
        },
    )


@require_POST
@login_required
def request_advance(request, pk):
    resident_request = access_request(request.user, pk)
    require_write(request.user, "visits.change_residentrequest")
    to_state = request.POST.get("to_state", "")
    form = RequestAdvanceForm(request.POST, resident_request=resident_request, prefix=f"move-{to_state}")
    if not form.is_valid():
        messages.error(request, _("办理信息有误，请检查后重试。"))
        return redirect("request_detail", pk)
    try:
        resident_request.advance(
            to_state,
            by=request.user,
            note=form.cleaned_data["note"],
            assignee=form.cleaned_data["assignee"],
            satisfaction=form.cleaned_data["satisfaction"],
        )
    except InvalidTransition as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已更新为“%(state)s”。") % {"state": resident_request.get_state_display()})
    return redirect("request_detail", pk)


@require_POST
@login_required
def request_schedule_check(request, pk):
    """Visits' own request-page action: a 诉求核查 visit task for the request's household, due within three
    days (the open one, if the household has it already)."""
    resident_request = access_request(request.user, pk)
    require_write(request.user, "visits.add_visittask")
    _task, created = open_visit_task(
        household=resident_request.household,
        kind=kinds.REQUEST_CHECK,
        due_on=timezone.localdate() + datetime.timedelta(days=CHECK_WITHIN_DAYS),
        note=str(resident_request)[:200],
    )
    if created:
        messages.success(request, _("已安排核查走访。"))
    else:
        messages.info(request, _("该户已有待办的核查走访。"))
    return redirect("request_detail", pk)
