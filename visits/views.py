import datetime
import uuid

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from grids.models import Building
from households.access import access_household
from households.models import Household, Resident

from .access import access_request, access_visit, can_write, require_write
from .forms import (
    PHOTO_FORMATS,
    RaisedRequestFormSet,
    RequestForm,
    RequestMoveForm,
    SheetFormSet,
    VisitForm,
)
from .models import InvalidTransition, ResidentRequest, Visit, VisitTask
from .policy import annotate_last_visit
from .services import log_sheet_visits, log_visit, register_request

TASK_PAGE_SIZE = 50
REQUEST_PAGE_SIZE = 30
PICK_PAGE_SIZE = 20
SHEET_DAYS_AHEAD = 7
SUPERVISOR_ROLES = ("cadre", "leader", "admin")


def _household_from_query(request):
    """The household named by ?household=<id>, scoped to the user; None when the parameter is absent."""
    raw = request.GET.get("household", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return access_household(request.user, int(raw))


def _pick_household(request, *, title, target_url):
    """The household search used when a form was opened without ?household=: same search as /households/."""
    query = request.GET.get("q", "").strip()[:50]
    households = Household.objects.none()
    if query:
        households = Household.objects.visible_to(request.user).search(query).listing()
    page = Paginator(households, PICK_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"query": query, "page": page, "title": title, "target_url": target_url}
    template = "visits/_household_choices.html" if request.htmx else "visits/household_pick.html"
    return render(request, template, context)


# --- Visits ----------------------------------------------------------------------------------------------


@login_required
def visit_create(request):
    household = _household_from_query(request)
    if household is None:
        require_write(request.user, "visits.add_visit")
        return _pick_household(request, title=_("记录走访"), target_url=reverse("visit_create"))
    require_write(request.user, "visits.add_visit")
    if request.method == "POST":
        done = Visit.objects.filter(idempotency_key=_token(request.POST.get("token"))).first()
        if done:
            return redirect("visit_detail", done.pk)
        form = VisitForm(request.POST, request.FILES, household=household, user=request.user)
        raised = RaisedRequestFormSet(request.POST, prefix="req")
        if form.is_valid() and raised.is_valid():
            visit, _created = log_visit(
                household=household,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                visited_at=form.cleaned_data["visited_at"],
                purposes=form.cleaned_data["purposes"],
                findings=form.cleaned_data["findings"],
                visitors=form.cleaned_data.get("visitors", ()),
                photo=form.cleaned_data["photo"],
                requests=[f.to_raised() for f in raised if f.has_changed()],
                idempotency_key=form.cleaned_data["token"],
            )
            messages.success(request, _("走访记录已保存。"))
            return redirect("visit_detail", visit.pk)
    else:
        form = VisitForm(household=household, user=request.user)
        raised = RaisedRequestFormSet(prefix="req")
    return render(request, "visits/visit_form.html", {"household": household, "form": form, "raised": raised})


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


def _is_supervisor(user):
    return user.is_superuser or user.role in SUPERVISOR_ROLES


@require_safe
@login_required
def visittask_list(request):
    user = request.user
    today = timezone.localdate()
    supervisor = _is_supervisor(user)
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
                overdue=Count("pk", filter=Q(due_on__lt=today)),
                due_today=Count("pk", filter=Q(due_on=today)),
                upcoming=Count("pk", filter=Q(due_on__gt=today)),
            )
            .order_by("-overdue", "-due_today", "assignee__full_name")
        )
        if worker == "none":
            tasks = tasks.filter(assignee__isnull=True)
        elif worker.isdigit():
            tasks = tasks.filter(assignee_id=int(worker))
    head = _head_name_subquery()
    tasks = (
        tasks.select_related("household__building", "assignee")
        .annotate(head_name=head)
        .order_by("due_on", "household__building_id", "household__unit", "household__room")
    )
    page = Paginator(tasks, TASK_PAGE_SIZE).get_page(request.GET.get("page"))
    for task in page:
        task.bucket = "overdue" if task.due_on < today else "today" if task.due_on == today else "upcoming"
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
            "can_log": can_write(user, "visits.add_visit"),
        },
    )


def _head_name_subquery():
    head = Resident.objects.filter(household=OuterRef("household_id"), relation=Resident.Relation.HEAD)
    return Subquery(head.values("name")[:1])


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


def _sheet_building(request):
    raw = request.GET.get("building", "")
    if not raw.isdigit():
        raise Http404
    return get_object_or_404(Building.objects.visible_to(request.user).select_related("grid"), pk=int(raw))


