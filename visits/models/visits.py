"""Home visits, the visit policies and each household's place in its visit cycle; when a visit may be dated
(`validate_visit_time`)."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from households.models import Household, PriorityGroup

from ..purposes import Purpose


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
