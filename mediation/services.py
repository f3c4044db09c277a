"""What changes a dispute, each in one transaction: registration with its number, assignment and recusal of
mediators, the deadline's one extension, sessions, the outcome with its follow-ups, follow-up results, and the
early signs flagged on home visits with the watch items they raise.

Views check access (`mediation.access`) and permission (`accounts.access.require_write`) and then call these.
"""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from core.broker import enqueue

from . import tasks
from .models import (
    Dispute,
    DisputeCounter,
    DisputeMediator,
    DisputeType,
    EarlySign,
    FollowUp,
    InvalidDisputeMove,
    MediationSession,
    Party,
    WatchItem,
    add_months,
)

# Follow-ups after an agreement without a performance deadline: after a week and after a month.
DEFAULT_FOLLOW_UP_DAYS = (7, 30)
EXTENSION_MONTHS = 1


@dataclass
class PartyData:
    """One party as the registration form collected it (see `Party` for the fields)."""

    side: str
    kind: str
    name: str
    resident: object = None
    gender: str = ""
    age: int | None = None
    occupation: str = ""
    address: str = ""
    phone: str = ""
    representative: str = ""
    claims: str = ""

    def to_party(self, dispute):
        household = self.resident.household if self.resident else None
        return Party(
            dispute=dispute,
            side=self.side,
            kind=self.kind,
            resident=self.resident,
            household=household,
            name=self.name,
            gender=self.gender,
            age=self.age,
            occupation=self.occupation,
            address=self.address,
            phone=self.phone,
            representative=self.representative,
            claims=self.claims,
        )


def party_from_resident(resident, *, side, claims="", occupation=""):
    """A party's particulars copied from a resident: name, gender, age, the household's address and phone."""
    household = resident.household
    building = household.building
    address = _("%(community)s%(building)s号楼%(unit)s单元%(room)s室") % {
        "community": building.grid.community.name,
        "building": building.number,
        "unit": household.unit,
        "room": household.room,
    }
    return PartyData(
        side=side,
        kind=Party.Kind.RESIDENT,
        name=resident.name,
        resident=resident,
        gender=resident.gender,
        age=resident.age,
        occupation=occupation,
        address=address,
        phone=resident.phone or household.phone,
        claims=claims,
    )


def next_sequence(community, year):
    """The committee's next number for the year. Locks the counter row until the caller's transaction ends, so
    concurrent registrations get consecutive numbers and never the same one."""
    try:
        with transaction.atomic():
            counter, _created = DisputeCounter.objects.select_for_update().get_or_create(community=community, year=year)
    except IntegrityError:
        # Another registration created the year's counter at the same moment: take its lock instead.
        counter = DisputeCounter.objects.select_for_update().get(community=community, year=year)
    DisputeCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return counter.last


def register_dispute(*, community, by, parties, mediators=(), at=None, token=None, watch_item=None, **fields):
    """Register a dispute (登记) with its parties and any mediators assigned at once, and number it.

    `fields` are the Dispute's own fields (dispute_type, source, risk, title, facts, matters, grid,
    resident_request). A resubmitted form (same `token`) registers nothing twice: the dispute it registered is
    returned. A `watch_item` the dispute grew from is linked to it. A red or orange risk notifies the
    committee's managers once the transaction commits.
    """
    at = at or timezone.now()
    if not any(party.side == Party.Side.APPLICANT for party in parties):
        raise InvalidDisputeMove(_("请至少登记一名申请人。"))
    if token and (done := Dispute.objects.filter(token=token).first()):
        return done
    try:
        return _register(community, by, parties, mediators, at, token, watch_item, fields)
    except IntegrityError:
        # The same form submitted twice at once: the first registration holds the token (and its number).
        done = Dispute.objects.filter(token=token).first() if token else None
        if done is None:
            raise
        return done