@require_safe
@login_required
def visit_sheet(request):
    building = _sheet_building(request)
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
    building = _sheet_building(request)
    require_write(request.user, "visits.add_visit")
    households = {h.pk: h for h in _sheet_households(request.user, building, timezone.localdate())}
    if request.method == "POST":
        batch_key = _token(request.POST.get("batch")) or uuid.uuid4()
        formset = SheetFormSet(request.POST, prefix="sheet")
        if formset.is_valid():
            entries = _sheet_entries(formset, households)
            if entries is not None:
                visits = log_sheet_visits(entries=entries, by=request.user, batch_key=batch_key)
                messages.success(request, _t("已录入 %(n)s 条走访记录。") % {"n": len(visits)})
                return redirect(f"{reverse('visittask_list')}?building={building.pk}")
    else:
        batch_key = uuid.uuid4()
        formset = SheetFormSet(prefix="sheet", initial=[{"household_id": pk} for pk in households])
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


def _sheet_entries(formset, households):
    """Turn valid sheet rows into log_visit arguments; add form errors and return None when a row is wrong."""
    entries, now = [], timezone.now()
    for form in formset:
        data = form.cleaned_data
        household = households.get(data.get("household_id"))
        if household is None:
            form.add_error(None, _("该户不在本表中，请重新打开录入页。"))
            return None
        if not data.get("visited"):
            continue
        noon = timezone.make_aware(datetime.datetime.combine(data["visited_on"], datetime.time(12)))
        visited_at = max(min(noon, now), household.created_at)
        if timezone.localtime(household.created_at).date() > data["visited_on"]:
            form.add_error("visited_on", _("走访日期不能早于该户登记时间。"))
            return None
        entries.append(
            {
                "household": household,
                "outcome": data["outcome"],
                "visited_at": visited_at,
                "findings": data["findings"],
                "purposes": [Visit.Purpose.ROUTINE],
            }
        )
    return entries


# --- Resident requests -----------------------------------------------------------------------------------


def _assignees(request):
    if request is None:
        return get_user_model().objects.none()
    visible = ResidentRequest.objects.visible_to(request.user)
    return get_user_model().objects.filter(pk__in=visible.values("assignee")).order_by("full_name")


class RequestFilter(django_filters.FilterSet):
    ALL = _("全部")

    state = django_filters.ChoiceFilter(label=_("状态"), choices=ResidentRequest.State.choices, empty_label=ALL)
    category = django_filters.ChoiceFilter(label=_("类别"), choices=ResidentRequest.Category.choices, empty_label=ALL)
    urgency = django_filters.ChoiceFilter(label=_("紧急程度"), choices=ResidentRequest.Urgency.choices, empty_label=ALL)
    overdue = django_filters.ChoiceFilter(
        label=_("是否超时"),
        choices=[("yes", _("已超时")), ("no", _("未超时"))],
        empty_label=ALL,
        method="filter_overdue",
    )
    assignee = django_filters.ModelChoiceFilter(label=_("承办人"), queryset=_assignees, empty_label=ALL)

    class Meta:
        model = ResidentRequest
        fields = ["state", "category", "urgency", "overdue", "assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs["class"] = "form-select"

    def filter_overdue(self, queryset, name, value):
        overdue = Q(due_at__lt=timezone.now()) & ~Q(state=ResidentRequest.State.CLOSED)
        return queryset.filter(overdue) if value == "yes" else queryset.exclude(overdue)


@require_safe
@login_required
def request_list(request):
    requests = (
        ResidentRequest.objects.visible_to(request.user)
        .select_related("household__building", "assignee")
        .order_by(F("closed_at").asc(nulls_first=True), "due_at", "pk")
    )
    filterset = RequestFilter(request.GET, queryset=requests, request=request)
    page = Paginator(filterset.qs, REQUEST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "visits/request_list.html",
        {
            "filter": filterset,
            "page": page,
            "now": timezone.now(),
            "query": query.urlencode(),
            "can_add": can_write(request.user, "visits.add_residentrequest"),
        },
    )


@login_required
def request_create(request):
    household = _household_from_query(request)
    require_write(request.user, "visits.add_residentrequest")
    if household is None:
        return _pick_household(request, title=_("登记民情诉求"), target_url=reverse("request_create"))
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
    moves = []
    if can_write(request.user, "visits.change_residentrequest"):
        for to_state, label in resident_request.allowed_moves():
            form = RequestMoveForm(request_obj=resident_request, prefix=f"move-{to_state}")
            moves.append({"to_state": to_state, "label": label, "form": form})
    return render(
        request,
        "visits/request_detail.html",
        {
            "req": resident_request,
            "events": resident_request.events.select_related("by"),
            "moves": moves,
            "now": timezone.now(),
            "State": ResidentRequest.State,
        },
    )


@require_POST
@login_required
def request_move(request, pk):
    resident_request = access_request(request.user, pk)
    require_write(request.user, "visits.change_residentrequest")
    to_state = request.POST.get("to_state", "")
    form = RequestMoveForm(request.POST, request_obj=resident_request, prefix=f"move-{to_state}")
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
