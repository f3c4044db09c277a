"""Visit tasks: someone should visit this household; overdue and lateness as queryset annotations, and a
worker's day ordered by priority and lateness (see `visits.day`). Task kinds are keys registered in `visits.kinds`."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, DateField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.functions import Coalesce, Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import in_scope
from households.models import Household

from .. import kinds
from .expressions import flag
from .visits import Visit

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
            is_overdue=flag(late),
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
        return self.annotate(not_due=flag(Q(late_since__gt=today)), tier=tier).order_by(
            "not_due", "tier", "late_since", "due_on", "pk"
        )

    def overdue(self, today):
        return self.filter(self.overdue_q(today))

    def due_today(self, today):
        return self.open().filter(due_on=today)

    def visible_to(self, user):
        return in_scope(self, user, "household__building__grid")


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
    def action_url(self):
        """The form that does this task (the kind's own, e.g. heating's inspection form), for this household."""
        url_name, _label = kinds.action_of(self.kind)
        return f"{reverse(url_name)}?household={self.household_id}"

    @property
    def action_label(self):
        return kinds.action_of(self.kind)[1] or _("记录走访")

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
