"""Home visits, visit tasks and policies, resident requests and their steps.

The rules that belong to one row live here: when a visit may be dated (`validate_visit_time`), when a task or a
request is overdue (the `with_overdue` annotations, also behind `overdue()`), and the request's flow
(`ResidentRequest.MOVES` and `advance`). Task kinds are keys registered in `visits.kinds`.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import BooleanField, Case, DateField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from households.models import Household, PriorityGroup

from . import kinds
from .purposes import Purpose


class VisitPolicy(models.Model):
    """How often a household must be visited: a default (no group) and tighter intervals per priority group.

    A household's interval is the tightest of its residents' groups, or the default.
    """

    priority_group = models.ForeignKey(
        PriorityGroup,
        verbose_name=_("重点人群"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="visit_policies",
        help_text=_("留空表示普通居民户的默认周期"),
    )
    interval_days = models.PositiveSmallIntegerField(_("走访周期（天）"))
    revisit_days = models.PositiveSmallIntegerField(
        _("未遇再访（天）"), default=3, help_text=_("上次走访“不在家”时，多少天内再访")
    )

    class Meta:
        verbose_name = _("走访周期")
        verbose_name_plural = _("走访周期")
        ordering = ["interval_days"]
        constraints = [
            models.UniqueConstraint(Coalesce("priority_group", 0), name="visitpolicy_one_per_group"),
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="visitpolicy_interval_positive"),
        ]

    def __str__(self):
        group = self.priority_group.name if self.priority_group_id else _("普通居民户")
        return _("%(group)s：每%(days)s天") % {"group": group, "days": self.interval_days}


# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def validate_visit_time(household, visited_at):
    """Raise ValidationError unless a visit to `household` may be dated `visited_at`: not in the future, and not
    before the household was registered (to the minute, as the forms work in whole minutes).

    Called by `Visit.clean`, the visit form, the sheet back-entry and `log_visit`.
    """
    if visited_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError(_("走访时间不能晚于现在。"), code="future")
    if visited_at < household.created_at.replace(second=0, microsecond=0):
        raise ValidationError(_("走访时间不能早于该户登记时间。"), code="before_household")


class Visit(models.Model):
    Purpose = Purpose

    class Outcome(models.TextChoices):
        MET = "met", _("已见面")
        NOT_HOME = "not_home", _("不在家")
        REFUSED = "refused", _("拒绝入户")

    class Handling(models.TextChoices):
        ON_THE_SPOT = "on_the_spot", _("当场解决")
        TAKEN_BACK = "taken_back", _("带回社区")
        REPORTED = "reported", _("立即上报")

    household = models.ForeignKey(Household, verbose_name=_("居民户"), on_delete=models.PROTECT, related_name="visits")
    visited_at = models.DateTimeField(_("走访时间"), default=timezone.now)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人员"), blank=True, related_name="visits"
    )
    purposes = models.JSONField(_("走访事由"), default=list)
    outcome = models.CharField(_("走访结果"), max_length=10, choices=Outcome.choices, default=Outcome.MET)
    problem = models.TextField(_("问题"), blank=True, help_text=_("走访中了解到的情况和发现的问题"))
    measures = models.TextField(_("处理措施"), blank=True)
    feedback = models.TextField(_("反馈结果"), blank=True)
    handling = models.CharField(_("处理方式"), max_length=12, choices=Handling.choices, blank=True)
    photo = models.ImageField(_("现场照片"), upload_to="visits/%Y/%m/", blank=True)
    idempotency_key = models.UUIDField(_("提交编号"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["photo"])

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["household", "-visited_at"], name="visit_household_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(handling="") | ~Q(problem=""), name="visit_handling_needs_problem"),
        ]

    def __str__(self):
        return f"{self.household} {self.visited_at:%Y-%m-%d}"

    @property
    def summary(self):
        """One line for lists and the household timeline: the problem, how it was handled, the result."""
        parts = [self.problem, self.get_handling_display() if self.handling else "", self.feedback]
        return " · ".join(part for part in parts if part)

    def clean(self):
        if self.household_id and self.visited_at:
            try:
                validate_visit_time(self.household, self.visited_at)
            except ValidationError as error:
                raise ValidationError({"visited_at": error.messages}) from error
        unknown = set(self.purposes) - set(self.Purpose.values)
        if unknown:
            raise ValidationError({"purposes": _("未知的走访事由。")})
        if self.handling and not self.problem.strip():
            raise ValidationError({"problem": _("选择了处理方式，请写明问题。")})


class VisitStatus(models.Model):
    """A household's place in its visit cycle, kept so coverage can count "visited within policy" with a join.

    Refreshed for every household by the nightly `schedule_visits`, and for one household by `log_visit` when
    a visit reaches it. `due_on` is the local date of the last counting visit plus the interval; for a
    household never visited, the local date it was registered (due at once, and late from then on).
    """

    household = models.OneToOneField(
        Household,
        verbose_name=_("居民户"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="visit_status",
    )
    interval_days = models.PositiveSmallIntegerField(_("走访周期（天）"))
    last_visited_at = models.DateTimeField(_("最近走访"), null=True, blank=True)
    due_on = models.DateField(_("应访日期"))
    refreshed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("走访状态")
        verbose_name_plural = _("走访状态")
        indexes = [models.Index(fields=["due_on"], name="visitstatus_due_on")]

    def __str__(self):
        return f"{self.household_id} {self.due_on:%Y-%m-%d}"


def _flag(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


# A routine task handed to someone gives them this long before its lateness counts against them (escalation):
# the week a task scheduled ahead of its due date gets, also for a household that was late before it was theirs.
HANDOVER_DAYS = 7


def _cycle_kinds():
    return kinds.cycle_keys()


def start_of_day(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class VisitTaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(state=VisitTask.State.OPEN)

    @staticmethod
    def overdue_q(today):
        """The one definition of an overdue task: still open after the day its work fell due — for a task of
        the visit cycle (`kinds.cycle_keys`) the day the household's visit fell due (`VisitStatus.due_on`), for
        any other task its own due date."""
        return Q(state=VisitTask.State.OPEN) & (
            Q(due_on__lt=today) | Q(kind__in=_cycle_kinds(), household__visit_status__due_on__lt=today)
        )

    @staticmethod
    def escalation_q(today):
        """Open tasks the assignee is late with, counted from when the task was handed to them (`assigned_at`):
        past its due date, and held since before today — for a task of the visit cycle for more than
        HANDOVER_DAYS, so a backlog inherited with the task is not the assignee's lateness."""
        cycle = _cycle_kinds()
        held = Q(kind__in=cycle, assigned_at__lt=start_of_day(today - datetime.timedelta(days=HANDOVER_DAYS))) | (
            ~Q(kind__in=cycle) & Q(assigned_at__lt=start_of_day(today))
        )
        return Q(state=VisitTask.State.OPEN, due_on__lt=today) & held

    def with_lateness(self, today):
        """Annotate `late_since` (the day the work fell due, as in `overdue_q`) and `lateness` (today minus that
        day, a duration: negative while not yet due). `days_late` reads it."""
        return self.annotate(
            late_since=Case(
                When(kind__in=_cycle_kinds(), then=Coalesce("household__visit_status__due_on", "due_on")),
                default=F("due_on"),
                output_field=DateField(),
            ),
            lateness=ExpressionWrapper(
                Value(today, output_field=DateField()) - F("late_since"), output_field=DurationField()
            ),
        )

    def with_overdue(self, today):
        """Annotate `is_overdue`, the lateness (`with_lateness`) and `bucket` ("overdue", "today" or "upcoming")."""
        late = Q(state=VisitTask.State.OPEN, late_since__lt=today)  # `overdue_q`, on the annotated day
        return self.with_lateness(today).annotate(
            is_overdue=_flag(late),
            bucket=Case(
                When(late, then=Value("overdue")),
                When(due_on__lte=today, then=Value("today")),
                default=Value("upcoming"),
            ),
        )

    def in_walking_order(self):
        """By building (natural order: 2号楼 before 10号楼), unit, floor and room, so a day's list can be walked."""
        return self.order_by(
            Length("household__building__number"),
            "household__building__number",
            "household__building_id",
            "household__unit",
            "household__floor",
            "household__room",
            "pk",
        )

    def by_urgency(self, today):
        """Most urgent first: work already due before work not yet due; then dated work (a re-visit, a
        follow-up, another app's kind), the priority groups' visits, ordinary households; then the latest
        first. Needs `with_lateness`. The sized day takes its first N (`visits.day`)."""
        tier = Case(
            When(kind=kinds.PRIORITY_GROUP, then=Value(1)),
            When(kind__in=_cycle_kinds(), then=Value(2)),
            default=Value(0),
        )
        return self.annotate(not_due=_flag(Q(late_since__gt=today)), tier=tier).order_by(
            "not_due", "tier", "late_since", "due_on", "pk"
        )

    def overdue(self, today):
        return self.filter(self.overdue_q(today))

    def due_today(self, today):
        return self.open().filter(due_on=today)

    def visible_to(self, user):
        return self.filter(household__in=Household.objects.visible_to(user))


