"""Input for the dispute pages: registration with its parties, each step of the flow (a success's agreement and a
failure's destination among them), a session, a recusal, an assignment, the deadline's one extension.

Choices that depend on who asks (committees, grids, mediators, residents) are scoped in `__init__` from the
user's committees (`committees_of`) or from the dispute; a value from outside them is refused like any other
invalid input.
"""

import uuid

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.parsing import parse_id
from grids.models import Community, Grid
from households.models import Household, Resident

from .models import Dispute, DisputeMediator, DisputeType, Mediator, Party, committees_of
from .services import PartyData, party_from_resident

MAX_PARTIES_PER_SIDE = 10
PARTY_SIDES = (Party.Side.APPLICANT, Party.Side.RESPONDENT)
RECUSAL_REASON_LENGTH = 150

validate_phone = RegexValidator(r"^[0-9+\-\s]{5,20}$", _("请填写正确的联系电话（数字，可含区号连字符）。"))


def party_households(user):
    """The households whose residents the user may pick as parties: those of the communities of the committees
    the user mediates for or manages (read-only; a mediator has no grid of their own)."""
    return Household.objects.filter(building__grid__community__in=committees_of(user))


def party_residents(user):
    return Resident.objects.filter(household__in=party_households(user)).select_related(
        "household__building__grid__community"
    )


def carried(fields, data, prefix):
    """The values `data` holds for these fields of the form with this prefix (None: no prefix), as initial
    values: the page is shown again (a party search, one more party block) without being checked yet."""
    return {
        name: field.widget.value_from_datadict(data, {}, f"{prefix}-{name}" if prefix else name)
        for name, field in fields.items()
    }


def _helper():
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MediatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, mediator):
        skills = "、".join(str(label) for label in mediator.skill_labels())
        return f"{mediator}" + (_(" · 擅长%(skills)s") % {"skills": skills} if skills else "")


# --- Registration ----------------------------------------------------------------------------------------------


