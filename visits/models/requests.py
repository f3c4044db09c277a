"""Resident requests (民情诉求) and their recorded steps: `ResidentRequest.MOVES` and `advance`, overdue as a
queryset annotation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.flow import InvalidMove, StateFlow
from grids.models import in_scope
from households.models import Household

from .expressions import flag
from .visits import Visit


class InvalidTransition(InvalidMove):
    """A move of a resident request that its flow does not allow (or that lacks what the move needs)."""


class ResidentRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        return in_scope(self, user, "household__building__grid")

    def open(self):
        return self.exclude(state=ResidentRequest.State.CLOSED)

    @staticmethod
    def overdue_q(now):
        """The one definition of an overdue request: not closed and past its deadline."""
        return Q(due_at__lt=now) & ~Q(state=ResidentRequest.State.CLOSED)

    def with_overdue(self, now):
        """Annotate `is_overdue`, for the lists, the request page and the workbench."""
        return self.annotate(is_overdue=flag(self.overdue_q(now)))

    def overdue(self, now):
        return self.filter(self.overdue_q(now))


class ResidentRequest(StateFlow, models.Model):
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
    InvalidMoveError = InvalidTransition
    UNKNOWN_STATE = _("未知的办理状态。")
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

    def prepare_move(self, to_state, at, *, assignee=None, satisfaction=""):
        """Dispatch needs an assignee; leaving 核查 needs the resident's satisfaction answer, which is kept;
        closing sets `closed_at`."""
        if to_state == self.State.DISPATCHED:
            if assignee is None:
                raise InvalidTransition(_("派遣时必须指定承办人。"))
            self.assignee = assignee
        if self.state == self.State.VERIFYING:
            if satisfaction not in self.Satisfaction.values:
                raise InvalidTransition(_("核查时请记录居民的满意度。"))
            self.satisfaction = satisfaction
        if to_state == self.State.CLOSED:
            self.closed_at = at

    def record_move(self, from_state, to_state, *, by, at, note):
        RequestEvent.objects.create(request=self, from_state=from_state, to_state=to_state, by=by, at=at, note=note)


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
