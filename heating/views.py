"""Pages for the inspection in the home: record one (readings, valve, pipes and radiators, advice), see it with
the ticket and re-inspection task it led to, and turn a 供暖 request into an inspection task.

Each view: access (`access_*`, `visible_to`) → form → service → redirect or render. The tickets' pages are in
`heating.ticket_views`.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_write, require_write
from core.offline import outbox_capable
from core.parsing import parse_uuid
from households.access import household_from_query
from households.views import household_search
from visits.access import access_request
from visits.models import ResidentRequest, VisitTask
from visits.services import open_visit_task

from . import kinds
from .access import access_inspection
from .forms import InspectionForm, ReadingFormSet
from .models import HeatingInspection
from .services import NoCompany, NoSeason, record_inspection

ADD_INSPECTION = "heating.add_heatinginspection"


@outbox_capable
@login_required
def inspection_create(request):
    household = household_from_query(request)
    require_write(request.user, ADD_INSPECTION)
    if household is None:
        return household_search(request, title=_("入户测温"), target_url=reverse("inspection_create"))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    if data is not None:
        done = _done(request.user, data.get("token"))
        if done:
            return redirect("inspection_detail", done.pk)
    form = InspectionForm(data, files, household=household)
    readings = ReadingFormSet(data, prefix="r", household=household, inspection_form=form)
    if data is not None and all([form.is_valid(), readings.is_valid()]):
        try:
            inspection, _created = record_inspection(
                household=household,
                by=request.user,
                readings=readings.readings(),
                valve=form.cleaned_data["valve"],
                faults=form.cleaned_data["faults"],
                advice=form.cleaned_data["advice"],
                resident_can_fix=form.cleaned_data["resident_can_fix"],
                satisfaction=form.cleaned_data["satisfaction"],
                inspected_at=form.cleaned_data["inspected_at"],
                photo=form.cleaned_data["photo"],
                idempotency_key=form.cleaned_data["token"],
            )
        except NoSeason:
            form.add_error(
                None,
                _(
                    "%(community)s在 %(day)s 不在供暖季内（或尚未设置供暖季），无法记录测温。请联系管理员在后台设置供暖季。"
                )
                % {
                    "community": household.building.grid.community.name,
                    "day": timezone.localdate(form.cleaned_data["inspected_at"]).isoformat(),
                },
            )
        except NoCompany:
            form.add_error(
                None,
                _("%(building)s尚未设置供热公司，无法报修，本次测温未保存。请联系管理员在后台“楼宇供热单位”中设置。")
                % {"building": household.building},
            )
        else:
            if inspection.ticket_id:
                messages.warning(request, _("测温记录已保存，已向供热公司报修并安排复查。"))
            else:
                messages.success(request, _("测温记录已保存。"))
            return redirect("inspection_detail", inspection.pk)
    return render(
        request,
        "heating/inspection_form.html",
        {"household": household, "form": form, "readings": readings},
    )


def _done(user, raw_token):
    """The inspection already saved with this form's token (a double tap), if the user may see it."""
    token = parse_uuid(raw_token)
    if token is None:
        return None
    return HeatingInspection.objects.visible_to(user).filter(visit__idempotency_key=token).first()


@require_safe
@login_required
def inspection_detail(request, pk):
    inspection = access_inspection(request.user, pk)
    household = inspection.household
    return render(
        request,
        "heating/inspection_detail.html",
        {
            "inspection": inspection,
            "household": household,
            "readings": inspection.readings.order_by("room_type", "id"),
            "faults": [
                HeatingInspection.Fault(f).label for f in inspection.faults if f in HeatingInspection.Fault.values
            ],
            "ticket": inspection.ticket,
            "rechecks": VisitTask.objects.open()
            .filter(household=household, kind=kinds.RECHECK)
            .select_related("assignee"),
            "can_inspect": can_write(request.user, ADD_INSPECTION),
        },
    )


@require_POST
@login_required
def request_inspection_task(request, pk):
    """Heating's request-page action: a 供暖 request becomes a re-inspection task for its household, due within
    48 hours (the open one, if the household has it already)."""
    resident_request = access_request(request.user, pk)
    require_write(request.user, ADD_INSPECTION)
    if resident_request.category != ResidentRequest.Category.HEATING:
        raise Http404
    due_on = timezone.localdate(timezone.now() + datetime.timedelta(hours=kinds.RECHECK_HOURS))
    _task, created = open_visit_task(
        household=resident_request.household,
        kind=kinds.RECHECK,
        due_on=due_on,
        note=str(_("供暖诉求：%(text)s") % {"text": resident_request.description})[:200],
    )
    if created:
        messages.success(request, _("已安排入户测温，%(due)s 前完成。") % {"due": due_on.isoformat()})
    else:
        messages.info(request, _("该户已有待办的入户测温任务。"))
    return redirect("request_detail", pk)