class DisputeForm(forms.Form):
    """The dispute itself; its parties are `PartyFormSet`s, one per side."""

    token = forms.UUIDField(label=_("提交标识"), widget=forms.HiddenInput)
    community = forms.ModelChoiceField(
        label=_("调解委员会（社区）"), queryset=Community.objects.none(), empty_label=None
    )
    dispute_type = forms.ChoiceField(label=_("纠纷类型"), choices=[("", "---------"), *DisputeType.choices])
    source = forms.ChoiceField(label=_("来源"), initial=Dispute.Source.WALK_IN)
    risk = forms.ChoiceField(
        label=_("风险等级"),
        choices=Dispute.Risk.choices,
        initial=Dispute.Risk.YELLOW,
        widget=forms.RadioSelect,
        help_text=_("红色：立即上报社区调解委员会负责人；橙色：当日处置；黄色：网格员就地化解，此处仅登记。"),
    )
    title = forms.CharField(label=_("案由"), max_length=80, help_text=_("一句话说明纠纷，如“楼上漏水致楼下受损”"))
    facts = forms.CharField(label=_("主要事实"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    matters = forms.CharField(
        label=_("争议事项"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    grid = forms.ModelChoiceField(
        label=_("网格"),
        queryset=Grid.objects.none(),
        required=False,
        empty_label=_("（按申请人所在网格）"),
        help_text=_("纠纷发生地所在网格，用于统计"),
    )
    mediators = MediatorChoiceField(
        label=_("指派调解员"),
        queryset=Mediator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("可稍后在案件页指派；勾选的第一位为主调解员"),
    )

    def __init__(self, *args, committees, manages, watch=False, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        if len(committees) == 1:
            kwargs["initial"].setdefault("community", committees[0].pk)
        super().__init__(*args, **kwargs)
        ids = [community.pk for community in committees]
        self.fields["community"].queryset = Community.objects.filter(pk__in=ids).order_by("name")
        if len(committees) == 1:
            self.fields["community"].widget = forms.HiddenInput()
        self.committee_names = ", ".join(community.name for community in committees)
        self.fields["grid"].queryset = Grid.objects.filter(community__in=ids).select_related("community")
        if len(committees) > 1:
            self.fields["grid"].label_from_instance = lambda grid: f"{grid.community.name} {grid.name}"
        sources = [Dispute.Source.REQUEST] + ([] if watch else [Dispute.Source.WATCH])
        self.fields["source"].choices = [choice for choice in Dispute.Source.choices if choice[0] not in sources]
        if manages:
            self.fields["mediators"].queryset = Mediator.objects.filter(community__in=ids, is_active=True)
        else:
            del self.fields["mediators"]
        self.helper = _helper()

    def clean(self):
        cleaned = super().clean()
        community = cleaned.get("community")
        grid = cleaned.get("grid")
        if community and grid and grid.community_id != community.pk:
            self.add_error("grid", _("所选网格不属于%(community)s。") % {"community": community.name})
        if community and any(mediator.community_id != community.pk for mediator in cleaned.get("mediators", ())):
            self.add_error("mediators", _("只能指派%(community)s调解委员会的调解员。") % {"community": community.name})
        return cleaned


class PartyForm(forms.Form):
    """One party: a resident of the committee's community picked by a search, an outside person, or an
    organisation with its representative."""

    kind = forms.ChoiceField(
        label=_("当事人类别"), choices=Party.Kind.choices, initial=Party.Kind.RESIDENT, widget=forms.RadioSelect
    )
    query = forms.CharField(
        label=_("查找本社区居民"),
        required=False,
        max_length=50,
        help_text=_("姓名、拼音首字母、手机号后四位或楼号-单元-室"),
    )
    resident = forms.ModelChoiceField(
        label=_("居民"),
        queryset=Resident.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("所选居民不在本调解委员会所在社区，请重新查找。")},
    )
    name = forms.CharField(label=_("姓名或单位名称"), required=False, max_length=80)
    gender = forms.ChoiceField(label=_("性别"), choices=[("", _("不填")), *Resident.Gender.choices], required=False)
    age = forms.IntegerField(
        label=_("年龄"),
        required=False,
        min_value=0,
        max_value=130,
        error_messages={"min_value": _("年龄不能为负数。"), "max_value": _("年龄不能超过 130 岁。")},
    )
    occupation = forms.CharField(label=_("职业"), required=False, max_length=40)
    address = forms.CharField(label=_("住址"), required=False, max_length=120)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=20, validators=[validate_phone])
    representative = forms.CharField(
        label=_("法定代表人或代理人"), required=False, max_length=40, help_text=_("当事人为单位时必填")
    )
    claims = forms.CharField(
        label=_("请求事项"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("该当事人要求什么"),
    )

    # A search typed but not followed by a pick counts: the block then asks for the pick.
    FILLED = ("query", "resident", "name", "age", "occupation", "address", "phone", "representative", "claims")

    def __init__(self, *args, residents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        # Residents found for this block when the page is shown again without JavaScript.
        self.results, self.more_results, self.searched = None, False, False
        raw = self["resident"].value()
        self.chosen = residents.filter(pk=pk).first() if (pk := parse_id(raw)) else None

    def has_changed(self):
        # The kind has a default: a block counts as filled in only when it names someone or says something.
        return any(str(self[name].value() or "").strip() for name in self.FILLED)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Party.Kind.RESIDENT:
            if not cleaned.get("resident") and "resident" not in self.errors:
                self.add_error(
                    "resident", _("请查找并选择一位本社区居民；不是本社区居民时，请改选“其他自然人”或“单位”。")
                )
        elif kind in (Party.Kind.PERSON, Party.Kind.ORGANISATION):
            if not cleaned.get("name", "").strip():
                self.add_error("name", _("请填写当事人姓名或单位名称。"))
            if kind == Party.Kind.ORGANISATION and not cleaned.get("representative", "").strip():
                self.add_error("representative", _("当事人为单位时，请填写法定代表人或代理人。"))
        return cleaned

    def party_data(self, side):
        data = self.cleaned_data
        if data["kind"] == Party.Kind.RESIDENT:
            return party_from_resident(
                data["resident"], side=side, claims=data["claims"].strip(), occupation=data["occupation"].strip()
            )
        person = data["kind"] == Party.Kind.PERSON
        return PartyData(
            side=side,
            kind=data["kind"],
            name=data["name"].strip(),
            gender=data["gender"] if person else "",
            age=data["age"] if person else None,
            occupation=data["occupation"].strip() if person else "",
            address=data["address"].strip(),
            phone=data["phone"].strip(),
            representative=data["representative"].strip() if not person else "",
            claims=data["claims"].strip(),
        )


class BasePartyFormSet(forms.BaseFormSet):
    """One side's parties. Every block is optional to the formset (a blank one is skipped, see
    `PartyForm.has_changed`) and values carried over from an unsaved page are initial values, so there are no
    "initial forms"; the side as a whole needs one party, and nobody may be on both sides."""

    REQUIRED = {
        Party.Side.APPLICANT: _("请至少登记一名申请人。"),
        Party.Side.RESPONDENT: _("请至少登记一名被申请人。"),
    }

    def __init__(self, *args, side, residents, against=None, **kwargs):
        self.side = side
        self.against = against
        super().__init__(*args, prefix=side, form_kwargs={"residents": residents}, **kwargs)
        self.extra = max(len(self.initial or ()), 1)

    def initial_form_count(self):
        return 0

    def filled(self):
        return [form for form in self.forms if form.has_changed()]

    def clean(self):
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(self.REQUIRED[self.side])
        if self.against is not None and self.against.is_valid():
            theirs = {
                form.cleaned_data["resident"].pk for form in self.against.filled() if form.cleaned_data["resident"]
            }
            if any(
                form.cleaned_data["resident"] and form.cleaned_data["resident"].pk in theirs for form in self.filled()
            ):
                raise ValidationError(_("同一位居民不能既是申请人又是被申请人。"))

    def parties(self):
        return [form.party_data(self.side) for form in self.filled()]


PartyFormSet = forms.formset_factory(
    PartyForm,
    formset=BasePartyFormSet,
    extra=1,
    max_num=MAX_PARTIES_PER_SIDE,
    absolute_max=MAX_PARTIES_PER_SIDE,
    validate_max=True,
)


# --- Steps of the flow -----------------------------------------------------------------------------------------


class MoveForm(forms.Form):
    """A step with an optional note (受理, 开始调解, 结案)."""

    note = forms.CharField(
        label=_("办理说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def step(self):
        """The keyword arguments of `Dispute.advance` (or of the service) for this step."""
        return {"note": self.cleaned_data["note"].strip()}


class RejectForm(MoveForm):
    note = forms.CharField(
        label=_("不予受理理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("不予受理时请写明理由。")},
        help_text=_("如：已进入诉讼程序、不属于人民调解范围"),
    )

    def step(self):
        reason = self.cleaned_data["note"].strip()
        return {"note": reason, "reason": reason}


YES, NO, UNKNOWN = "yes", "no", "unknown"


class OutcomeForm(MoveForm):
    """调解成功: the agreement, written or oral and recorded by the mediator (人民调解法 art. 28–29, 33)."""

    agreement_kind = forms.ChoiceField(
        label=_("协议形式"),
        choices=Dispute.AgreementKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择书面协议或口头协议。")},
    )
    responsibility = forms.CharField(
        label=_("各方责任"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    agreement = forms.CharField(
        label=_("协议内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写协议内容。")},
    )
    performance_manner = forms.CharField(
        label=_("履行方式"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    performance_deadline = forms.DateField(
        label=_("履行期限"), required=False, widget=DateInput(), help_text=_("不填时在 7 天、30 天后回访")
    )
    court_confirmation = forms.TypedChoiceField(
        label=_("是否申请司法确认"),
        choices=[(YES, _("已申请")), (NO, _("未申请")), (UNKNOWN, _("尚不确定"))],
        coerce=lambda value: {YES: True, NO: False}.get(value),
        initial=UNKNOWN,
        widget=forms.RadioSelect,
        help_text=_("协议生效后三十日内可共同向人民法院申请司法确认"),
    )
    field_order = [
        "agreement_kind",
        "responsibility",
        "agreement",
        "performance_manner",
        "performance_deadline",
        "court_confirmation",
        "note",
    ]

    def step(self):
        data = self.cleaned_data
        return {
            "note": data["note"].strip(),
            "agreement_kind": data["agreement_kind"],
            "responsibility": data["responsibility"].strip(),
            "agreement": data["agreement"].strip(),
            "performance_manner": data["performance_manner"].strip(),
            "performance_deadline": data["performance_deadline"],
            "court_confirmation": data["court_confirmation"],
        }


class FailureForm(MoveForm):
    """调解不成: where the dispute went — an escalation, counted against the room unless nowhere."""

    field_order = ["escalated_to", "failure_reason", "note"]

    escalated_to = forms.ChoiceField(
        label=_("纠纷去向"),
        choices=[("", "---------"), *Dispute.EscalatedTo.choices],
        error_messages={"required": _("调解不成时请选择纠纷的去向。")},
    )
    failure_reason = forms.CharField(
        label=_("调解不成原因"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明调解不成的原因。")},
    )

    def step(self):
        data = self.cleaned_data
        return {
            "note": data["note"].strip(),
            "escalated_to": data["escalated_to"],
            "failure_reason": data["failure_reason"].strip(),
        }


# The steps the dispute page offers, with the form each needs. A reopening (协议未履行) is recorded with the
# follow-up that found it, and 开始回访 follows the first follow-up: neither is a button here.
MOVE_FORMS = {
    Dispute.State.ACCEPTED: MoveForm,
    Dispute.State.REJECTED: RejectForm,
    Dispute.State.MEDIATING: MoveForm,
    Dispute.State.SUCCEEDED: OutcomeForm,
    Dispute.State.FAILED: FailureForm,
    Dispute.State.CLOSED: MoveForm,
}
REOPENING_STATES = (Dispute.State.SUCCEEDED, Dispute.State.FOLLOW_UP)


def offered_moves(dispute):
    """(to_state, label) of the steps the dispute page offers from the dispute's current state."""
    return [
        (to_state, label)
        for to_state, label in dispute.allowed_moves()
        if to_state in MOVE_FORMS and not (to_state == Dispute.State.MEDIATING and dispute.state in REOPENING_STATES)
    ]


def move_form(to_state, data=None):
    return MOVE_FORMS[to_state](data, prefix=f"move-{to_state}")


# --- Sessions, mediators, deadline ----------------------------------------------------------------------------


class SessionForm(forms.Form):
    token = forms.UUIDField(label=_("提交标识"), widget=forms.HiddenInput)
    held_on = forms.DateField(label=_("调解日期"), widget=DateInput())
    place = forms.CharField(label=_("地点"), max_length=80, initial=_("和为贵调解室"))
    mediators = forms.ModelMultipleChoiceField(
        label=_("调解员"),
        queryset=Mediator.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请选择主持本次调解的调解员。")},
    )
    attendees = forms.CharField(
        label=_("参加人员"), max_length=200, help_text=_("当事人及其他到场人员，如“魏永凯、单雄信及其妻”")
    )
    record = forms.CharField(
        label=_("调解记录"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("各方陈述、调解员意见"),
    )
    next_step = forms.CharField(label=_("下一步"), required=False, max_length=200)

    def __init__(self, *args, dispute, **kwargs):
        self.dispute = dispute
        mediators = Mediator.objects.filter(assignments__dispute=dispute, assignments__recused_at__isnull=True)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("token", uuid.uuid4())
        kwargs["initial"].setdefault("held_on", timezone.localdate())
        kwargs["initial"].setdefault("mediators", list(mediators))
        super().__init__(*args, **kwargs)
        self.fields["mediators"].queryset = mediators
        self.helper = _helper()

    def clean_held_on(self):
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise ValidationError(_("调解日期不能晚于今天。"))
        if held_on < timezone.localdate(self.dispute.registered_at):
            raise ValidationError(_("调解日期不能早于案件登记日期。"))
        return held_on


class RecusalForm(forms.Form):
    """A mediator steps aside: related to a party, or a party asked. Managers pick the replacement."""

    GROUNDS = {
        "interest": _("本人与当事人有亲属或利害关系"),
        "party_request": _("当事人申请回避"),
    }

    assignment = forms.ModelChoiceField(
        label=_("回避的调解员"), queryset=DisputeMediator.objects.none(), empty_label=None, widget=forms.RadioSelect
    )
    grounds = forms.ChoiceField(label=_("回避原因"), choices=list(GROUNDS.items()), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("具体情况"),
        max_length=RECUSAL_REASON_LENGTH,
        help_text=_("如：与申请人系表兄弟"),
        error_messages={"required": _("请写明回避理由。")},
    )
    replacement = forms.ModelChoiceField(
        label=_("接替的调解员"),
        queryset=Mediator.objects.none(),
        required=False,
        empty_label=_("（稍后指派）"),
    )

    def __init__(self, *args, dispute, assignments, user, manages, **kwargs):
        super().__init__(*args, **kwargs)
        active = [a for a in assignments if a.recused_at is None]
        if not manages:
            active = [a for a in active if a.mediator.user_id == user.pk]
        field = self.fields["assignment"]
        field.queryset = dispute.assignments.filter(pk__in=[a.pk for a in active]).select_related("mediator")
        field.label_from_instance = lambda assignment: str(assignment.mediator)
        if len(active) == 1:
            field.initial = active[0].pk
        if manages:
            assigned = [a.mediator_id for a in active]
            self.fields["replacement"].queryset = Mediator.objects.filter(
                community=dispute.community_id, is_active=True
            ).exclude(pk__in=assigned)
        else:
            del self.fields["replacement"]
        self.helper = _helper()

    def recusal_reason(self):
        return f"{self.GROUNDS[self.cleaned_data['grounds']]}：{self.cleaned_data['reason'].strip()}"


class AssignForm(forms.Form):
    """A manager assigns another mediator of the committee; those skilled in the dispute's type come first."""

    mediator = forms.ChoiceField(label=_("调解员"), widget=forms.RadioSelect)
    lead = forms.BooleanField(label=_("设为主调解员"), required=False)

    def __init__(self, *args, dispute, assignments, **kwargs):
        super().__init__(*args, **kwargs)
        assigned = {a.mediator_id for a in assignments if a.recused_at is None}
        roster = Mediator.objects.filter(community=dispute.community_id, is_active=True).exclude(pk__in=assigned)
        skilled = [m for m in roster if dispute.dispute_type in m.skills]
        others = [m for m in roster if dispute.dispute_type not in m.skills]
        self.mediators = {str(m.pk): m for m in roster}
        choices = [(str(m.pk), _("%(mediator)s · 擅长此类纠纷") % {"mediator": m}) for m in skilled]
        choices += [(str(m.pk), str(m)) for m in others]
        self.fields["mediator"].choices = choices
        self.suggested = skilled
        self.helper = _helper()

    def clean_mediator(self):
        return self.mediators[self.cleaned_data["mediator"]]


class ExtendForm(forms.Form):
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请写明延期理由。")},
    )
    parties_consent = forms.BooleanField(
        label=_("双方当事人同意延期"),
        error_messages={"required": _("延期须经双方当事人同意，请确认后勾选。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