def _register(community, by, parties, mediators, at, token, watch_item, fields):
    year = timezone.localtime(at).year
    with transaction.atomic():
        sequence = next_sequence(community, year)
        dispute = Dispute.objects.create(
            community=community,
            year=year,
            sequence=sequence,
            number=Dispute.format_number(year, sequence),
            registered_at=at,
            registered_by=by,
            token=token,
            **fields,
        )
        Party.objects.bulk_create([party.to_party(dispute) for party in parties])
        for lead, mediator in enumerate(mediators):
            DisputeMediator.objects.create(dispute=dispute, mediator=mediator, is_lead=lead == 0, assigned_by=by)
        dispute.record_move("", Dispute.State.REGISTERED, by=by, at=at, note="")
        if watch_item is not None:
            WatchItem.objects.filter(pk=watch_item.pk, dispute__isnull=True).update(dispute=dispute)
        if dispute.risk in (Dispute.Risk.RED, Dispute.Risk.ORANGE):
            enqueue(tasks.notify_risk, dispute.pk)
    return dispute


def register_dispute_from_request(resident_request, *, by):
    """Turn a 邻里矛盾 resident request into a dispute in one step (source 居民诉求转入): the household's head is
    the applicant, the request's text the facts and the claim, risk yellow. A request becomes one dispute: a
    second call, or two at once, gets the dispute it became. Returns (dispute, created)."""
    done = Dispute.objects.filter(resident_request=resident_request).first()
    if done:
        return done, False
    household = resident_request.household
    applicant = household.residents.select_related("household__building__grid__community").first()
    if applicant is None:
        raise InvalidDisputeMove(_("该户没有登记居民，无法确定申请人。"))
    text = resident_request.description.strip()
    try:
        dispute = register_dispute(
            community=household.building.grid.community,
            grid=household.building.grid,
            by=by,
            parties=[party_from_resident(applicant, side=Party.Side.APPLICANT, claims=text)],
            dispute_type=DisputeType.NEIGHBOUR,
            source=Dispute.Source.REQUEST,
            risk=Dispute.Risk.YELLOW,
            title=Truncator(_("邻里矛盾：%(text)s") % {"text": text}).chars(
                Dispute._meta.get_field("title").max_length
            ),
            facts=text,
            resident_request=resident_request,
        )
    except IntegrityError:
        done = Dispute.objects.filter(resident_request=resident_request).first()
        if done is None:
            raise
        return done, False
    return dispute, True


def assign_mediator(dispute, mediator, *, by, lead=False):
    """Assign a mediator of the dispute's committee (idempotent: an active assignment is kept)."""
    if mediator.community_id != dispute.community_id or not mediator.is_active:
        raise InvalidDisputeMove(_("只能分派本调解委员会在岗的调解员。"))
    with transaction.atomic():
        assignment = DisputeMediator.objects.filter(dispute=dispute, mediator=mediator, recused_at__isnull=True).first()
        if assignment is None:
            has_lead = DisputeMediator.objects.filter(dispute=dispute, is_lead=True, recused_at__isnull=True).exists()
            assignment = DisputeMediator.objects.create(
                dispute=dispute, mediator=mediator, is_lead=lead or not has_lead, assigned_by=by
            )
        if lead and not assignment.is_lead:
            DisputeMediator.objects.filter(dispute=dispute, recused_at__isnull=True).update(is_lead=False)
            DisputeMediator.objects.filter(pk=assignment.pk).update(is_lead=True)
    return assignment


