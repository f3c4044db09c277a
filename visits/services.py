"""Writes across rows for visits, visit tasks and resident requests. Each service runs in one transaction.

`log_visit` is the one way a visit is saved (the visit form, the sheet back-entry, and later apps such as
heating inspections): it checks the visit's date, completes the tasks the visit's purposes match, and runs the
registered visit-form sections' `save` inside its transaction.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.staffing import task_assignees_of

from . import kinds
from .models import RequestEvent, ResidentRequest, Visit, VisitStatus, VisitTask, validate_visit_time
from .policy import COUNTING_OUTCOMES, policy_for, visit_due_on
from .workdays import request_due_at


@dataclass(frozen=True)
class RaisedRequest:
    """A request a resident raised during a visit, before it is saved."""

    category: str
    description: str
    urgency: str = ResidentRequest.Urgency.NORMAL


def register_request(
    *, household, by, category, description, urgency=ResidentRequest.Urgency.NORMAL, channel=None, raised_in=None
):
    """Register (登记) a resident request with its deadline on the working-day calendar, and record the event.

    The response clock starts when the request enters the portal.
    """
    now = timezone.now()
    with transaction.atomic():
        request = ResidentRequest.objects.create(
            household=household,
            category=category,
            description=description,
            urgency=urgency,
            channel=channel or ResidentRequest.Channel.VISIT,
            raised_in=raised_in,
            due_at=request_due_at(urgency, now),
            created_by=by,
            created_at=now,
        )
        RequestEvent.objects.create(
            request=request, from_state="", to_state=ResidentRequest.State.REGISTERED, by=by, at=now
        )
    return request


# How a problem found on a visit is passed on: the urgency of the resident request it becomes (none on the spot).
HANDLING_URGENCY = {
    Visit.Handling.TAKEN_BACK: ResidentRequest.Urgency.NORMAL,
    Visit.Handling.REPORTED: ResidentRequest.Urgency.URGENT,
}


def log_visit(
    *,
    household,
    by,
    outcome,
    visited_at=None,
    purposes=(Visit.Purpose.ROUTINE,),
    problem="",
    measures="",
    feedback="",
    handling="",
    problem_category=ResidentRequest.Category.OTHER,
    findings="",
    visitors=(),
    photo=None,
    requests=(),
    sections=(),
    idempotency_key=None,
):
    """Record a home visit with the requests raised in it, and settle the household's visit tasks.

    The record is the worker's 问题 → 处理措施 → 反馈结果 (`problem`, `measures`, `feedback`) and how the
    problem was handled (`handling`): one taken back to the community or reported at once becomes a resident
    request of `problem_category` in the same transaction (urgent when reported at once); one solved on the spot
    does not. `findings` is the older name of `problem` (the printed sheet's back-entry still passes it).

    Returns `(visit, created)`. A second call with the same `idempotency_key` (a double tap on a bad
    connection) creates nothing and returns the first visit. Raises ValidationError when the visit may not be
    dated `visited_at` (`validate_visit_time`), or when it has a handling but no problem.

    A visit that reached the household (met or refused) completes the open tasks whose kind its purposes match
    and whose window has opened (`visits.kinds`), and moves the household's `VisitStatus` on, so coverage counts
    it at once rather than after the nightly run. A not-at-home visit of the routine cycle leaves them open
    and creates — or keeps, with a fresh window — one re-visit task due within the applicable policy's
    `revisit_days`, assigned to the person who logged the visit.

    `sections` are (VisitFormSection, cleaned data) pairs from the visit form; each section's `save(visit,
    cleaned_data)` runs inside this transaction, so a failing section saves nothing.
    """
    idempotency_key = idempotency_key or uuid.uuid4()
    existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing, False
    visited_at = visited_at or timezone.now()
    validate_visit_time(household, visited_at)
    problem = problem or findings
    if handling and (handling not in Visit.Handling.values or not problem.strip()):
        raise ValidationError(_("选择了处理方式，请写明问题。"), code="handling_without_problem")
    visit = Visit(
        household=household,
        visited_at=visited_at,
        logged_by=by,
        purposes=list(purposes),
        outcome=outcome,
        problem=problem,
        measures=measures,
        feedback=feedback,
        handling=handling,
        photo=photo,
        idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            visit.save(force_insert=True)
            visit.visitors.set({by, *visitors})
            if visit.handling in HANDLING_URGENCY:
                requests = [_problem_request(visit, problem_category), *requests]
            register_raised_requests(visit, requests)
            for section, cleaned_data in sections:
                section.save(visit, cleaned_data)
            _settle_tasks(visit, by=by)
            if visit.outcome in COUNTING_OUTCOMES:
                _record_visit_status(visit)
    except IntegrityError:
        _discard_photo(visit)
        existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    except Exception:
        _discard_photo(visit)
        raise
    return visit, True


def _discard_photo(visit):
    """Delete the photo file a rolled-back save wrote (the same visit posted twice at once: the second insert
    fails on the idempotency key after its file is on disk)."""
    if visit.photo and getattr(visit.photo, "_committed", False):
        visit.photo.delete(save=False)


def _problem_request(visit, category):
    """The resident request a problem taken back or reported becomes: the problem, with the measures taken."""
    description = visit.problem
    if visit.measures:
        description += "\n" + _("处理措施：%(measures)s") % {"measures": visit.measures}
    return RaisedRequest(
        category=category or ResidentRequest.Category.OTHER,
        description=description,
        urgency=HANDLING_URGENCY[visit.handling],
    )


def register_raised_requests(visit, requests):
    """Register the requests (`RaisedRequest`s) a resident raised during `visit`, linked to it."""
    for raised in requests:
        register_request(
            household=visit.household,
            by=visit.logged_by,
            category=raised.category,
            description=raised.description,
            urgency=raised.urgency,
            channel=ResidentRequest.Channel.VISIT,
            raised_in=visit,
        )


def save_raised_requests(visit, cleaned_data):
    """Save the visit form's raised-requests section: its filled-in rows (a formset's cleaned data, in which a
    row left empty is {})."""
    register_raised_requests(visit, [RaisedRequest(**row) for row in cleaned_data if row])


def _settle_tasks(visit, *, by):
    visit_day = timezone.localtime(visit.visited_at).date()
    open_tasks = VisitTask.objects.open().filter(household=visit.household_id)
    matched = kinds.completed_by(visit.purposes)
    if visit.outcome in COUNTING_OUTCOMES:
        open_tasks.filter(kind__in=matched, earliest_on__lte=visit_day).update(
            state=VisitTask.State.DONE, visit=visit, completed_at=timezone.now()
        )
        return
    if not set(matched) & set(kinds.routine_keys()):
        return  # a not-at-home visit for another app's purpose is that app's to follow up
    policy = policy_for(visit.household)
    due_on = visit_day + datetime.timedelta(days=policy.revisit_days)
    earliest_on = visit_day
    revisit = open_tasks.select_for_update().filter(kind=kinds.REVISIT).first()
    if revisit:
        revisit.earliest_on, revisit.due_on, revisit.escalated_at = earliest_on, due_on, None
        revisit.save(update_fields=["earliest_on", "due_on", "escalated_at"])
    else:
        VisitTask.objects.create(
            household=visit.household,
            assignee=by,
            kind=kinds.REVISIT,
            note=str(visit.get_outcome_display()),
            earliest_on=earliest_on,
            due_on=due_on,
        )


def _record_visit_status(visit):
    """Bring the household's VisitStatus up to date after a counting visit (creating it if the nightly run has
    not yet). The last visit is read back from the visits, so a back-dated entry never moves it backwards."""
    last_visited_at = Visit.objects.filter(household=visit.household_id, outcome__in=COUNTING_OUTCOMES).aggregate(
        last=Max("visited_at")
    )["last"]
    interval_days = policy_for(visit.household).interval_days
    now = timezone.now()
    VisitStatus.objects.update_or_create(
        household_id=visit.household_id,
        defaults={
            "interval_days": interval_days,
            "last_visited_at": last_visited_at,
            "due_on": visit_due_on(last_visited_at, interval_days, never=timezone.localdate(now)),
            "refreshed_at": now,
        },
    )


def sheet_visit_key(batch_key, household_id):
    """The idempotency key of one household's visit entered from a printed sheet in the batch `batch_key`."""
    return uuid.uuid5(batch_key, str(household_id))


def log_sheet_visits(*, entries, by, batch_key):
    """Record several visits from a printed sheet at once: all of them, or none if any fails.

    `entries` are dicts of `log_visit` keyword arguments (household, outcome, visited_at, findings...).
    Each visit's idempotency key is derived from the batch key and the household, so re-submitting the same
    sheet creates nothing new.
    """
    visits = []
    with transaction.atomic():
        for entry in entries:
            key = sheet_visit_key(batch_key, entry["household"].pk)
            visit, _created = log_visit(by=by, idempotency_key=key, **entry)
            visits.append(visit)
    return visits


def open_visit_task(*, household, kind, due_on, earliest_on=None, assignee=None, note=""):
    """Open a visit task of a registered `kind` for `household`, or return the one already open: at most one
    open task per (household, kind), however often this is called (a unique constraint settles a race).

    Without an `assignee` the task goes to the first of the people who get the grid's tasks (its grid workers,
    else its 网格长, else its community's cadres: `grids.staffing.task_assignees_of`); unassigned only when the
    grid has none of them. Returns `(task, created)`.
    """
    if kind not in kinds.registry:
        raise ValueError(f"Unregistered visit task kind: {kind!r}")
    existing = VisitTask.objects.open().filter(household=household, kind=kind).first()
    if existing:
        return existing, False
    if assignee is None:
        workers = task_assignees_of([household.building.grid_id]).get(household.building.grid_id)
        assignee_id = workers[0] if workers else None
    else:
        assignee_id = assignee.pk
    earliest_on = earliest_on or min(timezone.localdate(), due_on)
    try:
        with transaction.atomic():
            task = VisitTask.objects.create(
                household=household,
                kind=kind,
                assignee_id=assignee_id,
                note=note,
                earliest_on=earliest_on,
                due_on=due_on,
            )
    except IntegrityError:
        return VisitTask.objects.open().get(household=household, kind=kind), False
    return task, True
