"""The dispute pages mediators and the committee's managers use every day: the list of their disputes under the
room's figures, registering a dispute with its parties (residents picked with a read-only search of the
committee's community, outside persons, organisations), a dispute's page with the steps of its flow, sessions,
recusal, assignment and the deadline's one extension, and a 邻里矛盾 request turned into a dispute in one tap.

Each view: access (`access_dispute`: content only for the dispute's mediators and managers, otherwise 404) →
`require_write` → form → service (`mediation.services`, `Dispute.advance`) → redirect, or the page again with
the form's errors. Leaders and admins see the figures on `/mediation/`, never a dispute's content.
"""

import re
from dataclasses import dataclass, field

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Prefetch, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.access import can_write, require_write
from core.parsing import parse_id, parse_uuid
from core.widgets import QuickSelect
from grids.models import Community
from households.models import NATURAL_ORDER, Resident
from households.search import MAX_QUERY_LENGTH, query_words
from visits.access import access_request
from visits.models import ResidentRequest

from . import watch_views
from .access import access_dispute, access_watch_item
from .forms import (
    PARTY_SIDES,
    AssignForm,
    DisputeForm,
    ExtendForm,
    PartyForm,
    PartyFormSet,
    RecusalForm,
    SessionForm,
    carried,
    move_form,
    offered_moves,
    party_households,
    party_residents,
)
from .models import (
    MANAGE_PERMISSION,
    Dispute,
    DisputeMediator,
    DisputeType,
    EarlySign,
    InvalidDisputeMove,
    Mediator,
    Party,
    committees_of,
)
from .services import (
    assign_mediator,
    conclude_failure,
    conclude_success,
    extend_deadline,
    record_session,
    recuse,
    register_dispute,
    register_dispute_from_request,
)
from .statistics import statistics_context

VIEW_PERMISSION = "mediation.view_dispute"
ADD_PERMISSION = "mediation.add_dispute"
CHANGE_PERMISSION = "mediation.change_dispute"
SESSION_PERMISSION = "mediation.add_mediationsession"
PAGE_SIZE = 25
SEARCH_LIMIT = 10
PARTY_PREFIX = re.compile(r"(applicant|respondent)-\d{1,2}")


# --- The list --------------------------------------------------------------------------------------------------