class VisitTask(models.Model):
    """Someone should visit this household between `earliest_on` and `due_on`. Overdue is derived.

    `kind` is a key of `visits.kinds` (no database choices: a later app registers its kinds without a
    migration here); it decides which visits complete the task and whether it is part of the routine cycle.
    """

    class State(models.TextChoices):
        OPEN = "open", _("待走访")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.CASCADE, related_name="visit_tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_tasks",
    )
    kind = models.CharField(_("任务类型"), max_length=40)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    earliest_on = models.DateField(_("最早日期"))
    due_on = models.DateField(_("截止日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    visit = models.ForeignKey(
        Visit, verbose_name=_("完成走访"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    #: when the task was handed to its assignee (or created, while unassigned); escalation counts from here
    assigned_at = models.DateTimeField(_("分派时间"), default=timezone.now)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)

    objects = VisitTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访任务")
        verbose_name_plural = _("走访任务")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "kind"], condition=Q(state="open"), name="visittask_one_open_per_kind"
            ),
            models.CheckConstraint(condition=Q(earliest_on__lte=models.F("due_on")), name="visittask_dates_ordered"),
        ]
        indexes = [
            models.Index(fields=["assignee", "state", "due_on"], name="visittask_assignee_due"),
            models.Index(fields=["state", "due_on"], name="visittask_state_due"),
        ]

    def __str__(self):
        return f"{self.household} {self.kind_label} {self.due_on}"

    @property
    def kind_label(self):
        return kinds.label_of(self.kind)

    @property
    def days_late(self):
        """Whole days the work is late (0 while not late); on a queryset annotated `with_lateness`."""
        return max(self.lateness.days, 0)

    def assign_to(self, user, *, now=None):
        """Hand the task to `user` (or to nobody): escalation counts the new assignee's lateness from now.
        Saves the assignee and `assigned_at`, and clears an earlier escalation."""
        self.assignee = user
        self.assigned_at = now or timezone.now()
        self.escalated_at = None
        self.save(update_fields=["assignee", "assigned_at", "escalated_at"])

    def clean(self):
        if self.kind not in kinds.registry:
            raise ValidationError({"kind": _("未知的任务类型。")})


