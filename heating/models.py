"""Heating seasons, the companies that supply each building, inspections in the home with their readings, and
tickets to the heating company with their recorded steps.

The rules that belong to one row live here: whether a reading is below the season's standard
(`HeatingSeason.is_below`), which faults the resident cannot fix (`HeatingInspection.NEEDS_COMPANY`), and the
ticket's flow (`HeatingTicket.MOVES` and `advance`, at most one open ticket per household by a constraint).
Writes across rows (an inspection that opens or adds to a ticket and a re-inspection task) are in
`heating.services`.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.flow import InvalidMove, StateFlow
from grids.models import Building, Community, Grid
from households.models import Household

DEFAULT_STANDARD = Decimal("18.0")


class HeatingSeasonQuerySet(models.QuerySet):
    def on(self, day):
        """Seasons running on `day` (first and last day included)."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def visible_to(self, user):
        return self.filter(community__in=Grid.objects.visible_to(user).values("community"))


class HeatingSeason(models.Model):
    """A community's heating period, set and published each year by the city or county (济宁: 15 Nov – 15 Mar)."""

    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="heating_seasons"
    )
    name = models.CharField(_("名称"), max_length=40, help_text=_("如“2026—2027 供暖季”"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    standard_celsius = models.DecimalField(
        _("室温标准（℃）"),
        max_digits=3,
        decimal_places=1,
        default=DEFAULT_STANDARD,
        help_text=_("卧室、客厅不低于此温度（山东省供热条例：18 ℃）"),
    )
    cold_readings_for_ticket = models.PositiveSmallIntegerField(
        _("连续低温读数"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("测温设备连续多少次读数低于标准时自动报修"),
    )

    objects = HeatingSeasonQuerySet.as_manager()

    class Meta:
        verbose_name = _("供暖季")
        verbose_name_plural = _("供暖季")
        ordering = ["community__name", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="season_dates_ordered"),
            models.UniqueConstraint(fields=["community", "starts_on"], name="season_unique_start"),
        ]

    def __str__(self):
        return f"{self.community} · {self.name}"

    def contains(self, day):
        return self.starts_on <= day <= self.ends_on

    def is_below(self, celsius):
        """Whether a bedroom or living-room reading falls short of this season's standard (17.9 < 18.0 ≤ 18.0)."""
        return Decimal(celsius) < self.standard_celsius


class HeatingCompany(models.Model):
    name = models.CharField(_("公司名称"), max_length=80, unique=True)
    contact_person = models.CharField(_("联系人"), max_length=30, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    response_hours = models.PositiveSmallIntegerField(
        _("响应时限（小时）"), default=24, validators=[MinValueValidator(1)], help_text=_("报修后多少小时内上门测温")
    )

    class Meta:
        verbose_name = _("供热公司")
        verbose_name_plural = _("供热公司")
        ordering = ["name"]

    def __str__(self):
        return self.name


class BuildingSupply(models.Model):
    """Which company heats a building: one company per building, set in the admin."""

    building = models.OneToOneField(
        Building, verbose_name=_("楼宇"), primary_key=True, on_delete=models.CASCADE, related_name="heating_supply"
    )
    company = models.ForeignKey(
        HeatingCompany, verbose_name=_("供热公司"), on_delete=models.PROTECT, related_name="supplies"
    )

    class Meta:
        verbose_name = _("楼宇供热单位")
        verbose_name_plural = _("楼宇供热单位")

    def __str__(self):
        return f"{self.building} → {self.company}"


class HeatingInspectionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(household__in=Household.objects.visible_to(user))


class HeatingInspection(models.Model):
    """One heating check in a home: readings per room, the valve, the pipes and radiators, the advice given.

    Saved as a home visit with the heating purpose (`visit`), so it counts as a visit and completes the
    household's open heating tasks.
    """

    class Valve(models.TextChoices):
        FULLY_OPEN = "fully_open", _("全开")
        HALF_OPEN = "half_open", _("半开")
        CLOSED = "closed", _("关闭")
        STUCK = "stuck", _("卡死拧不动")

    class Fault(models.TextChoices):
        NARROW_PIPE = "narrow_pipe", _("管径过细")
        BLOCKED = "blocked", _("管道堵塞")
        LEAKING = "leaking", _("漏水")
        AIR_LOCKED = "air_locked", _("暖气片有空气")
        COLD_VALVE_OPEN = "cold_valve_open", _("阀门全开仍不热")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    # What the resident cannot put right: these go to the heating company. A half-open or closed valve and an
    # air-locked radiator get advice ("往左是开，往右是关，一定要开到底"; bleed the radiator) instead.
    NEEDS_COMPANY = frozenset({Fault.NARROW_PIPE, Fault.BLOCKED, Fault.LEAKING, Fault.COLD_VALVE_OPEN})

    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.PROTECT, related_name="heating_inspections"
    )
    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("供暖季"), on_delete=models.PROTECT, related_name="inspections"
    )
    visit = models.OneToOneField(
        "visits.Visit", verbose_name=_("走访记录"), on_delete=models.PROTECT, related_name="heating_inspection"
    )
    inspected_at = models.DateTimeField(_("测温时间"), default=timezone.now)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("测温人"), on_delete=models.PROTECT, related_name="+"
    )
    valve = models.CharField(_("阀门状态"), max_length=12, choices=Valve.choices)
    faults = models.JSONField(_("管道与暖气片"), default=list, blank=True)
    advice = models.TextField(_("现场建议"), blank=True)
    resident_can_fix = models.BooleanField(_("居民可自行处理"), default=False)
    satisfaction = models.CharField(_("居民满意度"), max_length=12, choices=Satisfaction.choices, blank=True)
    lowest_celsius = models.DecimalField(_("最低室温（℃）"), max_digits=3, decimal_places=1, null=True, blank=True)
    below_standard = models.BooleanField(_("低于标准"), default=False)
    ticket = models.ForeignKey(
        "HeatingTicket",
        verbose_name=_("报修单"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inspections",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = HeatingInspectionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("入户测温")
        verbose_name_plural = _("入户测温")
        ordering = ["-inspected_at"]
        indexes = [
            models.Index(fields=["season", "household"], name="inspection_season_household"),
            models.Index(fields=["household", "-inspected_at"], name="inspection_household_recent"),
        ]

    def __str__(self):
        return f"{self.household} {self.inspected_at:%Y-%m-%d}"

    def clean(self):
        unknown = set(self.faults) - set(self.Fault.values)
        if unknown:
            raise ValidationError({"faults": _("未知的管道或暖气片情况。")})

    @property
    def needs_company(self):
        """A fault the resident cannot fix: a stuck valve, a leak, a blockage, a cold radiator with the valve open."""
        return self.valve == self.Valve.STUCK or bool(self.NEEDS_COMPANY & set(self.faults))


class TemperatureReading(models.Model):
    class Room(models.TextChoices):
        BEDROOM = "bedroom", _("卧室")
        LIVING = "living", _("客厅")
        OTHER = "other", _("其他")

    # Rooms the 18 °C standard applies to.
    STANDARD_ROOMS = (Room.BEDROOM, Room.LIVING)

    inspection = models.ForeignKey(
        HeatingInspection, verbose_name=_("入户测温"), on_delete=models.CASCADE, related_name="readings"
    )
    room_type = models.CharField(_("房间"), max_length=10, choices=Room.choices)
    label = models.CharField(_("房间名称"), max_length=20, blank=True, help_text=_("如“主卧”“次卧”"))
    celsius = models.DecimalField(
        _("室温（℃）"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("-10.0")), MaxValueValidator(Decimal("40.0"))],
    )
    measured_at = models.DateTimeField(_("测量时间"))

    class Meta:
        verbose_name = _("室温读数")
        verbose_name_plural = _("室温读数")
        ordering = ["measured_at", "id"]

    def __str__(self):
        return f"{self.get_room_type_display()} {self.celsius} ℃"


class HeatingTicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(household__in=Household.objects.visible_to(user))

    def open(self):
        return self.filter(state__in=HeatingTicket.OPEN_STATES)

    def overdue_q(self, now):
        """Open tickets the company has not handled by the deadline (re-checked failures count again)."""
        return Q(state__in=HeatingTicket.WAITING_STATES, deadline_at__lt=now)

    def overdue(self, now):
        return self.filter(self.overdue_q(now))

    def with_overdue(self, now):
        """Annotate `is_overdue` (the rule of `overdue_q`) for lists, exports and templates to read."""
        return self.annotate(is_overdue=models.ExpressionWrapper(self.overdue_q(now), models.BooleanField()))


class InvalidTicketMove(InvalidMove):
    """A move of a heating ticket that its flow does not allow."""


class HeatingTicket(StateFlow, models.Model):
    """报修单: a problem handed to the building's heating company, with a response deadline.

    已报修 → 已受理 → 已处理 → 复查合格, or → 复查不合格, which reopens it (back to 已受理 when the company takes
    it up again). At most one open ticket per household: a later cold inspection adds to it.
    """

    class State(models.TextChoices):
        REPORTED = "reported", _("已报修")
        ACCEPTED = "accepted", _("已受理")
        HANDLED = "handled", _("已处理")
        RECHECK_PASSED = "recheck_passed", _("复查合格")
        RECHECK_FAILED = "recheck_failed", _("复查不合格")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("入户测温")
        LOGGER = "logger", _("测温设备")

    InvalidMoveError = InvalidTicketMove
    UNKNOWN_STATE = _("未知的报修单状态。")

    OPEN_STATES = (State.REPORTED, State.ACCEPTED, State.HANDLED, State.RECHECK_FAILED)
    # States in which the company owes the household a response (the deadline runs).
    WAITING_STATES = (State.REPORTED, State.ACCEPTED, State.RECHECK_FAILED)

    MOVES = {
        (State.REPORTED, State.ACCEPTED): _("供热公司已受理"),
        (State.ACCEPTED, State.HANDLED): _("供热公司已处理"),
        (State.HANDLED, State.RECHECK_PASSED): _("复查合格，结单"),
        (State.HANDLED, State.RECHECK_FAILED): _("复查不合格，重新报修"),
        (State.RECHECK_FAILED, State.ACCEPTED): _("供热公司再次受理"),
    }

    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.PROTECT, related_name="heating_tickets"
    )
    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("供暖季"), on_delete=models.PROTECT, related_name="tickets"
    )
    company = models.ForeignKey(
        HeatingCompany, verbose_name=_("供热公司"), on_delete=models.PROTECT, related_name="tickets"
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.INSPECTION)
    problem = models.TextField(_("问题"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.REPORTED)
    reported_at = models.DateTimeField(_("报修时间"), default=timezone.now)
    deadline_at = models.DateTimeField(_("响应时限"))
    closed_at = models.DateTimeField(_("结单时间"), null=True, blank=True)
    company_at_fault = models.BooleanField(
        _("供热公司责任"), null=True, blank=True, help_text=_("结单时记录，用于减免热费的后续跟进")
    )
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报修人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = HeatingTicketQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("供热报修单")
        verbose_name_plural = _("供热报修单")
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(state__in=["reported", "accepted", "handled", "recheck_failed"]),
                name="heatingticket_one_open_per_household",
                violation_error_message=_("该户已有未结的供热报修单。"),
            ),
        ]
        indexes = [
            models.Index(fields=["company", "state"], name="heatingticket_company_state"),
            models.Index(fields=["state", "deadline_at"], name="heatingticket_state_deadline"),
            models.Index(fields=["season", "state"], name="heatingticket_season_state"),
        ]
        permissions = [("export_heatingticket", _("可导出供热报修单"))]

    def __str__(self):
        return f"{self.household} · {self.get_state_display()}"

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    def prepare_move(self, to_state, at, *, company_at_fault=None):
        """Closing (复查合格) records whether the company was at fault; a failed re-check restarts the company's
        response deadline and lets the ticket escalate again."""
        if to_state == self.State.RECHECK_PASSED:
            if company_at_fault is None:
                raise InvalidTicketMove(_("结单时请记录是否为供热公司责任。"))
            self.company_at_fault = company_at_fault
            self.closed_at = at
        if to_state == self.State.RECHECK_FAILED:
            self.deadline_at = at + datetime.timedelta(hours=self.company.response_hours)
            self.escalated_at = None

    def record_move(self, from_state, to_state, *, by, at, note):
        TicketEvent.objects.create(ticket=self, from_state=from_state, to_state=to_state, by=by, at=at, note=note)


