"""Pages for home visits: log a visit (with the registered form sections), a visit and its photo, the task
list (visit tasks and other apps' rows), the printed weekly sheet and its back-entry.

Each view: access (`access_*`, `visible_to`) → form → service → redirect or render. Resident requests' pages
are in `visits.request_views`.
"""

import datetime
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.access import can_write, require_write
from grids.access import access_building
from grids.models import Building
from households.access import access_household
from households.models import Household, head_name_of
from households.views import household_search

from . import form_sections, task_sources
from .access import access_visit
from .forms import PHOTO_FORMATS, SheetFormSet, VisitForm
from .models import ResidentRequest, Visit, VisitTask
from .policy import annotate_last_visit
from .services import log_sheet_visits, log_visit

TASK_PAGE_SIZE = 50
SHEET_DAYS_AHEAD = 7


def household_from_query(request):
    """The household named by ?household=<id>, scoped to the user; None when the parameter is absent (the view
    then shows `households.views.household_search`, each result linking back to the form)."""
    raw = request.GET.get("household", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return access_household(request.user, int(raw))


# --- Visits ----------------------------------------------------------------------------------------------


@login_required
def visit_create(request):
    household = household_from_query(request)
    require_write(request.user, "visits.add_visit")
    if household is None:
        return household_search(request, title=_("记录走访"), target_url=reverse("visit_create"))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    if data is not None:
        done = Visit.objects.filter(idempotency_key=_token(data.get("token"))).first()
        if done:
            return redirect("visit_detail", done.pk)
    form = VisitForm(data, files, household=household, user=request.user)
    sections = form_sections.bound_sections(data, files, household=household, user=request.user)
    if data is not None and all([form.is_valid(), *(section_form.is_valid() for _s, section_form in sections)]):
        visit, _created = log_visit(
            household=household,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            visited_at=form.cleaned_data["visited_at"],
            purposes=form.cleaned_data["purposes"],
            findings=form.cleaned_data["findings"],
            visitors=form.cleaned_data.get("visitors", ()),
            photo=form.cleaned_data["photo"],
            sections=[(section, section_form.cleaned_data) for section, section_form in sections],
            idempotency_key=form.cleaned_data["token"],
        )
        messages.success(request, _("走访记录已保存。"))
        return redirect("visit_detail", visit.pk)
    return render(request, "visits/visit_form.html", {"household": household, "form": form, "sections": sections})


def _token(raw):
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@require_safe
@login_required
def visit_detail(request, pk):
    visit = access_visit(request.user, pk)
    household = visit.household
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "household": household,
            "visitors": visit.visitors.all(),
            "raised": visit.requests.all(),
            "open_tasks": VisitTask.objects.open().filter(household=household).select_related("assignee"),
            "open_requests": household.requests.open().exclude(raised_in=visit).select_related("assignee"),
            "can_log": can_write(request.user, "visits.add_visit"),
        },
    )


@require_safe
@login_required
def visit_photo(request, pk):
    """The visit's photo, served only to users who may see the visit (never from a public media URL)."""
    visit = access_visit(request.user, pk)
    if not visit.photo:
        raise Http404
    extension = visit.photo.name.rsplit(".", 1)[-1].lower()
    content_types = {ext: f"image/{'jpeg' if ext == 'jpg' else ext}" for ext in PHOTO_FORMATS.values()}
    if extension not in content_types:
        raise Http404
    try:
        photo = visit.photo.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(photo, content_type=content_types[extension])
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Visit tasks -----------------------------------------------------------------------------------------


@require_safe
@login_required
def visittask_list(request):
    """Open visit tasks — the user's own, or for supervisors their grids' with counts per worker — by building,
    then the user's work from other apps (`visits.task_sources`)."""
    user = request.user
    today = timezone.localdate()
    supervisor = user.supervises
    tasks = VisitTask.objects.visible_to(user).open()
    if not supervisor:
        tasks = tasks.filter(assignee=user)
    buildings = Building.objects.filter(pk__in=tasks.values("household__building")).select_related("grid")
    building_id = request.GET.get("building", "")
    if building_id.isdigit():
        tasks = tasks.filter(household__building_id=int(building_id))
    by_worker = None
    worker = request.GET.get("worker", "")
    if supervisor:
        by_worker = (
            tasks.values("assignee", "assignee__full_name", "assignee__username")
            .annotate(
                overdue=Count("pk", filter=VisitTask.objects.overdue_q(today)),
                due_today=Count("pk", filter=Q(due_on=today)),
                upcoming=Count("pk", filter=Q(due_on__gt=today)),
            )
            .order_by("-overdue", "-due_today", "assignee__full_name")
        )
        if worker == "none":
            tasks = tasks.filter(assignee__isnull=True)
        elif worker.isdigit():
            tasks = tasks.filter(assignee_id=int(worker))
    tasks = (
        tasks.with_overdue(today)
        .select_related("household__building", "assignee")
        .annotate(head_name=head_name_of("household_id"))
        .order_by("due_on", "household__building_id", "household__unit", "household__room")
    )
    page = Paginator(tasks, TASK_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/visittask_list.html",
        {
            "page": page,
            "today": today,
            "supervisor": supervisor,
            "by_worker": by_worker,
            "buildings": buildings,
            "building_id": building_id,
            "worker": worker,
            "other_rows": task_sources.rows_for(user, today),
            "can_log": can_write(user, "visits.add_visit"),
        },
    )


# --- The printed weekly sheet ----------------------------------------------------------------------------


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
    """Enter several visits from a printed sheet at once: every ticked row is saved, or none."""
    building = access_building(request.user, request.GET.get("building"))
    require_write(request.user, "visits.add_visit")
    households = {h.pk: h for h in _sheet_households(request.user, building, timezone.localdate())}
    form_kwargs = {"households": households}
    if request.method == "POST":
        batch_key = _token(request.POST.get("batch")) or uuid.uuid4()
        formset = SheetFormSet(request.POST, prefix="sheet", form_kwargs=form_kwargs)
        if formset.is_valid():
            visits = log_sheet_visits(entries=_sheet_entries(formset), by=request.user, batch_key=batch_key)
            messages.success(request, _t("已录入 %(n)s 条走访记录。") % {"n": len(visits)})
            return redirect(f"{reverse('visittask_list')}?building={building.pk}")
    else:
        batch_key = uuid.uuid4()
        initial = [{"household_id": pk} for pk in households]
        formset = SheetFormSet(prefix="sheet", initial=initial, form_kwargs=form_kwargs)
    rows = [(form, households.get(_int(form["household_id"].value()))) for form in formset]
    return render(
        request,
        "visits/visit_backfill.html",
        {"building": building, "formset": formset, "rows": rows, "batch": batch_key},
    )


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
            "findings": data["findings"],
            "purposes": [Visit.Purpose.ROUTINE],
        }
        for data in (form.cleaned_data for form in formset)
        if data.get("visited")
    ]
