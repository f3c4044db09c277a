"""The heating admin: seasons, companies with the buildings they supply, the pre-season sweep, inspections,
tickets, and logger readings with their CSV import.

For anyone but a superuser every list goes through the model's `visible_to` (buildings and logger readings
through their building's and household's). Inspections, tickets and their readings and events are written by
`heating.services`, so here they are read, filtered and, for a ticket, its recorded steps shown.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import AutocompleteIdsMixin, ScopedAdminMixin
from grids.models import Building, Grid
from households.models import Household

from . import grid_figures
from .imports import LoggerImportError, import_logger_csv, row_errors_text
from .models import (
    BuildingSupply,
    HeatingCompany,
    HeatingInspection,
    HeatingSeason,
    HeatingTicket,
    LoggerReading,
    TemperatureReading,
    TicketEvent,
)
from .sweep import schedule_season_check, with_check_progress

# Without a season starting later, the sweep's tasks are due this many days from today.
SWEEP_DAYS = 14


class ScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Lists what the user may see: the model's `visible_to` for anyone but a superuser (`core.admin`)."""


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class GridFilter(admin.SimpleListFilter):
    """The grid of the row's household's building, among the grids the user may see."""

    title = _("网格")
    parameter_name = "grid"
    field = "household__building__grid"

    def lookups(self, request, model_admin):
        grids = Grid.objects.visible_to(request.user).select_related("community").order_by("community__name", "name")
        return [(grid.pk, f"{grid.community.name} {grid.name}") for grid in grids]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.field: self.value()})
        return queryset


class BuildingGridFilter(GridFilter):
    field = "building__grid"


@admin.register(HeatingSeason)
class HeatingSeasonAdmin(ScopedAdmin):
    list_display = ["name", "community", "starts_on", "ends_on", "standard_celsius", "cold_readings_for_ticket"]
    list_filter = ["community"]
    list_select_related = ["community"]
    search_fields = ["name", "community__name"]
    date_hierarchy = "starts_on"
    fields = ["community", "name", "starts_on", "ends_on", "standard_celsius", "cold_readings_for_ticket"]


class BuildingSupplyInline(AutocompleteIdsMixin, admin.TabularInline):
    """The buildings a company heats; a building can be in one company's list only (its supply is one row)."""

    model = BuildingSupply
    extra = 0
    autocomplete_fields = ["building"]
    verbose_name = _("供热楼宇")
    verbose_name_plural = _("供热楼宇（每栋楼只属于一家供热公司）")