class TicketEvent(models.Model):
    """One recorded move of a heating ticket: who (none when a logger raised it), when, from which state, why."""

    ticket = models.ForeignKey(HeatingTicket, verbose_name=_("报修单"), on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("原状态"), max_length=16, choices=HeatingTicket.State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=HeatingTicket.State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("报修单办理记录")
        verbose_name_plural = _("报修单办理记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.ticket_id}: {self.from_state} → {self.to_state}"


class LoggerReading(models.Model):
    """A reading from a temperature logger in a home, imported from the logger's CSV export."""

    building = models.ForeignKey(Building, verbose_name=_("楼宇"), on_delete=models.CASCADE, related_name="+")
    room_code = models.CharField(_("房号"), max_length=20, help_text=_("楼内唯一，如 2-501"))
    household = models.ForeignKey(
        Household, verbose_name=_("居民户"), on_delete=models.CASCADE, related_name="logger_readings"
    )
    room_type = models.CharField(_("房间"), max_length=10, choices=TemperatureReading.Room.choices)
    measured_at = models.DateTimeField(_("测量时间"))
    celsius = models.DecimalField(
        _("室温（℃）"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("-10.0")), MaxValueValidator(Decimal("40.0"))],
    )
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("测温设备读数")
        verbose_name_plural = _("测温设备读数")
        ordering = ["household_id", "room_type", "measured_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "room_type", "measured_at"], name="loggerreading_unique_reading"
            ),
        ]
        indexes = [models.Index(fields=["household", "-measured_at"], name="loggerreading_household_recent")]

    def __str__(self):
        return f"{self.household_id} {self.measured_at:%m-%d %H:%M} {self.celsius} ℃"