class InvalidTransition(ValidationError):
    """A move of a resident request that its flow does not allow (or that lacks what the move needs)."""


class ResidentRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(household__in=Household.objects.visible_to(user))

    def open(self):
        return self.exclude(state=ResidentRequest.State.CLOSED)

    @staticmethod
    def overdue_q(now):
        """The one definition of an overdue request: not closed and past its deadline."""
        return Q(due_at__lt=now) & ~Q(state=ResidentRequest.State.CLOSED)

    def with_overdue(self, now):
        """Annotate `is_overdue`, for the lists, the request page and the workbench."""
        return self.annotate(is_overdue=_flag(self.overdue_q(now)))

    def overdue(self, now):
        return self.filter(self.overdue_q(now))


class ResidentRequest(models.Model):
    """民情诉求: flows 登记 → 受理 → 派遣 → 处置 → 核查 → 办结, one step at a time."""

    class Category(models.TextChoices):
        HEATING = "heating", _("供暖")
        REPAIR = "repair", _("物业维修")
        SANITATION = "sanitation", _("环境卫生")
        EMPLOYMENT = "employment", _("就业")
        NEIGHBOUR = "neighbour", _("邻里矛盾")
        POLICY = "policy", _("政策咨询")
        OTHER = "other", _("其他")

    class Channel(models.TextChoices):
        VISIT = "visit", _("走访收集")
        WALK_IN = "walk_in", _("来访")
        PHONE = "phone", _("电话")
        HOTLINE = "hotline", _("12345热线")
        LEAD_HOUSEHOLD = "lead_household", _("中心户反映")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("紧急（2小时响应）")
        NORMAL = "normal", _("一般（1个工作日）")
        LOW = "low", _("不急（3个工作日）")

    class State(models.TextChoices):
        REGISTERED = "registered", _("登记")
        ACCEPTED = "accepted", _("受理")
        DISPATCHED = "dispatched", _("派遣")
        HANDLING = "handling", _("处置")
        VERIFYING = "verifying", _("核查")
        CLOSED = "closed", _("办结")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    # Every legal move: the flow forwards, plus back to 处置 when the resident is not satisfied at 核查.
    MOVES = {
        (State.REGISTERED, State.ACCEPTED): pgettext_lazy("request action", "受理"),
        (State.ACCEPTED, State.DISPATCHED): pgettext_lazy("request action", "派遣"),
        (State.DISPATCHED, State.HANDLING): _("开始处置"),
        (State.HANDLING, State.VERIFYING): _("处置完毕，提交核查"),
        (State.VERIFYING, State.CLOSED): _("核查通过，办结"),
        (State.VERIFYING, State.HANDLING): _("核查未通过，退回处置"),
    }

    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.PROTECT, related_name="requests"
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    description = models.TextField(_("诉求内容"))
    channel = models.CharField(_("来源"), max_length=20, choices=Channel.choices, default=Channel.VISIT)
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    due_at = models.DateTimeField(_("办理时限"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.REGISTERED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    raised_in = models.ForeignKey(
        Visit, verbose_name=_("来自走访"), on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    satisfaction = models.CharField(_("居民满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)

    objects = ResidentRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("民情诉求")
        verbose_name_plural = _("民情诉求")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="request_state_due"),
            models.Index(fields=["assignee", "state"], name="request_assignee_state"),
        ]

    def __str__(self):
        return f"{self.get_category_display()} · {self.household}"

    def allowed_moves(self):
        """(to_state, label) for each move the flow allows from the current state."""
        return [(to, label) for (frm, to), label in self.MOVES.items() if frm == self.state]

    def advance(self, to_state, *, by, note="", assignee=None, satisfaction=""):
        """Move the request to `to_state`, recording who, when and why in a RequestEvent.

        Locks the row so two people pressing buttons at once cannot both move it from the same state.
        Dispatch needs an assignee; leaving 核查 needs the resident's satisfaction answer, which is kept;
        closing sets `closed_at`. Raises InvalidTransition on any move the flow does not allow.
        """
        with transaction.atomic():
            current = type(self).objects.select_for_update().get(pk=self.pk)
            if (current.state, to_state) not in self.MOVES:
                raise InvalidTransition(
                    _("不能从“%(from)s”转到“%(to)s”。")
                    % {"from": current.get_state_display(), "to": self.State(to_state).label}
                    if to_state in self.State.values
                    else _("未知的办理状态。")
                )
            if to_state == self.State.DISPATCHED:
                if assignee is None:
                    raise InvalidTransition(_("派遣时必须指定承办人。"))
                current.assignee = assignee
            if current.state == self.State.VERIFYING:
                if satisfaction not in self.Satisfaction.values:
                    raise InvalidTransition(_("核查时请记录居民的满意度。"))
                current.satisfaction = satisfaction
            if to_state == self.State.CLOSED:
                current.closed_at = timezone.now()
            from_state = current.state
            current.state = to_state
            current.save()
            RequestEvent.objects.create(request=current, from_state=from_state, to_state=to_state, by=by, note=note)
        self.refresh_from_db(fields=["state", "assignee", "satisfaction", "closed_at"])
        return self


class RequestEvent(models.Model):
    """One recorded move of a resident request: who moved it, when, from which state, with what note."""

    request = models.ForeignKey(
        ResidentRequest, verbose_name=_("诉求"), on_delete=models.CASCADE, related_name="events"
    )
    from_state = models.CharField(_("原状态"), max_length=12, choices=ResidentRequest.State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, choices=ResidentRequest.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("诉求办理记录")
        verbose_name_plural = _("诉求办理记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.request_id}: {self.from_state} → {self.to_state}"