@admin.register(HeatingCompany)
class HeatingCompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_person", "phone", "response_hours", "building_count"]
    search_fields = ["name", "contact_person"]
    inlines = [BuildingSupplyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(building_count=Count("supplies"))

    @admin.display(description=_("供热楼宇数"), ordering="building_count")
    def building_count(self, company):
        return company.building_count


@admin.action(description=_("为所选楼宇生成供暖季前检查任务"), permissions=["sweep"])
def sweep_buildings(modeladmin, request, queryset):
    """One check task per household of the chosen buildings, due the day before their community's next season
    starts (or in SWEEP_DAYS days when none is set); buildings of one community are swept together."""
    today = timezone.localdate()
    by_community = {}
    for building_id, community_id in queryset.values_list("building_id", "building__grid__community_id"):
        by_community.setdefault(community_id, []).append(building_id)
    created = 0
    for community_id, building_ids in by_community.items():
        season = HeatingSeason.objects.filter(community=community_id, starts_on__gt=today).order_by("starts_on").first()
        due_on = (
            season.starts_on - datetime.timedelta(days=1) if season else today + datetime.timedelta(days=SWEEP_DAYS)
        )
        created += schedule_season_check(buildings=building_ids, due_on=due_on)
    modeladmin.message_user(
        request,
        _("已为 %(buildings)s 栋楼生成供暖季前检查任务 %(created)s 条（已有任务的居民户不重复生成）。")
        % {"buildings": queryset.count(), "created": created},
        messages.SUCCESS,
    )


@admin.register(BuildingSupply)
class BuildingSupplyAdmin(ScopedAdmin):
    """Which company heats each building, and the pre-season sweep: choose buildings, run the action, follow the
    open and done check tasks per building in the list."""

    list_display = ["building_display", "grid_display", "company", "check_open", "check_done"]
    list_filter = ["company", BuildingGridFilter, "building__grid__community"]
    list_select_related = ["building__grid__community", "company"]
    search_fields = ["=building__number", "company__name", "building__grid__name"]
    autocomplete_fields = ["building"]
    actions = [sweep_buildings]

    def scope(self, queryset, user):
        return queryset.filter(building__in=Building.objects.visible_to(user))

    def get_queryset(self, request):
        return with_check_progress(super().get_queryset(request), building_field="building")

    def has_sweep_permission(self, request):
        return request.user.has_perm("visits.add_visittask")

    @admin.display(description=_("楼宇"), ordering="building__number")
    def building_display(self, supply):
        return supply.building

    @admin.display(description=_("网格"), ordering="building__grid__name")
    def grid_display(self, supply):
        return f"{supply.building.grid.community.name} {supply.building.grid.name}"

    @admin.display(description=_("季前检查待办"), ordering="check_open")
    def check_open(self, supply):
        return supply.check_open

    @admin.display(description=_("季前检查已完成"), ordering="check_done")
    def check_done(self, supply):
        return supply.check_done


class TemperatureReadingInline(ReadOnlyInline):
    model = TemperatureReading
    fields = ["room_type", "label", "celsius", "measured_at"]
    readonly_fields = fields


class BelowStandardFilter(admin.SimpleListFilter):
    title = _("室温")
    parameter_name = "below"

    def lookups(self, request, model_admin):
        return [("yes", _("低于标准")), ("no", _("达标"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(below_standard=self.value() == "yes")
        return queryset


@admin.register(HeatingInspection)
class HeatingInspectionAdmin(ScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "inspected_at",
        "household_display",
        "season",
        "lowest_celsius",
        "below_standard",
        "valve",
        "inspected_by",
        "ticket_link",
    ]
    list_filter = ["season", GridFilter, BelowStandardFilter, "valve", "satisfaction"]
    list_select_related = ["household__building", "season__community", "inspected_by", "ticket"]
    search_fields = ["=household__room", "=household__building__number", "inspected_by__full_name"]
    date_hierarchy = "inspected_at"
    inlines = [TemperatureReadingInline]
    readonly_fields = ["household", "season", "visit", "inspected_by", "ticket", "created_at"]
    fields = [
        "household",
        "season",
        "visit",
        "inspected_at",
        "inspected_by",
        "valve",
        "faults",
        "advice",
        "resident_can_fix",
        "satisfaction",
        "lowest_celsius",
        "below_standard",
        "ticket",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # an inspection is a visit: recorded at /heating/inspections/new/

    def save_related(self, request, form, formsets, change):
        """A corrected inspection or reading changes its grid's season figures: recount them (same transaction)."""
        super().save_related(request, form, formsets, change)
        inspection = form.instance
        grid_figures.refresh_household(season_id=inspection.season_id, household_id=inspection.household_id)

    @admin.display(description=_("居民户"), ordering="household__building__number")
    def household_display(self, inspection):
        return inspection.household.room_code

    @admin.display(description=_("报修单"))
    def ticket_link(self, inspection):
        if inspection.ticket_id is None:
            return "—"
        url = reverse("admin:heating_heatingticket_change", args=[inspection.ticket_id])
        return format_html('<a href="{}">{}</a>', url, inspection.ticket.get_state_display())


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "from_state", "to_state", "by", "note"]
    readonly_fields = fields


class TicketStateFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("未结（全部）")), *HeatingTicket.State.choices]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() in HeatingTicket.State.values:
            return queryset.filter(state=self.value())
        return queryset


class TicketOverdueFilter(admin.SimpleListFilter):
    title = _("响应时限")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已超时"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue(timezone.now())
        return queryset


@admin.register(HeatingTicket)
class HeatingTicketAdmin(ScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "reported_at",
        "household_display",
        "company",
        "state",
        "source",
        "deadline_at",
        "closed_at",
        "company_at_fault",
    ]
    list_filter = [TicketStateFilter, TicketOverdueFilter, GridFilter, "company", "season", "source"]
    list_select_related = ["household__building", "company"]
    search_fields = ["=household__room", "=household__building__number", "problem"]
    date_hierarchy = "reported_at"
    inlines = [TicketEventInline]
    fields = [
        "household",
        "season",
        "company",
        "source",
        "state",
        "problem",
        "reported_at",
        "deadline_at",
        "closed_at",
        "company_at_fault",
        "escalated_at",
        "created_by",
    ]
    # The state moves only through the ticket's flow (`HeatingTicket.advance`, on the ticket page), never by hand.
    readonly_fields = [
        "household",
        "season",
        "company",
        "source",
        "state",
        "reported_at",
        "closed_at",
        "company_at_fault",
        "escalated_at",
        "created_by",
    ]

    def has_add_permission(self, request):
        return False  # a ticket is raised by an inspection or a logger

    @admin.display(description=_("居民户"), ordering="household__building__number")
    def household_display(self, ticket):
        return ticket.household.room_code


class LoggerImportForm(forms.Form):
    season = forms.ModelChoiceField(
        label=_("供暖季"), queryset=HeatingSeason.objects.none(), help_text=_("楼号按该供暖季所属社区查找")
    )
    file = forms.FileField(label=_("CSV 文件"), help_text=_("列：楼号、房号（单元-房号，如 2-501）、房间、时间、室温"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        seasons = HeatingSeason.objects.select_related("community")
        if not user.is_superuser:
            seasons = seasons.visible_to(user)
        self.fields["season"].queryset = seasons
        current = seasons.on(timezone.localdate()).first()
        if current is not None:
            self.fields["season"].initial = current.pk


@admin.register(LoggerReading)
class LoggerReadingAdmin(ScopedAdmin):
    list_display = ["measured_at", "household_display", "room_type", "celsius", "imported_at"]
    list_filter = ["room_type", BuildingGridFilter, "imported_at"]
    list_select_related = ["household__building"]
    search_fields = ["=room_code", "=building__number"]
    date_hierarchy = "measured_at"
    change_list_template = "admin/heating/loggerreading/change_list.html"

    def scope(self, queryset, user):
        return queryset.filter(household__in=Household.objects.visible_to(user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request):
        return request.user.has_perms(["heating.add_loggerreading", "heating.add_heatingticket"])

    @admin.display(description=_("居民户"), ordering="household__building__number")
    def household_display(self, reading):
        return reading.household.room_code

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="heating_loggerreading_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload a logger CSV for a season: all rows saved and checked against the standard, or none."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = LoggerImportForm(request.POST or None, request.FILES or None, user=request.user)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                result = import_logger_csv(season=form.cleaned_data["season"], data=form.cleaned_data["file"].read())
            except LoggerImportError as error:
                errors = row_errors_text(error.errors)
            else:
                self.message_user(
                    request,
                    _("导入完成：共 %(rows)s 行，新增读数 %(created)s 条，触发报修 %(tickets)s 户。")
                    % {"rows": result.rows, "created": result.created, "tickets": len(result.tickets)},
                    messages.SUCCESS,
                )
                return redirect("admin:heating_loggerreading_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("导入测温设备读数"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/heating/loggerreading/import.html", context)
