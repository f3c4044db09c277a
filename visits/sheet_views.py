"""The printed weekly sheet of a building and its back-entry.

A grid worker (or an elderly volunteer) takes the sheet round the building on paper, ticks 见面 / 不在家 / 拒绝
per household, and someone enters the ticked rows afterwards in one form: all of them or none. The sheet's
households are the same query on paper and on the entry page, so a row entered is a row printed.
"""

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_safe

from accounts.access import can_write, require_write
from core.parsing import parse_uuid
from grids.access import access_building
from households.models import Household

from .forms import SheetFormSet
from .models import ResidentRequest, Visit, VisitTask
from .policy import annotate_last_visit
from .services import log_sheet_visits, sheet_visit_key

SHEET_DAYS_AHEAD = 7


def _sheet_households(user, building, today):
    """Households of the building with an open task due within the coming week, for the printed sheet."""
    horizon = today + datetime.timedelta(days=SHEET_DAYS_AHEAD)
    open_tasks = VisitTask.objects.open().filter(due_on__lte=horizon)
    households = (
        Household.objects.visible_to(user)
        .filter(building=building, pk__in=open_tasks.values("household"))
        .with_head_name()
        .select_related("building")
        .prefetch_related(
            Prefetch("visit_tasks", queryset=open_tasks.order_by("due_on"), to_attr="open_tasks"),
            Prefetch("requests", queryset=ResidentRequest.objects.open().order_by("due_at"), to_attr="open_requests"),
        )
        .order_by("unit", "floor", "room")
    )
    return annotate_last_visit(households)


@require_safe
@login_required
def visit_sheet(request):
    building = access_building(request.user, request.GET.get("building"))
    today = timezone.localdate()
    return render(
        request,
        "visits/visit_sheet.html",
        {
            "building": building,
            "households": _sheet_households(request.user, building, today),
            "today": today,
            "until": today + datetime.timedelta(days=SHEET_DAYS_AHEAD),
            "can_log": can_write(request.user, "visits.add_visit"),
        },
    )


@login_required
def visit_backfill(request):
    """Enter several visits from a printed sheet at once: every ticked row is saved, or none.

    The entry date defaults to today. "全部见面" (a submit button named `all_met`) re-renders the form with every
    row ticked as met, keeping what was typed; it saves nothing. When a row is wrong the page is re-rendered
    with a summary at the top (`#errors`, focused) linking to each row in error.
    """
    building = access_building(request.user, request.GET.get("building"))
    require_write(request.user, "visits.add_visit")
    today = timezone.localdate()
    households = {h.pk: h for h in _sheet_households(request.user, building, today)}
    form_kwargs = {"households": households}
    if request.method == "POST":
        batch_key = parse_uuid(request.POST.get("batch")) or uuid.uuid4()
        if "all_met" in request.POST:
            formset = SheetFormSet(
                prefix="sheet", initial=_all_met(request.POST, len(households), today), form_kwargs=form_kwargs
            )
        elif _already_saved(request.user, building, batch_key, request.POST):
            messages.info(request, _t("这张走访表已经录入过了，没有重复保存。"))
            return redirect(f"{reverse('visittask_list')}?building={building.pk}")
        else:
            formset = SheetFormSet(request.POST, prefix="sheet", form_kwargs=form_kwargs)
            if formset.is_valid():
                visits = log_sheet_visits(entries=_sheet_entries(formset), by=request.user, batch_key=batch_key)
                messages.success(request, _t("已录入 %(n)s 条走访记录。") % {"n": len(visits)})
                return redirect(f"{reverse('visittask_list')}?building={building.pk}")
    else:
        batch_key = uuid.uuid4()
        initial = [{"household_id": pk, "visited_on": today} for pk in households]
        formset = SheetFormSet(prefix="sheet", initial=initial, form_kwargs=form_kwargs)
    rows = [(form, households.get(_int(form["household_id"].value()))) for form in formset]
    errors = [(form, household) for form, household in rows if form.is_bound and form.errors]
    return render(
        request,
        "visits/visit_backfill.html",
        {
            "building": building,
            "formset": formset,
            "rows": rows,
            "errors": errors,
            "batch": batch_key,
            "today": today,
            "met": Visit.Outcome.MET,
        },
    )


def _all_met(data, row_count, today):
    """The posted rows as initial data with every row ticked as met, keeping the dates and notes typed so far
    (a row without a date gets today's)."""
    total = min(_int(data.get("sheet-TOTAL_FORMS")) or 0, row_count)
    rows = []
    for i in range(total):
        field = f"sheet-{i}-"
        rows.append(
            {
                "household_id": _int(data.get(field + "household_id")),
                "visited": True,
                "visited_on": data.get(field + "visited_on") or today,
                "outcome": Visit.Outcome.MET,
                "problem": data.get(field + "problem", ""),
            }
        )
    return rows


def _already_saved(user, building, batch_key, data):
    """Whether every ticked row of this submission was saved by an earlier submission of the same batch (a
    double tap that arrives after the first has finished, when its households have left the sheet).

    `log_sheet_visits` keys each visit with `sheet_visit_key(batch key, household id)`.
    """
    total = _int(data.get("sheet-TOTAL_FORMS")) or 0
    ticked = {
        _int(data.get(f"sheet-{i}-household_id"))
        for i in range(min(total, SheetFormSet.absolute_max))
        if data.get(f"sheet-{i}-visited")
    }
    if not ticked or None in ticked:
        return False
    keys = [sheet_visit_key(batch_key, pk) for pk in ticked]
    saved = Visit.objects.filter(
        idempotency_key__in=keys, household__building=building, household__in=Household.objects.visible_to(user)
    )
    return saved.count() == len(keys)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _sheet_entries(formset):
    """The ticked rows of a valid sheet as `log_visit` keyword arguments."""
    return [
        {
            "household": data["household"],
            "outcome": data["outcome"],
            "visited_at": data["visited_at"],
            "problem": data["problem"],
            "purposes": [Visit.Purpose.ROUTINE],
        }
        for data in (form.cleaned_data for form in formset)
        if data.get("visited")
    ]