def recuse(assignment, *, reason, by, replacement=None):
    """The mediator steps aside (has an interest in the dispute, or a party asked); `replacement` takes over.

    The recused mediator no longer sees the dispute. A lead's role passes to the replacement, else to the next
    active mediator, and the committee's managers are asked to assign another. Open follow-ups assigned to the
    recused mediator's user move with it."""
    reason = reason.strip()
    if not reason:
        raise InvalidDisputeMove(_("请写明回避理由。"))
    if replacement is not None and replacement.pk == assignment.mediator_id:
        raise InvalidDisputeMove(_("接替的调解员不能是回避的调解员本人。"))
    dispute = assignment.dispute
    with transaction.atomic():
        updated = DisputeMediator.objects.filter(pk=assignment.pk, recused_at__isnull=True).update(
            recused_at=timezone.now(), recusal_reason=reason, is_lead=False
        )
        if not updated:
            raise InvalidDisputeMove(_("该调解员已回避。"))
        new = assign_mediator(dispute, replacement, by=by, lead=assignment.is_lead) if replacement else None
        if assignment.is_lead and new is None:
            first = DisputeMediator.objects.filter(dispute=dispute, recused_at__isnull=True).first()
            if first:
                DisputeMediator.objects.filter(pk=first.pk).update(is_lead=True)
        recused_user = assignment.mediator.user_id
        if recused_user:
            FollowUp.objects.open().filter(dispute=dispute, assignee_id=recused_user).update(
                assignee_id=lead_mediator_user(dispute)
            )
        if new is None:  # the managers assign another
            enqueue(tasks.notify_recusal, assignment.pk)
    return new


def lead_mediator_user(dispute):
    """The user id of the dispute's lead mediator (None when the lead does not sign in)."""
    return (
        DisputeMediator.objects.filter(dispute=dispute, recused_at__isnull=True, mediator__user__isnull=False)
        .order_by("-is_lead", "assigned_at", "pk")
        .values_list("mediator__user", flat=True)
        .first()
    )


def extend_deadline(dispute, *, by, reason, parties_consent, months=EXTENSION_MONTHS):
    """Extend the mediation deadline once, with both parties' consent (若干规定 art. 33), recorded in the
    dispute's steps."""
    if not parties_consent:
        raise InvalidDisputeMove(_("延期须经双方当事人同意。"))
    reason = reason.strip()
    if not reason:
        raise InvalidDisputeMove(_("请写明延期理由。"))
    with transaction.atomic():
        current = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if not current.can_extend:
            raise InvalidDisputeMove(_("调解期限只能延长一次，且只能在受理后、调解终结前延长。"))
        today = timezone.localdate()
        current.deadline = add_months(current.deadline, months)
        current.extended_on = today
        current.extension_reason = reason
        current.escalated_at = None
        current.save(update_fields=["deadline", "extended_on", "extension_reason", "escalated_at"])
        current.record_move(
            current.state,
            current.state,
            by=by,
            at=timezone.now(),
            note=_("双方当事人同意延期至 %(deadline)s：%(reason)s") % {"deadline": current.deadline, "reason": reason},
        )
    dispute.refresh_from_db()
    return dispute


def record_session(dispute, *, by, mediators, token=None, **fields):
    """Record a mediation session; the first one moves an accepted dispute into 调解中. A resubmitted form
    (same `token`) records nothing twice."""
    with transaction.atomic():
        if token and MediationSession.objects.filter(token=token).exists():
            return MediationSession.objects.get(token=token)
        if dispute.state not in (Dispute.State.ACCEPTED, Dispute.State.MEDIATING):
            raise InvalidDisputeMove(_("只有已受理、调解中的案件可以记录调解。"))
        session = MediationSession.objects.create(dispute=dispute, recorded_by=by, token=token, **fields)
        session.mediators.set(mediators)
        if dispute.state == Dispute.State.ACCEPTED:
            dispute.advance(Dispute.State.MEDIATING, by=by, note=_("第一次调解"))
    return session


def conclude_success(dispute, *, by, note="", **outcome):
    """调解成功: record the agreement (written or oral, art. 28–29) and plan its follow-ups."""
    with transaction.atomic():
        dispute.advance(Dispute.State.SUCCEEDED, by=by, note=note, **outcome)
        plan_follow_ups(dispute)
    return dispute


def conclude_failure(dispute, *, by, escalated_to, failure_reason="", note=""):
    """调解不成: record where the dispute went (an escalation counted against the room unless nowhere)."""
    return dispute.advance(
        Dispute.State.FAILED, by=by, note=note, escalated_to=escalated_to, failure_reason=failure_reason
    )