class GridSeasonFigures(models.Model):
    """A grid's figures for one season (the rules of `heating.figures`), kept current so the dashboard adds up a
    few hundred stored rows instead of scanning the season's inspections on every view.

    Written by `heating.grid_figures`: recounted for the household's grid in the transaction of every inspection,
    ticket and ticket move, and rebuilt for every grid nightly (households added or moved, priority tags).
    """

    season = models.ForeignKey(
        HeatingSeason, verbose_name=_("供暖季"), on_delete=models.CASCADE, related_name="grid_figures"
    )
    grid = models.ForeignKey(Grid, verbose_name=_("网格"), on_delete=models.CASCADE, related_name="+")
    households = models.PositiveIntegerField(_("户数"), default=0)
    inspected = models.PositiveIntegerField(_("已测温"), default=0)
    ticket = models.PositiveIntegerField(_("已报修未结"), default=0)
    cold = models.PositiveIntegerField(_("低于标准"), default=0)
    warm = models.PositiveIntegerField(_("达标"), default=0)
    none = models.PositiveIntegerField(_("未测温"), default=0)
    below_priority = models.PositiveIntegerField(_("低于标准的重点人群户"), default=0)
    readings = models.PositiveIntegerField(_("读数"), default=0)
    reading_sum = models.DecimalField(_("读数合计"), max_digits=12, decimal_places=1, default=0)
    lowest = models.DecimalField(_("最低室温（℃）"), max_digits=3, decimal_places=1, null=True, blank=True)
    # The grid's first households below standard now in walking order, [id, in a priority group], up to
    # `grid_figures.KEPT` of each kind: enough for any scope's list of the first ones, priority groups first.
    below_first = models.JSONField(_("低于标准的居民户（前若干户）"), default=list, blank=True)
    # The same figures per building of the grid, for its tiles: {building id: {number, households, …}}.
    buildings = models.JSONField(_("各楼宇"), default=dict, blank=True)
    refreshed_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("网格供暖统计")
        verbose_name_plural = _("网格供暖统计")
        constraints = [models.UniqueConstraint(fields=["season", "grid"], name="gridseasonfigures_unique")]

    def __str__(self):
        return f"{self.grid_id} · {self.season_id}"
