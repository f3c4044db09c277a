"""Writes across rows for visits, visit tasks and resident requests. Each service runs in one transaction."""

import datetime
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from .models import RequestEvent, ResidentRequest, Visit, VisitStatus, VisitTask
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


def log_visit(
    *,
    household,
    by,
    outcome,
    visited_at=None,
    purposes=(),
    findings="",
    visitors=(),
    photo=None,
    requests=(),
    idempotency_key=None,
):
    """Record a home visit with the requests raised in it, and settle the household's visit tasks.

    Returns `(visit, created)`. A second call with the same `idempotency_key` (a double tap on a bad
    connection) creates nothing and returns the first visit.

    A visit that reached the household (met or refused) completes its open tasks whose window has opened and
    moves the household's `VisitStatus` on, so coverage counts it at once rather than after the nightly run.
    A not-at-home visit leaves them open and creates — or keeps, with a fresh window — one re-visit task
    due within the applicable policy's `revisit_days`, assigned to the person who logged the visit.
    """
    idempotency_key = idempotency_key or uuid.uuid4()
    existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing, False
    visited_at = visited_at or timezone.now()
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                household=household,
                visited_at=visited_at,
                logged_by=by,
                purposes=list(purposes),
                outcome=outcome,
                findings=findings,
                photo=photo,
                idempotency_key=idempotency_key,
            )
            visit.visitors.set({by, *visitors})
            for raised in requests:
                register_request(
                    household=household,
                    by=by,
                    category=raised.category,
                    description=raised.description,
                    urgency=raised.urgency,
                    channel=ResidentRequest.Channel.VISIT,
                    raised_in=visit,
                )
            _settle_tasks(visit, by=by)
            if visit.outcome in COUNTING_OUTCOMES:
                _record_visit_status(visit)
    except IntegrityError:
        existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing, False
    return visit, True


def _settle_tasks(visit, *, by):
    visit_day = timezone.localtime(visit.visited_at).date()
    open_tasks = VisitTask.objects.open().filter(household=visit.household_id)
    if visit.outcome in COUNTING_OUTCOMES:
        open_tasks.filter(earliest_on__lte=visit_day).update(
            state=VisitTask.State.DONE, visit=visit, completed_at=timezone.now()
        )
        return
    policy = policy_for(visit.household)
    due_on = visit_day + datetime.timedelta(days=policy.revisit_days)
    earliest_on = visit_day
    revisit = open_tasks.select_for_update().filter(reason=VisitTask.Reason.REVISIT).first()
    if revisit:
        revisit.earliest_on, revisit.due_on, revisit.escalated_at = earliest_on, due_on, None
        revisit.save(update_fields=["earliest_on", "due_on", "escalated_at"])
    else:
        VisitTask.objects.create(
            household=visit.household,
            assignee=by,
            reason=VisitTask.Reason.REVISIT,
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


def log_sheet_visits(*, entries, by, batch_key):
    """Record several visits from a printed sheet at once: all of them, or none if any fails.

    `entries` are dicts of `log_visit` keyword arguments (household, outcome, visited_at, findings...).
    Each visit's idempotency key is derived from the batch key and the household, so re-submitting the same
    sheet creates nothing new.
    """
    visits = []
    with transaction.atomic():
        for entry in entries:
            key = uuid.uuid5(batch_key, str(entry["household"].pk))
            visit, _created = log_visit(by=by, idempotency_key=key, **entry)
            visits.append(visit)
    return visits