def follow_up_dates(agreement_on, performance_deadline=None):
    """When to follow up an agreement: at the performance deadline, or 7 and 30 days after it."""
    if performance_deadline and performance_deadline > agreement_on:
        return [performance_deadline]
    return [agreement_on + datetime.timedelta(days=days) for days in DEFAULT_FOLLOW_UP_DAYS]


def plan_follow_ups(dispute):
    """Create the follow-ups of the dispute's current agreement, once (unique per agreement and round)."""
    assignee = lead_mediator_user(dispute)
    for round_, due_on in enumerate(follow_up_dates(dispute.concluded_on, dispute.performance_deadline), start=1):
        FollowUp.objects.get_or_create(
            dispute=dispute,
            agreement_on=dispute.concluded_on,
            round=round_,
            defaults={"due_on": due_on, "assignee_id": assignee},
        )


def record_follow_up(follow_up, *, by, performed, note):
    """Record a follow-up's result. Performed: the dispute enters 回访, and is closed (结案) after its last
    follow-up. Not performed: the dispute goes back to 调解中, and the agreement's other follow-ups are dropped."""
    with transaction.atomic():
        updated = FollowUp.objects.filter(pk=follow_up.pk, done_at__isnull=True).update(
            done_at=timezone.now(), done_by=by, performed=performed, note=note
        )
        if not updated:
            raise InvalidDisputeMove(_("该回访已经记录过了。"))
        dispute = Dispute.objects.get(pk=follow_up.dispute_id)
        if not performed:
            FollowUp.objects.open().filter(dispute=dispute, agreement_on=follow_up.agreement_on).delete()
            dispute.advance(Dispute.State.MEDIATING, by=by, note=_("回访：协议未履行。%(note)s") % {"note": note})
            return dispute
        if dispute.state == Dispute.State.SUCCEEDED:
            dispute.advance(Dispute.State.FOLLOW_UP, by=by, note=_("回访：协议已履行。"))
        if not FollowUp.objects.open().filter(dispute=dispute).exists():
            dispute.advance(Dispute.State.CLOSED, by=by, note=_("回访完毕，协议已履行，结案。"))
    follow_up.refresh_from_db()
    return dispute


def flag_early_sign(visit, *, other_household, dispute_type, description, by):
    """Record a 矛盾苗头 between the visited household and another; the second flag for the same pair within
    90 days raises (or refreshes) the pair's watch item. Runs inside `log_visit`'s transaction."""
    household = visit.household
    day = timezone.localdate(visit.visited_at)
    EarlySign.objects.create(
        visit=visit,
        household=household,
        other_household=other_household,
        dispute_type=dispute_type,
        description=description,
        flagged_by=by,
        flagged_on=day,
    )
    a, b = sorted([household.pk, other_household.pk])
    since = day - datetime.timedelta(days=WatchItem.WINDOW_DAYS)
    flags = EarlySign.objects.filter(
        household_id__in=(a, b), other_household_id__in=(a, b), flagged_on__gte=since
    ).count()
    if flags < 2:
        return None
    item = WatchItem.objects.open().select_for_update().filter(household_a_id=a, household_b_id=b).first()
    if item:
        WatchItem.objects.filter(pk=item.pk).update(last_flagged_on=day, flags=flags)
        return item
    return WatchItem.objects.create(
        community=household.building.grid.community,
        household_a_id=a,
        household_b_id=b,
        raised_on=day,
        last_flagged_on=day,
        flags=flags,
    )


def dismiss_watch_item(item):
    """解除关注: the committee stops watching the pair. Returns False when the item was dismissed or opened as a
    dispute already (a conditional UPDATE, so a double submit changes nothing)."""
    return bool(WatchItem.objects.filter(pk=item.pk).open().update(dismissed_at=timezone.now()))