class DisputeFilter(django_filters.FilterSet):
    ALL = gettext_lazy("全部")
    OPEN = "open"
    OVERDUE = "overdue"

    state = django_filters.ChoiceFilter(
        label=gettext_lazy("状态"),
        choices=[(OPEN, gettext_lazy("未结案")), (OVERDUE, gettext_lazy("已逾期")), *Dispute.State.choices],
        empty_label=ALL,
        method="filter_state",
        widget=QuickSelect,
    )
    dispute_type = django_filters.ChoiceFilter(
        label=gettext_lazy("纠纷类型"), choices=DisputeType.choices, empty_label=ALL, widget=QuickSelect
    )
    risk = django_filters.ChoiceFilter(
        label=gettext_lazy("风险等级"), choices=Dispute.Risk.choices, empty_label=ALL, widget=QuickSelect
    )

    class Meta:
        model = Dispute
        fields = ["state", "dispute_type", "risk"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_field in self.form.fields.values():
            filter_field.widget.attrs["class"] = "form-select"

    def filter_state(self, queryset, name, value):
        if value == self.OPEN:
            return queryset.open()
        if value == self.OVERDUE:
            # The list's queryset is annotated with `is_overdue` (`DisputeQuerySet.overdue_q`).
            return queryset.filter(is_overdue=True)
        return queryset.filter(state=value)


LIST_FIELDS = ("community__name", "number", "title", "dispute_type", "risk", "state", "registered_at", "deadline")


def _listed(user, today):
    """The disputes whose content the user may read: open before closed, overdue first, then by deadline."""
    active = DisputeMediator.objects.filter(dispute=OuterRef("pk"), recused_at__isnull=True)
    return (
        Dispute.objects.visible_to(user)
        .select_related("community")
        # What a row shows (`mediation_tags.dispute_row`), not the facts and agreement texts.
        .only(*LIST_FIELDS)
        .annotate(
            is_closed=Case(
                When(state__in=Dispute.FINAL_STATES, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            is_overdue=Case(
                When(Dispute.objects.overdue_q(today), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            has_mediator=Exists(active),
        )
        .prefetch_related(Prefetch("parties", queryset=Party.objects.only("id", "dispute_id", "side", "name")))
        .order_by("is_closed", F("is_overdue").desc(), F("deadline").asc(nulls_last=True), "-registered_at", "-pk")
    )


@require_safe
@login_required
def dispute_index(request):
    """The room's figures for everyone with the mediation pages; below them, for the committee's mediators and
    managers, their disputes and a link to the watch list with its open items. Leaders and admins see the figures
    only."""
    user = request.user
    if not user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied
    context = {**statistics_context(request), "filter": None, "page": None, "watch_items": None}
    committees = list(Community.objects.filter(pk__in=committees_of(user)).values_list("pk", flat=True))
    if committees:
        today = timezone.localdate()
        filterset = DisputeFilter(request.GET, queryset=_listed(user, today))
        page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
        for dispute in page:
            _describe(dispute, today)
        context.update(filter=filterset, page=page, several_committees=len(committees) > 1)
        if user.has_perm(watch_views.VIEW_PERMISSION):
            context["watch_items"] = watch_views.open_watch_items(user)
    context["can_add"] = bool(committees) and can_write(user, ADD_PERMISSION)
    return render(request, "mediation/index.html", context)


def _describe(dispute, today):
    """What a row shows of the dispute's timing and parties (parties prefetched)."""
    _describe_timing(dispute, today)
    parties = list(dispute.parties.all())
    dispute.applicant_names = [p.name for p in parties if p.side == Party.Side.APPLICANT]
    dispute.respondent_names = [p.name for p in parties if p.side == Party.Side.RESPONDENT]


def _describe_timing(dispute, today):
    """Days overdue (`days_late`), else days left before the deadline (`days_left`) while the deadline runs."""
    dispute.days_late = dispute.days_overdue(today)
    dispute.days_left = (
        (dispute.deadline - today).days
        if dispute.deadline and dispute.state in Dispute.DEADLINE_STATES and not dispute.days_late
        else None
    )


# --- Registration ----------------------------------------------------------------------------------------------


@dataclass
class Prefill:
    """What the registration form starts with, from ?household=, ?watch=, ?applicant= or ?respondent=."""

    initial: dict = field(default_factory=dict)
    parties: dict = field(default_factory=lambda: {side: [] for side in PARTY_SIDES})
    watch: object = None


def _id(raw):
    if (value := parse_id(raw)) is None:
        raise Http404
    return value


def _first_residents(household_ids):
    """{household id: its head (else its first resident)} for these households, in one query."""
    first = {}
    for resident in Resident.objects.filter(household_id__in=household_ids):
        first.setdefault(resident.household_id, resident)
    return first


def _resident_party(resident):
    return {"kind": Party.Kind.RESIDENT, "resident": resident.pk} if resident else {}


def _prefill(request):
    """The registration's starting values; every id is scoped to the user's committees (404 outside)."""
    user, prefill = request.user, Prefill()
    if raw := request.GET.get("watch", ""):
        item = access_watch_item(user, _id(raw))
        first = _first_residents([item.household_a_id, item.household_b_id])
        pair = (item.household_a_id, item.household_b_id)
        signs = list(
            EarlySign.objects.filter(household_id__in=pair, other_household_id__in=pair).order_by("flagged_on", "pk")
        )
        prefill.watch = item
        prefill.parties[Party.Side.APPLICANT].append(_resident_party(first.get(item.household_a_id)))
        prefill.parties[Party.Side.RESPONDENT].append(_resident_party(first.get(item.household_b_id)))
        prefill.initial.update(
            community=item.community_id,
            source=Dispute.Source.WATCH,
            dispute_type=signs[-1].dispute_type if signs else "",
            facts="\n".join(f"{sign.flagged_on:%Y-%m-%d} {sign.description}" for sign in signs),
        )
    if raw := request.GET.get("household", ""):
        household = get_object_or_404(party_households(user).select_related("building__grid"), pk=_id(raw))
        resident = _first_residents([household.pk]).get(household.pk)
        prefill.parties[Party.Side.APPLICANT].insert(0, _resident_party(resident))
        prefill.initial.update(community=household.building.grid.community_id, grid=household.building.grid_id)
    for side in PARTY_SIDES:
        if raw := request.GET.get(side, ""):
            resident = get_object_or_404(party_residents(user), pk=_id(raw))
            prefill.parties[side].insert(0, _resident_party(resident))
    return prefill


def _page_action(data):
    """Whether a POST asks to show the page again rather than to register: ("search", "applicant-0") to find
    residents for a party block, ("add", "respondent") for one more block; None to register."""
    if data is None:
        return None
    if PARTY_PREFIX.fullmatch(data.get("search", "")):
        return "search", data["search"]
    if data.get("add", "") in PARTY_SIDES:
        return "add", data["add"]
    return None


def _carried_parties(data, side, add):
    """The party blocks of an unsaved page as initial values (and one blank block more when asked)."""
    raw = data.get(f"{side}-TOTAL_FORMS", "1")
    total = min(max(parse_id(raw) or 1, 1), PartyFormSet.max_num)
    blocks = [carried(PartyForm.base_fields, data, f"{side}-{index}") for index in range(total)]
    if add and total < PartyFormSet.max_num:
        blocks.append({})
    return blocks


def search_parties(user, query):
    """Up to `SEARCH_LIMIT` households of the user's committees matching the query, each with its residents in
    `people` (names and rooms only), and whether there were more."""
    if not query_words(query):
        return [], False
    households = list(
        party_households(user)
        .search(query)
        .select_related("building__grid")
        .order_by(*NATURAL_ORDER)[: SEARCH_LIMIT + 1]
    )
    more, households = len(households) > SEARCH_LIMIT, households[:SEARCH_LIMIT]
    people = {}
    for resident in Resident.objects.filter(household__in=households).only("id", "name", "relation", "household_id"):
        people.setdefault(resident.household_id, []).append(resident)
    for household in households:
        household.people = people.get(household.pk, [])
    return households, more


def _committees(user):
    committees = list(Community.objects.filter(pk__in=committees_of(user)).order_by("name"))
    if not committees:
        raise PermissionDenied
    return committees


@login_required
def dispute_create(request):
    """Register a dispute. A POST either registers (token: once), or — a party search or one more party block
    asked for without JavaScript — shows the page again with what was typed, checking nothing yet."""
    user = request.user
    require_write(user, ADD_PERMISSION)
    committees = _committees(user)
    prefill = _prefill(request)
    if prefill.watch is not None and prefill.watch.dispute_id:
        messages.info(request, _("该矛盾关注事项已转为调解案件。"))
        return redirect("dispute_detail", prefill.watch.dispute_id)
    data = request.POST if request.method == "POST" else None
    if data is not None:
        token = parse_uuid(data.get("token"))
        done = Dispute.objects.filter(token=token).first() if token else None
        if done:
            return redirect("dispute_detail", done.pk)
    options = {
        "committees": committees,
        "manages": user.has_perm(MANAGE_PERMISSION),
        "watch": prefill.watch is not None,
    }
    residents = party_residents(user)
    action = _page_action(data)
    if data is not None and action is None:
        form = DisputeForm(data, **options)
        applicants = PartyFormSet(data, side=Party.Side.APPLICANT, residents=residents)
        respondents = PartyFormSet(data, side=Party.Side.RESPONDENT, residents=residents, against=applicants)
        if all([form.is_valid(), applicants.is_valid(), respondents.is_valid()]):
            try:
                dispute = _register(user, form, applicants, respondents, prefill.watch)
            except InvalidDisputeMove as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("已登记 %(number)s") % {"number": dispute.number})
                return redirect("dispute_detail", dispute.pk)
    else:
        if data is None:
            form, blocks = DisputeForm(initial=prefill.initial, **options), prefill.parties
        else:
            form, blocks = _shown_again(data, action, options)
        applicants = PartyFormSet(initial=blocks[Party.Side.APPLICANT], side=Party.Side.APPLICANT, residents=residents)
        respondents = PartyFormSet(
            initial=blocks[Party.Side.RESPONDENT], side=Party.Side.RESPONDENT, residents=residents
        )
        if action and action[0] == "search":
            _show_results(user, data, action[1], [*applicants, *respondents])
    return render(
        request,
        "mediation/dispute_form.html",
        {
            "form": form,
            "sides": [(_("申请人"), applicants), (_("被申请人"), respondents)],
            "watch": prefill.watch,
            # Back from a registration that saved nothing: say so above the marked fields.
            "has_errors": data is not None and action is None,
        },
    )


def _shown_again(data, action, options):
    """The dispute form and the party blocks of an unsaved page, with what was typed as initial values."""
    form = DisputeForm(**options)
    values = {name: value for name, value in carried(form.fields, data, None).items() if value}
    if parse_uuid(values.pop("token", "")) is not None:
        values["token"] = data["token"]  # the same registration: a double submit still registers once
    form.initial.update(values)
    return form, {side: _carried_parties(data, side, action == ("add", side)) for side in PARTY_SIDES}


def _show_results(user, data, prefix, party_forms):
    """Residents found for one party block, shown in that block (the page without JavaScript)."""
    query = data.get(f"{prefix}-query", "").strip()[:MAX_QUERY_LENGTH]
    for party_form in party_forms:
        if party_form.prefix == prefix:
            party_form.results, party_form.more_results = search_parties(user, query)
            party_form.searched = bool(query)


def _register(user, form, applicants, respondents, watch):
    data = form.cleaned_data
    community = data["community"]
    parties = applicants.parties() + respondents.parties()
    grid = data["grid"]
    if grid is None:
        households = [party.resident.household for party in parties if party.resident and party.side == "applicant"]
        grids = [h.building.grid for h in households if h.building.grid.community_id == community.pk]
        grid = grids[0] if grids else None
    mediators = list(data.get("mediators") or ())
    if not mediators:
        # A mediator who registers a dispute mediates it (and so may open it afterwards).
        mediators = list(Mediator.objects.filter(user=user, community=community, is_active=True)[:1])
    return register_dispute(
        community=community,
        by=user,
        parties=parties,
        mediators=mediators,
        token=data["token"],
        watch_item=watch,
        grid=grid,
        dispute_type=data["dispute_type"],
        source=data["source"],
        risk=data["risk"],
        title=data["title"].strip(),
        facts=data["facts"].strip(),
        matters=data["matters"].strip(),
    )


@require_safe
@login_required
def dispute_party_search(request):
    """Residents of the committee's community for a party block: an htmx fragment of radio buttons that fill the
    block's resident (`?party=applicant-0&q=…`), or, without JavaScript, a page whose results open the
    registration with that resident. Read-only, names and rooms only."""
    require_write(request.user, ADD_PERMISSION)
    party = request.GET.get("party", "")
    if not PARTY_PREFIX.fullmatch(party):
        party = request.GET.get("search", "")
        party = party if PARTY_PREFIX.fullmatch(party) else "applicant-0"
    query = (request.GET.get("q") or request.GET.get(f"{party}-query", "")).strip()[:MAX_QUERY_LENGTH]
    households, more = search_parties(request.user, query)
    context = {"query": query, "households": households, "more": more, "field": f"{party}-resident"}
    template = "mediation/_party_results.html" if request.htmx else "mediation/party_search.html"
    return render(request, template, context)


# --- A dispute's page ------------------------------------------------------------------------------------------


def _manages(user, dispute):
    """Whether the user manages the dispute's committee (and so assigns mediators and names replacements)."""
    return can_write(user, MANAGE_PERMISSION) and Dispute.objects.managed_by(user).filter(pk=dispute.pk).exists()


def _assignments(dispute):
    """The dispute's mediators: active ones first (the lead first), then the recused."""
    assignments = dispute.assignments.select_related("mediator", "assigned_by")
    return sorted(assignments, key=lambda a: (a.recused_at is not None, not a.is_lead, a.assigned_at, a.pk))


def _render_detail(request, dispute, bound=None):
    """The dispute's page; `bound` holds a submitted form with its errors, by key ("move-accepted", "recusal",
    "assign", "extend"), shown open in place of the blank one."""
    user, bound = request.user, bound or {}
    today = timezone.localdate()
    assignments = _assignments(dispute)
    manages = _manages(user, dispute)
    may_change = can_write(user, CHANGE_PERMISSION) and dispute.is_open
    mine = [a for a in assignments if a.recused_at is None and a.mediator.user_id == user.pk]
    moves = []
    if may_change:
        for to_state, label in offered_moves(dispute):
            key = f"move-{to_state}"
            moves.append({"to_state": to_state, "label": label, "form": bound.get(key) or move_form(to_state)})
    forms = {}
    active = [a for a in assignments if a.recused_at is None]
    if may_change and active and (manages or mine):
        forms["recusal"] = bound.get("recusal") or RecusalForm(
            dispute=dispute, assignments=assignments, user=user, manages=manages, prefix="recusal"
        )
    if may_change and manages:
        forms["assign"] = bound.get("assign") or AssignForm(dispute=dispute, assignments=assignments, prefix="assign")
    if may_change and (dispute.can_extend or "extend" in bound):
        forms["extend"] = bound.get("extend") or ExtendForm(prefix="extend")
    parties = list(dispute.parties.select_related("household__building"))
    _describe_timing(dispute, today)
    return render(
        request,
        "mediation/dispute_detail.html",
        {
            "dispute": dispute,
            "applicants": [p for p in parties if p.side == Party.Side.APPLICANT],
            "respondents": [p for p in parties if p.side == Party.Side.RESPONDENT],
            "assignments": assignments,
            "sessions": dispute.sessions.select_related("recorded_by").prefetch_related("mediators"),
            "follow_ups": dispute.follow_ups.select_related("assignee", "done_by"),
            "events": dispute.events.select_related("by"),
            "moves": moves,
            "forms": forms,
            "bound": bound,
            "may_record_session": may_change
            and can_write(user, SESSION_PERMISSION)
            and dispute.state in Dispute.DEADLINE_STATES,
        },
    )


@require_safe
@login_required
def dispute_detail(request, pk):
    return _render_detail(request, access_dispute(request.user, pk))


def _closed(request, dispute):
    """A redirect with a message when the dispute is closed (rejected or 结案) and can no longer change."""
    if dispute.is_open:
        return None
    messages.error(request, _("本案已“%(state)s”，不能再办理。") % {"state": dispute.get_state_display()})
    return redirect("dispute_detail", dispute.pk)


@require_POST
@login_required
def dispute_advance(request, pk):
    dispute = access_dispute(request.user, pk)
    require_write(request.user, CHANGE_PERMISSION)
    to_state = request.POST.get("to_state", "")
    if to_state not in dict(offered_moves(dispute)):
        if (dispute.state, to_state) in Dispute.MOVES:
            # 开始回访 and 协议未履行，重新调解 follow from a recorded follow-up.
            messages.error(request, _("这一步随回访办理：请在回访中登记协议是否履行。"))
        else:
            messages.error(request, " ".join(Dispute.invalid_move(dispute, to_state).messages))
        return redirect("dispute_detail", pk)
    form = move_form(to_state, request.POST)
    if form.is_valid():
        step = form.step()
        try:
            if to_state == Dispute.State.SUCCEEDED:
                conclude_success(dispute, by=request.user, **step)
            elif to_state == Dispute.State.FAILED:
                conclude_failure(dispute, by=request.user, **step)
            else:
                dispute.advance(to_state, by=request.user, **step)
        except InvalidDisputeMove as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("已更新为“%(state)s”。") % {"state": dispute.get_state_display()})
            return redirect("dispute_detail", pk)
    return _render_detail(request, dispute, {f"move-{to_state}": form})


@login_required
def session_create(request, pk):
    dispute = access_dispute(request.user, pk)
    require_write(request.user, SESSION_PERMISSION)
    data = request.POST if request.method == "POST" else None
    if data is not None:
        token = parse_uuid(data.get("token"))
        done = dispute.sessions.filter(token=token).first() if token else None
        if done:
            return redirect(_session_url(done))
    if dispute.state not in Dispute.DEADLINE_STATES:
        messages.error(request, _("只有已受理、调解中的案件可以记录调解。"))
        return redirect("dispute_detail", pk)
    form = SessionForm(data, dispute=dispute)
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        try:
            session = record_session(
                dispute,
                by=request.user,
                mediators=cleaned["mediators"],
                token=cleaned["token"],
                held_on=cleaned["held_on"],
                place=cleaned["place"].strip(),
                attendees=cleaned["attendees"].strip(),
                record=cleaned["record"].strip(),
                next_step=cleaned["next_step"].strip(),
            )
        except InvalidDisputeMove as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("调解记录已保存。"))
            return redirect(_session_url(session))
    return render(request, "mediation/session_form.html", {"dispute": dispute, "form": form})


def _session_url(session):
    return f"{reverse('dispute_detail', args=[session.dispute_id])}#session-{session.pk}"


@require_POST
@login_required
def dispute_recuse(request, pk):
    """A mediator steps aside (回避); a manager may name the replacement. A mediator who recuses themselves no
    longer sees the dispute: they are sent to their list."""
    user = request.user
    dispute = access_dispute(user, pk)
    require_write(user, CHANGE_PERMISSION)
    if refused := _closed(request, dispute):
        return refused
    assignments = _assignments(dispute)
    manages = _manages(user, dispute)
    form = RecusalForm(
        request.POST, dispute=dispute, assignments=assignments, user=user, manages=manages, prefix="recusal"
    )
    if form.is_valid():
        assignment = form.cleaned_data["assignment"]
        try:
            new = recuse(
                assignment, reason=form.recusal_reason(), by=user, replacement=form.cleaned_data.get("replacement")
            )
        except InvalidDisputeMove as error:
            form.add_error(None, error.messages)
        else:
            if not Dispute.objects.visible_to(user).filter(pk=dispute.pk).exists():
                messages.success(
                    request, _("您已回避 %(number)s，将由调解委员会另行指派调解员。") % {"number": dispute.number}
                )
                return redirect("mediation_index")
            text = _("%(mediator)s 已回避。") % {"mediator": assignment.mediator.name}
            if new:
                text += _("由 %(mediator)s 接替。") % {"mediator": new.mediator.name}
            messages.success(request, text)
            return redirect("dispute_detail", pk)
    return _render_detail(request, dispute, {"recusal": form})


@require_POST
@login_required
def dispute_assign(request, pk):
    user = request.user
    dispute = access_dispute(user, pk)
    require_write(user, MANAGE_PERMISSION)
    if not _manages(user, dispute):
        raise PermissionDenied
    if refused := _closed(request, dispute):
        return refused
    form = AssignForm(request.POST, dispute=dispute, assignments=_assignments(dispute), prefix="assign")
    if form.is_valid():
        mediator = form.cleaned_data["mediator"]
        try:
            assign_mediator(dispute, mediator, by=user, lead=form.cleaned_data["lead"])
        except InvalidDisputeMove as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("已指派 %(mediator)s。") % {"mediator": mediator.name})
            return redirect("dispute_detail", pk)
    return _render_detail(request, dispute, {"assign": form})


@require_POST
@login_required
def dispute_extend(request, pk):
    dispute = access_dispute(request.user, pk)
    require_write(request.user, CHANGE_PERMISSION)
    if refused := _closed(request, dispute):
        return refused
    form = ExtendForm(request.POST, prefix="extend")
    if form.is_valid():
        try:
            extend_deadline(
                dispute,
                by=request.user,
                reason=form.cleaned_data["reason"],
                parties_consent=form.cleaned_data["parties_consent"],
            )
        except InvalidDisputeMove as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("调解期限已延长至 %(deadline)s。") % {"deadline": f"{dispute.deadline:%Y-%m-%d}"}
            )
            return redirect("dispute_detail", pk)
    return _render_detail(request, dispute, {"extend": form})


# --- From a resident request -----------------------------------------------------------------------------------


@require_POST
@login_required
def dispute_from_request(request, pk):
    """Mediation's request-page action: a 邻里矛盾 request becomes a dispute of its household's committee in one
    tap (once: a second tap opens the dispute it became). For the committee's managers."""
    user = request.user
    resident_request = access_request(user, pk)
    require_write(user, ADD_PERMISSION)
    if resident_request.category != ResidentRequest.Category.NEIGHBOUR:
        raise Http404
    community_id = resident_request.household.building.grid.community_id
    if not committees_of(user).filter(pk=community_id).exists():
        raise PermissionDenied
    try:
        dispute, created = register_dispute_from_request(resident_request, by=user)
    except InvalidDisputeMove as error:
        messages.error(request, " ".join(error.messages))
        return redirect("request_detail", pk)
    if created:
        messages.success(request, _("已转为调解案件 %(number)s。") % {"number": dispute.number})
    else:
        messages.info(request, _("该诉求已转为调解案件 %(number)s。") % {"number": dispute.number})
    if Dispute.objects.visible_to(user).filter(pk=dispute.pk).exists():
        return redirect("dispute_detail", dispute.pk)
    return redirect("request_detail", pk)
