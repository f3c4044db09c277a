"""The “和为贵” mediation room: its roster of mediators, disputes with their parties, mediators, sessions, steps,
follow-ups, and the early signs flagged on home visits.

A dispute belongs to one community's people's mediation committee (人民调解委员会). Its content — parties,
facts, statements, sessions, the agreement — is confidential (人民调解法 art. 15): `Dispute.objects.visible_to`
gives the disputes whose content a user may read (the dispute's assigned mediators and the committee's
managers), `counted_for` the ones whose existence and figures a user may see. Fetch one by id through
`mediation.access`, never with a bare `get`.
"""

import calendar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.flow import InvalidMove, StateFlow
from grids.models import Community, Grid
from households.models import Household, Resident

MANAGE_PERMISSION = "mediation.manage_dispute"


def add_months(day, months):
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class DisputeType(models.TextChoices):
    """The dispute types of the county-level statistical return (REFERENCE), in the return's order."""

    FAMILY = "family", _("婚姻家庭继承")
    NEIGHBOUR = "neighbour", _("邻里")
    HOUSING = "housing", _("房屋宅基地")
    CONTRACT = "contract", _("合同")
    DAMAGES = "damages", _("损害赔偿")
    LAND = "land", _("山林土地承包")
    EXPROPRIATION = "expropriation", _("征地拆迁")
    LABOUR = "labour", _("劳动争议")
    VILLAGE = "village", _("村务管理")
    ENVIRONMENT = "environment", _("环境保护")
    TRAFFIC = "traffic", _("交通事故")
    MEDICAL = "medical", _("医患")
    PROPERTY = "property", _("物业")
    OTHER = "other", _("其他")


