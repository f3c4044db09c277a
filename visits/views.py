"""Pages for home visits: log a visit (with the registered form sections), a visit and its photo, the task
list (visit tasks and other apps' rows).

Each view: access (`access_*`, `visible_to`) → form → service → redirect or render. Resident requests' pages
are in `visits.request_views`, the printed weekly sheet and its back-entry in `visits.sheet_views`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.access import can_write, require_write
from core.figures import kept
from core.offline import outbox_capable
from core.paging import CappedPaginator
from core.parsing import parse_id, parse_uuid
from grids.models import Building, Grid, scope_grid_ids
from households.access import household_from_query
from households.views import household_search

from . import day, form_sections, task_sources
from .access import access_visit
from .forms import PHOTO_FORMATS, VisitForm
from .models import Visit, VisitTask
from .services import log_visit

TASK_PAGE_SIZE = 50
# A supervisor scans the most urgent of a community's tasks: a screen or two, then the next page or a filter.
SUPERVISOR_PAGE_SIZE = 25
# A community has a hundred grid workers or more: its task list shows those with the most late tasks first.
WORKERS_SHOWN = 20


# --- Visits ----------------------------------------------------------------------------------------------


@outbox_capable
@login_required
def visit_create(request):
    household = household_from_query(request)
    require_write(request.user, "visits.add_visit")
    if household is None:
        return household_search(request, title=_("记录走访"), target_url=reverse("visit_create"))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    if data is not None:
        done = Visit.objects.filter(idempotency_key=parse_uuid(data.get("token"))).first()
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
            problem=form.cleaned_data["problem"],
            measures=form.cleaned_data["measures"],
            feedback=form.cleaned_data["feedback"],
            handling=form.cleaned_data["handling"],
            problem_category=form.cleaned_data["problem_category"],
            visitors=form.cleaned_data.get("visitors", ()),
            photo=form.cleaned_data["photo"],
            sections=[(section, section_form.cleaned_data) for section, section_form in sections],
            idempotency_key=form.cleaned_data["token"],
        )
        messages.success(request, _("走访记录已保存。"))
        return redirect("visit_detail", visit.pk)
    return render(request, "visits/visit_form.html", {"household": household, "form": form, "sections": sections})


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
    return FileResponse(photo, content_type=content_types[extension])


# --- Visit tasks -----------------------------------------------------------------------------------------


@require_safe
@login_required
def visittask_list(request):
    """Open visit tasks, then the user's work from other apps (`visits.task_sources`).

    A worker sees their day (`visits.day`): today's visits in walking order, each with its lateness in days,
    and the backlog as a figure, listed under `?view=backlog`. A supervisor sees every task of their grids, most
    urgent first (live), with per-worker figures (open, late, backlog) counted in the last few minutes
    (`core.figures.kept`: a grouped count over a community's open tasks), and a worker's day under `?worker=<id>`.
    """
    user = request.user
    today = timezone.localdate()
    supervisor = user.supervises
    tasks = VisitTask.objects.visible_to(user).open()
    if not supervisor:
        tasks = tasks.filter(assignee=user)
    # The workbench overview's figures link here: ?grid=…, ?overdue=1, ?backlog=1 (overdue or unassigned).
    grid_id = parse_id(request.GET.get("grid"))
    if grid_id:
        tasks = tasks.filter(household__building__grid_id=grid_id)
    # The buildings with open tasks to narrow the list to; a supervisor of many grids picks a grid first.
    grids, buildings = None, None
    if supervisor and not grid_id:
        grids = (
            Grid.objects.visible_to(user)
            .order_by("community__name", "name")
            .values_list("pk", "community__name", "name")
        )
    else:
        buildings = Building.objects.filter(pk__in=tasks.values("household__building")).select_related("grid")
    building_id = request.GET.get("building", "")  # as given, for the form
    building_pk = parse_id(building_id)
    if building_pk:
        tasks = tasks.filter(household__building_id=building_pk)
    if request.GET.get("overdue") == "1":
        tasks = tasks.overdue(today)
    elif request.GET.get("backlog") == "1":
        tasks = tasks.filter(VisitTask.objects.overdue_q(today) | Q(assignee__isnull=True))
    by_worker = None
    worker = request.GET.get("worker", "")
    worker_pk = parse_id(worker)
    day_of = None if supervisor else user
    counted_at = None
    if supervisor:
        scope = "all" if user.sees_everything else tuple(scope_grid_ids(user))
        filters = (grid_id, building_pk, request.GET.get("overdue") == "1", request.GET.get("backlog") == "1")
        by_worker, counted_at = kept(("per_worker", scope, filters), lambda: day.per_worker(tasks, today))
        if worker == "none":
            tasks = tasks.filter(assignee__isnull=True)
        elif worker_pk:
            tasks = tasks.filter(assignee_id=worker_pk)
            if any(row["assignee"] == worker_pk for row in by_worker):
                day_of = worker_pk  # that worker's day, as they see it
    view = request.GET.get("view", "")
    the_day = None
    listed = tasks
    if day_of is not None:
        the_day = day.day_for(day_of, tasks, today)
        listed = day.backlog(tasks, the_day) if view == "backlog" else None
    page = None
    if listed is not None:
        page_size = TASK_PAGE_SIZE if the_day else SUPERVISOR_PAGE_SIZE
        page = CappedPaginator(day.urgent_first(listed, today), page_size, counted=listed).get_page(
            request.GET.get("page")
        )
        page.object_list = day.rows_of(list(page.object_list), today)
    all_workers = request.GET.get("workers") == "all"
    query = request.GET.copy()
    for key in ("page", "view"):
        query.pop(key, None)
    return render(
        request,
        "visits/visittask_list.html",
        {
            "day": the_day,
            "view": "backlog" if the_day and view == "backlog" else "today",
            "page": page,
            "query": query.urlencode(),
            "today": today,
            "supervisor": supervisor,
            "by_worker": by_worker,
            "counted_at": counted_at,
            "grids": grids,
            "grid_id": grid_id,
            "workers": by_worker if all_workers or by_worker is None else by_worker[:WORKERS_SHOWN],
            "workers_shown": WORKERS_SHOWN,
            "all_workers": all_workers,
            "buildings": buildings,
            "building_id": building_id,
            "worker": worker,
            "other_rows": task_sources.rows_for(user, today),
            "can_log": can_write(user, "visits.add_visit"),
        },
    )
