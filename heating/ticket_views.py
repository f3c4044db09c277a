"""Pages for tickets to the heating company (报修单): the list (open and overdue first), a ticket's page with the
moves of its flow (`HeatingTicket.advance`) and the company's replies, and one company's open tickets as Excel.

Every ticket is fetched through `HeatingTicket.objects.visible_to` / `access_ticket`; changing one needs
`heating.change_heatingticket` and a role that writes (cadres); the export needs `heating.export_heatingticket`.
"""

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_write, require_write
from core.audit import log_export
from core.parsing import parse_id
from core.spreadsheet import SafeXLSX
from grids.models import Building

from .access import access_ticket
from .exports import ticket_dataset
from .models import HeatingCompany, HeatingTicket, InvalidTicketMove
from .services import move_ticket, record_reply
from .ticket_forms import TicketMoveForm, TicketReplyForm

TICKET_PAGE_SIZE = 30
CHANGE_PERMISSION = "heating.change_heatingticket"
EXPORT_PERMISSION = "heating.export_heatingticket"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def late_by(ticket, now):
    """How late the company is with an overdue ticket, in hours under a day, else days and hours: "超时 2 天 3 小时"."""
    if not getattr(ticket, "is_overdue", False):
        return ""
    hours = int((now - ticket.deadline_at).total_seconds() // 3600)
    if hours < 24:
        return ngettext("超时 %(h)d 小时", "超时 %(h)d 小时", max(hours, 1)) % {"h": max(hours, 1)}
    days, hours = divmod(hours, 24)
    text = ngettext("超时 %(d)d 天", "超时 %(d)d 天", days) % {"d": days}
    return text + (ngettext(" %(h)d 小时", " %(h)d 小时", hours) % {"h": hours} if hours else "")


def _visible(request):
    return HeatingTicket.objects.visible_to(request.user) if request is not None else HeatingTicket.objects.none()


def _companies(request):
    return HeatingCompany.objects.filter(pk__in=_visible(request).values("company")).order_by("name")


def _buildings(request):
    return (
        Building.objects.filter(pk__in=_visible(request).values("household__building"))
        .select_related("grid")
        .order_by("grid__name", "number")
    )


class BuildingChoiceField(django_filters.fields.ModelChoiceField):
    def label_from_instance(self, building):
        return f"{building.grid.name} {building}"


class BuildingChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = BuildingChoiceField


class TicketFilter(django_filters.FilterSet):
    ALL = gettext_lazy("全部")
    OPEN = "open"

    state = django_filters.ChoiceFilter(
        label=gettext_lazy("状态"),
        choices=[(OPEN, gettext_lazy("未结单")), *HeatingTicket.State.choices],
        empty_label=ALL,
        method="filter_state",
    )
    overdue = django_filters.ChoiceFilter(
        label=gettext_lazy("是否超时"),
        choices=[("yes", gettext_lazy("已超时")), ("no", gettext_lazy("未超时"))],
        empty_label=ALL,
        method="filter_overdue",
    )
    company = django_filters.ModelChoiceFilter(label=gettext_lazy("供热公司"), queryset=_companies, empty_label=ALL)
    building = BuildingChoiceFilter(
        label=gettext_lazy("楼宇"), field_name="household__building", queryset=_buildings, empty_label=ALL
    )

    class Meta:
        model = HeatingTicket
        fields = ["state", "overdue", "company", "building"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filter_state(self, queryset, name, value):
        return queryset.open() if value == self.OPEN else queryset.filter(state=value)

    def filter_overdue(self, queryset, name, value):
        # The list's queryset is annotated with `is_overdue` (HeatingTicketQuerySet.with_overdue).
        return queryset.filter(is_overdue=value == "yes")


@require_safe
@login_required
def ticket_list(request):
    now = timezone.now()
    is_open = Case(
        When(state__in=HeatingTicket.OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    tickets = (
        HeatingTicket.objects.visible_to(request.user)
        .with_overdue(now)
        .select_related("household__building__grid", "company")
        .order_by(is_open, F("is_overdue").desc(), F("closed_at").desc(nulls_first=True), "deadline_at", "pk")
    )
    filterset = TicketFilter(request.GET, queryset=tickets, request=request)
    page = Paginator(filterset.qs, TICKET_PAGE_SIZE).get_page(request.GET.get("page"))
    for ticket in page:
        ticket.late_by = late_by(ticket, now)
    query = request.GET.copy()
    query.pop("page", None)
    company = filterset.form.cleaned_data.get("company") if filterset.form.is_valid() else None
    return render(
        request,
        "heating/ticket_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "may_export": request.user.has_perm(EXPORT_PERMISSION),
            "export_company": company,
        },
    )


@require_safe
@login_required
def ticket_detail(request, pk):
    ticket = access_ticket(request.user, pk)
    may_change = can_write(request.user, CHANGE_PERMISSION) and ticket.is_open
    moves = []
    if may_change:
        for to_state, label in ticket.allowed_moves():
            form = TicketMoveForm(to_state=to_state, prefix=f"move-{to_state}")
            moves.append({"to_state": to_state, "label": label, "form": form})
    inspections = ticket.inspections.select_related("inspected_by").prefetch_related("readings")
    return render(
        request,
        "heating/ticket_detail.html",
        {
            "ticket": ticket,
            "late_by": late_by(ticket, timezone.now()),
            "inspections": inspections.order_by("inspected_at", "pk"),
            "events": ticket.events.select_related("by"),
            "moves": moves,
            "reply_form": TicketReplyForm(prefix="reply") if may_change else None,
        },
    )


def _error_text(form):
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@require_POST
@login_required
def ticket_advance(request, pk):
    ticket = access_ticket(request.user, pk)
    require_write(request.user, CHANGE_PERMISSION)
    to_state = request.POST.get("to_state", "")
    form = TicketMoveForm(request.POST, to_state=to_state, prefix=f"move-{to_state}")
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return redirect("ticket_detail", pk)
    try:
        move_ticket(
            ticket,
            to_state,
            by=request.user,
            note=form.cleaned_data["note"],
            company_at_fault=form.cleaned_data.get("company_at_fault"),
        )
    except InvalidTicketMove as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已更新为“%(state)s”。") % {"state": ticket.get_state_display()})
    return redirect("ticket_detail", pk)


@require_POST
@login_required
def ticket_reply(request, pk):
    ticket = access_ticket(request.user, pk)
    require_write(request.user, CHANGE_PERMISSION)
    form = TicketReplyForm(request.POST, prefix="reply")
    if not form.is_valid():
        messages.error(request, _error_text(form))
        return redirect("ticket_detail", pk)
    try:
        record_reply(ticket=ticket, by=request.user, note=form.cleaned_data["note"])
    except InvalidTicketMove as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已记录供热公司答复。"))
    return redirect("ticket_detail", pk)


@require_safe
@login_required
def ticket_export(request):
    """One company's open tickets (`?company=<id>`) that the user may see, as an Excel sheet."""
    if not request.user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    company = get_object_or_404(HeatingCompany, pk=parse_id(request.GET.get("company")))
    filename = _("%(company)s-未结供热报修单-%(date)s.xlsx") % {
        "company": company.name,
        "date": f"{timezone.localdate():%Y-%m-%d}",
    }
    tickets = ticket_dataset(company, request.user)
    log_export(request.user, "heating.heatingticket", len(tickets), request=request, company=company.pk)
    response = HttpResponse(SafeXLSX().export_data(tickets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