class Mediator(models.Model):
    """An entry of a committee's roster: one of the “五老” or a legal worker, a resident or not. A mediator who
    signs in is a user with the 调解员 role linked here."""

    class Category(models.TextChoices):
        OLD_PARTY_MEMBER = "party_member", _("老党员")
        OLD_CADRE = "cadre", _("老干部")
        OLD_TEACHER = "teacher", _("老教师")
        OLD_VETERAN = "veteran", _("老退役军人")
        OLD_MODEL = "model_worker", _("老模范")
        LEGAL_WORKER = "legal_worker", _("法律工作者")

    class Skill(models.TextChoices):
        FAMILY = "family", _("婚姻家庭")
        NEIGHBOUR = "neighbour", _("邻里")
        HOUSING = "housing", _("房屋宅基地")
        DAMAGES = "damages", _("损害赔偿")
        CONTRACT = "contract", _("合同")
        PROPERTY = "property", _("物业")
        LABOUR = "labour", _("劳动")
        LAND = "land", _("土地承包")

    community = models.ForeignKey(
        Community, verbose_name=_("调解委员会（社区）"), on_delete=models.PROTECT, related_name="mediators"
    )
    name = models.CharField(_("姓名"), max_length=30)
    category = models.CharField(_("类别"), max_length=16, choices=Category.choices)
    skills = models.JSONField(_("擅长"), default=list, blank=True, help_text=_("擅长调解的纠纷类别"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("本社区居民"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("调解员是本社区居民时选择"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mediator",
        help_text=_("调解员登录门户所用的账号（角色为调解员）"),
    )
    is_active = models.BooleanField(_("在岗"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        ordering = ["community__name", "-is_active", "name"]

    def __str__(self):
        return f"{self.name}（{self.get_category_display()}）"

    def skill_labels(self):
        labels = dict(self.Skill.choices)
        return [labels.get(skill, skill) for skill in self.skills]


def counted_communities(user):
    """The communities whose disputes the user may count (never read): every community for those who see
    everything, else the communities of the user's grids and of the committee they mediate for."""
    if not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    if user.sees_everything:
        return Community.objects.all()
    committees = Mediator.objects.filter(user=user, is_active=True).values("community")
    return Community.objects.filter(Q(pk__in=Grid.objects.visible_to(user).values("community")) | Q(pk__in=committees))


class DisputeQuerySet(models.QuerySet):
    def managed_by(self, user):
        """Disputes of the committees the user manages: a user with the manager permission, for the communities
        of the grids they answer for."""
        if not user.is_authenticated or not user.is_active or not user.has_perm(MANAGE_PERMISSION):
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(community__in=Grid.objects.visible_to(user).values("community"))

    def visible_to(self, user):
        """Disputes whose content (parties, facts, sessions, agreement) the user may read: superusers, the
        committee's managers, and the mediators assigned to the dispute and not recused (人民调解法 art. 15)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        assigned = DisputeMediator.objects.filter(dispute=OuterRef("pk"), mediator__user=user, recused_at__isnull=True)
        return self.filter(Q(pk__in=self.managed_by(user).values("pk")) | Q(Exists(assigned)))

    def counted_for(self, user):
        """Disputes whose existence, state and figures (never content) the user may see: those of the
        communities of the user's grids (the street leader and admins: all), and of the mediator's committee."""
        if user.is_authenticated and user.is_active and user.sees_everything:
            return self
        return self.filter(community__in=counted_communities(user))

    def open(self):
        return self.exclude(state__in=Dispute.FINAL_STATES)

    def overdue_q(self, today):
        """Disputes in mediation past their deadline (one month from acceptance, or as extended)."""
        return Q(state__in=Dispute.DEADLINE_STATES, deadline__lt=today)


class InvalidDisputeMove(InvalidMove):
    """A move of a dispute that its flow does not allow, or one that lacks what it needs."""


class Dispute(StateFlow, models.Model):
    """A dispute brought to the committee: 登记 → 受理 (or 不予受理) → 调解中 → 调解成功 / 调解不成 → 回访 → 结案."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("登记")
        ACCEPTED = "accepted", _("受理")
        REJECTED = "rejected", _("不予受理")
        MEDIATING = "mediating", _("调解中")
        SUCCEEDED = "succeeded", _("调解成功")
        FAILED = "failed", _("调解不成")
        FOLLOW_UP = "follow_up", _("回访")
        CLOSED = "closed", _("结案")

    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("当事人来访")
        GRID_REPORT = "grid_report", _("网格员上报")
        REQUEST = "request", _("居民诉求转入")
        WATCH = "watch", _("矛盾苗头转入")
        REFERRAL = "referral", _("有关部门移交")

    class Risk(models.TextChoices):
        RED = "red", _("红色（立即上报）")
        ORANGE = "orange", _("橙色（当日处置）")
        YELLOW = "yellow", _("黄色（就地化解）")

    class AgreementKind(models.TextChoices):
        WRITTEN = "written", _("书面协议")
        ORAL = "oral", _("口头协议（调解员记录）")

    class EscalatedTo(models.TextChoices):
        COURT = "court", _("人民法院")
        JUSTICE_OFFICE = "justice_office", _("司法所")
        POLICE = "police", _("公安机关")
        PETITION = "petition", _("信访部门")
        ARBITRATION = "arbitration", _("仲裁机构")
        OTHER = "other", _("其他部门")
        NONE = "none", _("当事人未再主张")

    InvalidMoveError = InvalidDisputeMove
    UNKNOWN_STATE = _("未知的调解案件状态。")

    FINAL_STATES = (State.REJECTED, State.CLOSED)
    # States in which the one-month mediation deadline runs.
    DEADLINE_STATES = (State.ACCEPTED, State.MEDIATING)
    CONCLUDED_STATES = (State.SUCCEEDED, State.FAILED, State.FOLLOW_UP, State.CLOSED)

    MOVES = {
        (State.REGISTERED, State.ACCEPTED): _("受理"),
        (State.REGISTERED, State.REJECTED): _("不予受理"),
        (State.ACCEPTED, State.MEDIATING): _("开始调解"),
        (State.ACCEPTED, State.FAILED): _("调解不成"),
        (State.MEDIATING, State.SUCCEEDED): _("调解成功"),
        (State.MEDIATING, State.FAILED): _("调解不成"),
        (State.SUCCEEDED, State.FOLLOW_UP): _("开始回访"),
        (State.SUCCEEDED, State.MEDIATING): _("协议未履行，重新调解"),
        (State.FOLLOW_UP, State.MEDIATING): _("协议未履行，重新调解"),
        (State.FOLLOW_UP, State.CLOSED): _("结案"),
        (State.FAILED, State.CLOSED): _("结案"),
    }

    community = models.ForeignKey(
        Community, verbose_name=_("调解委员会（社区）"), on_delete=models.PROTECT, related_name="disputes"
    )
    grid = models.ForeignKey(
        Grid,
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
        help_text=_("纠纷发生地所在网格，用于统计"),
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    sequence = models.PositiveIntegerField(_("序号"))
    # 和调〔2026〕第016号 repeats across committees: unique per committee through (community, year, sequence).
    number = models.CharField(_("案号"), max_length=30, db_index=True)
    dispute_type = models.CharField(_("纠纷类型"), max_length=16, choices=DisputeType.choices)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices, default=Source.WALK_IN)
    risk = models.CharField(_("风险等级"), max_length=8, choices=Risk.choices, default=Risk.YELLOW)
    title = models.CharField(_("案由"), max_length=80, help_text=_("一句话说明纠纷，如“楼上漏水致楼下受损”"))
    facts = models.TextField(_("主要事实"))
    matters = models.TextField(_("争议事项"), blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REGISTERED)
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    rejection_reason = models.TextField(_("不予受理理由"), blank=True)
    deadline = models.DateField(_("调解期限"), null=True, blank=True)
    extended_on = models.DateField(_("延期日期"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    # Outcome (人民调解法 art. 28–29, 33).
    concluded_on = models.DateField(_("调解终结日期"), null=True, blank=True)
    agreement_kind = models.CharField(_("协议形式"), max_length=8, choices=AgreementKind.choices, blank=True)
    responsibility = models.TextField(_("各方责任"), blank=True)
    agreement = models.TextField(_("协议内容"), blank=True)
    performance_manner = models.TextField(_("履行方式"), blank=True)
    performance_deadline = models.DateField(_("履行期限"), null=True, blank=True)
    court_confirmation = models.BooleanField(
        _("已申请司法确认"), null=True, blank=True, help_text=_("协议生效后三十日内可共同向人民法院申请司法确认")
    )
    escalated_to = models.CharField(_("调解不成后去向"), max_length=16, choices=EscalatedTo.choices, blank=True)
    failure_reason = models.TextField(_("调解不成原因"), blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    # Reminders: stamped once each so a re-run notifies nobody twice.
    risk_notified_at = models.DateTimeField(_("风险上报时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    resident_request = models.OneToOneField(
        "visits.ResidentRequest",
        verbose_name=_("来源诉求"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispute",
    )
    # The registration form's hidden token: a double submit registers one dispute.
    token = models.UUIDField(_("提交标识"), null=True, blank=True, unique=True, editable=False)

    objects = DisputeQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["risk_notified_at", "escalated_at"])

    class Meta:
        verbose_name = _("调解案件")
        verbose_name_plural = _("调解案件")
        ordering = ["-registered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "year", "sequence"], name="dispute_unique_sequence"),
        ]
        indexes = [
            models.Index(fields=["community", "state"], name="dispute_community_state"),
            models.Index(fields=["state", "deadline"], name="dispute_state_deadline"),
            models.Index(fields=["community", "accepted_on"], name="dispute_community_accepted"),
            models.Index(fields=["community", "concluded_on"], name="dispute_community_concluded"),
        ]
        permissions = [
            ("manage_dispute", _("可管理调解委员会的案件（分派调解员、查看全部案件）")),
            ("export_dispute", _("可导出调解统计报表")),
        ]

    def __str__(self):
        return self.number

    @staticmethod
    def format_number(year, sequence):
        return f"和调〔{year}〕第{sequence:03d}号"

    @property
    def is_open(self):
        return self.state not in self.FINAL_STATES

    @property
    def succeeded(self):
        return bool(self.agreement_kind)

    def days_overdue(self, today):
        if self.state in self.DEADLINE_STATES and self.deadline and self.deadline < today:
            return (today - self.deadline).days
        return 0

    @property
    def can_extend(self):
        return self.state in self.DEADLINE_STATES and self.deadline is not None and self.extended_on is None

    def prepare_move(self, to_state, at, **details):
        """What each step needs and sets; see `mediation.services` for the forms that collect it."""
        today = timezone.localdate(at)
        if to_state == self.State.ACCEPTED:
            self.accepted_on = today
            self.deadline = add_months(today, 1)
        elif to_state == self.State.REJECTED:
            reason = details.get("reason", "").strip()
            if not reason:
                raise InvalidDisputeMove(_("不予受理时请写明理由。"))
            self.rejection_reason = reason
        elif to_state == self.State.SUCCEEDED:
            self._prepare_success(today, **details)
        elif to_state == self.State.FAILED:
            escalated_to = details.get("escalated_to", "")
            if escalated_to not in self.EscalatedTo.values:
                raise InvalidDisputeMove(_("调解不成时请选择纠纷的去向。"))
            self.escalated_to = escalated_to
            self.failure_reason = details.get("failure_reason", "")
            self.concluded_on = today
            self.agreement_kind = ""
        elif to_state == self.State.MEDIATING and self.state in (self.State.SUCCEEDED, self.State.FOLLOW_UP):
            # Reopened: the agreement was not performed. The earlier outcome stays in the history.
            self.concluded_on = None
            self.agreement_kind = ""
            self.escalated_at = None
        elif to_state == self.State.CLOSED:
            # Closed by hand before its last follow-up (the parties performed early): no one is sent to check a
            # closed case, so the follow-ups not yet done are dropped; those done stay in the file.
            self.follow_ups.open().delete()
            self.closed_on = today

    def _prepare_success(self, today, **details):
        kind = details.get("agreement_kind", "")
        if kind not in self.AgreementKind.values:
            raise InvalidDisputeMove(_("调解成功时请选择书面协议或口头协议。"))
        agreement = details.get("agreement", "").strip()
        if not agreement:
            raise InvalidDisputeMove(_("请填写协议内容。"))
        self.agreement_kind = kind
        self.agreement = agreement
        self.responsibility = details.get("responsibility", "")
        self.performance_manner = details.get("performance_manner", "")
        self.performance_deadline = details.get("performance_deadline")
        self.court_confirmation = details.get("court_confirmation")
        self.concluded_on = today
        self.escalated_to = ""

    def record_move(self, from_state, to_state, *, by, at, note):
        DisputeEvent.objects.create(dispute=self, from_state=from_state, to_state=to_state, by=by, at=at, note=note)


class DisputeCounter(models.Model):
    """The last number given by a committee in a year; locked while a dispute is numbered, so two registrations
    at the same moment get consecutive numbers."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("案号计数")
        verbose_name_plural = _("案号计数")
        constraints = [models.UniqueConstraint(fields=["community", "year"], name="disputecounter_unique_year")]

    def __str__(self):
        return f"{self.community_id}/{self.year}: {self.last}"


class Party(models.Model):
    """A party to a dispute: a resident of the portal's households, an outside person, or an organisation with
    its representative. The particulars art. 29 asks for are copied here when the party is registered, so the
    agreement says what was true then."""

    class Side(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("本社区居民")
        PERSON = "person", _("其他自然人")
        ORGANISATION = "organisation", _("单位")

    dispute = models.ForeignKey(Dispute, verbose_name=_("调解案件"), on_delete=models.CASCADE, related_name="parties")
    side = models.CharField(_("当事人身份"), max_length=12, choices=Side.choices)
    kind = models.CharField(_("当事人类别"), max_length=14, choices=Kind.choices, default=Kind.PERSON)
    resident = models.ForeignKey(
        Resident, verbose_name=_("居民"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("居民户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispute_parties",
    )
    name = models.CharField(_("姓名或单位名称"), max_length=80)
    gender = models.CharField(_("性别"), max_length=6, choices=Resident.Gender.choices, blank=True)
    age = models.PositiveSmallIntegerField(
        _("年龄"), null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(130)]
    )
    occupation = models.CharField(_("职业"), max_length=40, blank=True)
    address = models.CharField(_("住址"), max_length=120, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    representative = models.CharField(_("法定代表人或代理人"), max_length=40, blank=True)
    claims = models.TextField(_("请求事项"), blank=True, help_text=_("该当事人要求什么"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["dispute_id", "side", "id"]
        indexes = [models.Index(fields=["household"], name="party_household")]

    def __str__(self):
        return self.name


class DisputeMediator(models.Model):
    """A mediator assigned to a dispute; recused (回避) when related to a party, and then replaced."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("调解案件"), on_delete=models.CASCADE, related_name="assignments"
    )
    mediator = models.ForeignKey(
        Mediator, verbose_name=_("调解员"), on_delete=models.PROTECT, related_name="assignments"
    )
    is_lead = models.BooleanField(_("主调解员"), default=False)
    assigned_at = models.DateTimeField(_("分派时间"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("分派人"), on_delete=models.PROTECT, related_name="+"
    )
    recused_at = models.DateTimeField(_("回避时间"), null=True, blank=True)
    recusal_reason = models.CharField(_("回避理由"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("案件调解员")
        verbose_name_plural = _("案件调解员")
        ordering = ["-is_lead", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "mediator"],
                condition=Q(recused_at__isnull=True),
                name="disputemediator_one_active",
                violation_error_message=_("该调解员已分派到本案。"),
            ),
        ]

    def __str__(self):
        return f"{self.dispute} · {self.mediator}"


class DisputeEvent(models.Model):
    """One recorded move of a dispute: who, when, from which state, why."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("调解案件"), on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("原状态"), max_length=12, choices=Dispute.State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, choices=Dispute.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("案件办理记录")
        verbose_name_plural = _("案件办理记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.dispute_id}: {self.from_state} → {self.to_state}"


class MediationSession(models.Model):
    """A mediation session (调解笔录): when, where, who mediated, who attended, what was said, the next step."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("调解案件"), on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("调解日期"))
    place = models.CharField(_("地点"), max_length=80, default="和为贵调解室")
    mediators = models.ManyToManyField(Mediator, verbose_name=_("调解员"), related_name="sessions")
    attendees = models.CharField(_("参加人员"), max_length=200)
    record = models.TextField(_("调解记录"), help_text=_("各方陈述、调解员意见"))
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    token = models.UUIDField(_("提交标识"), null=True, blank=True, unique=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"{self.dispute} · {self.held_on}"


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_at__isnull=True)


class FollowUp(models.Model):
    """回访: a check, after an agreement, that it is performed. Due at the performance deadline, or 7 and 30 days
    after the agreement; done by the dispute's lead mediator. "Not performed" reopens the dispute."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("调解案件"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    round = models.PositiveSmallIntegerField(_("回访次序"))
    # The agreement this follow-up checks: a reopened dispute's new agreement gets new follow-ups.
    agreement_on = models.DateField(_("协议日期"))
    due_on = models.DateField(_("回访日期"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访记录人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    performed = models.BooleanField(_("协议已履行"), null=True, blank=True)
    note = models.TextField(_("回访情况"), blank=True)

    objects = FollowUpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "agreement_on", "round"], name="followup_unique_round"),
        ]
        indexes = [models.Index(fields=["assignee", "done_at", "due_on"], name="followup_assignee_open")]

    def __str__(self):
        return f"{self.dispute} · {self.due_on}"


class EarlySign(models.Model):
    """矛盾苗头: a grid worker's note, on a home visit, of friction between the visited household and another."""

    visit = models.ForeignKey(
        "visits.Visit", verbose_name=_("走访"), on_delete=models.CASCADE, related_name="early_signs"
    )
    household = models.ForeignKey(Household, verbose_name=_("被走访户"), on_delete=models.CASCADE, related_name="+")
    other_household = models.ForeignKey(Household, verbose_name=_("对方户"), on_delete=models.CASCADE, related_name="+")
    dispute_type = models.CharField(_("矛盾类型"), max_length=16, choices=DisputeType.choices)
    description = models.CharField(_("情况"), max_length=300)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上报人"), on_delete=models.PROTECT, related_name="+"
    )
    flagged_on = models.DateField(_("上报日期"))

    class Meta:
        verbose_name = _("矛盾苗头")
        verbose_name_plural = _("矛盾苗头")
        ordering = ["-flagged_on", "-id"]
        indexes = [models.Index(fields=["household", "other_household", "flagged_on"], name="earlysign_pair")]

    def __str__(self):
        return f"{self.household} ↔ {self.other_household}"


def committees_of(user):
    """The communities whose mediation committee the user works in: as an active rostered mediator, or as a
    manager of the communities of their grids. A queryset of community ids."""
    if not user.is_authenticated or not user.is_active:
        return Community.objects.none().values("pk")
    if user.is_superuser:
        return Community.objects.values("pk")
    mediating = Q(pk__in=Mediator.objects.filter(user=user, is_active=True).values("community"))
    if user.has_perm(MANAGE_PERMISSION):
        mediating |= Q(pk__in=Grid.objects.visible_to(user).values("community"))
    return Community.objects.filter(mediating).values("pk")


class WatchItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Watch items of the committees the user mediates for or manages."""
        return self.filter(community__in=committees_of(user))

    def open(self):
        return self.filter(dispute__isnull=True, dismissed_at__isnull=True)


class WatchItem(models.Model):
    """A pair of households flagged twice within 90 days: the committee's mediators watch it and may open it as
    a dispute. One open item per pair (households stored in id order)."""

    WINDOW_DAYS = 90

    community = models.ForeignKey(Community, verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+")
    household_a = models.ForeignKey(Household, verbose_name=_("一方户"), on_delete=models.CASCADE, related_name="+")
    household_b = models.ForeignKey(Household, verbose_name=_("另一方户"), on_delete=models.CASCADE, related_name="+")
    raised_on = models.DateField(_("列入关注日期"))
    last_flagged_on = models.DateField(_("最近上报日期"))
    flags = models.PositiveSmallIntegerField(_("上报次数"), default=2)
    dispute = models.OneToOneField(
        Dispute, verbose_name=_("转为调解案件"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismissed_at = models.DateTimeField(_("解除关注时间"), null=True, blank=True)

    objects = WatchItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("矛盾关注事项")
        verbose_name_plural = _("矛盾关注事项")
        ordering = ["-last_flagged_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household_a", "household_b"],
                condition=Q(dispute__isnull=True, dismissed_at__isnull=True),
                name="watchitem_one_open_per_pair",
            ),
            models.CheckConstraint(condition=Q(household_a__lt=models.F("household_b")), name="watchitem_pair_order"),
        ]

    def __str__(self):
        return f"{self.household_a} ↔ {self.household_b}"

    @property
    def is_open(self):
        return self.dispute_id is None and self.dismissed_at is None
