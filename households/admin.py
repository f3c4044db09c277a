"""The households admin: households with their residents inline, residents, party members, lead households,
identity-number reveals, and the import/export of the resident sheet.

Writes go through `services` (search keys rebuilt in the same transaction); phones are shown as `households.pii`
allows. Anyone but a superuser sees the households under their grid nodes only (`core.admin.ScopedAdminMixin`)
and identity numbers masked: they may type a new number, never read the stored one here (the household page's
reveal button shows it, recorded).
"""

import re
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import XLSX
from import_export.results import RowResult
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts.admin import ReadOnlyAdmin
from core.admin import ScopedAdminMixin
from core.parsing import parse_id
from core.spreadsheet import ChineseCSV, ExportFilenameMixin, SafeCSV, SafeXLSX
from grids.models import Grid

from . import pii
from .exports import HouseholdExportResource, ResidentExportResource
from .idcard import mask_id_number, mask_phone, normalize_id_number
from .imports import ResidentImportResource
from .models import (
    Household,
    IdentityReveal,
    LeadHousehold,
    OriginVillage,
    PartyMember,
    PriorityGroup,
    Resident,
)
from .services import delete_residents, reveal_id_number, save_household, save_resident

FULL_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
IMPORT_EXAMPLE = Path(__file__).resolve().parent / "fixtures" / "import_example.csv"


class HouseholdImportExportMixin(ExportFilenameMixin, ImportExportMixin):
    """Import the flat household-and-resident sheet; export with identity numbers masked unless permitted."""

    import_formats = [XLSX, ChineseCSV]
    export_formats = [SafeXLSX, SafeCSV]
    import_template_name = "admin/households/import.html"

    def get_urls(self):
        return [
            path(
                "import-template/",
                self.admin_site.admin_view(self.import_template_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_import_template",
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        return FileResponse(IMPORT_EXAMPLE.open("rb"), as_attachment=True, filename="居民导入模板.csv")

    def get_import_context_data(self, **kwargs):
        return {
            **super().get_import_context_data(**kwargs),
            "import_template_url": f"admin:{self.opts.app_label}_{self.opts.model_name}_import_template",
        }

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**kwargs, "user": request.user}

    def get_import_resource_classes(self, request):
        return [ResidentImportResource]

    def has_import_permission(self, request):
        return request.user.has_perms(
            [
                "households.add_household",
                "households.change_household",
                "households.add_resident",
                "households.change_resident",
            ]
        )

    def add_success_message(self, result, request):
        messages.success(
            request,
            _("导入完成：新增 %(new)s 人，更新 %(updated)s 人，未变 %(skipped)s 人。")
            % {
                "new": result.totals[RowResult.IMPORT_TYPE_NEW],
                "updated": result.totals[RowResult.IMPORT_TYPE_UPDATE],
                "skipped": result.totals[RowResult.IMPORT_TYPE_SKIP],
            },
        )


@admin.register(OriginVillage)
class OriginVillageAdmin(admin.ModelAdmin):
    list_display = ["name", "street", "household_count"]
    list_filter = ["street"]
    list_select_related = ["street"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(household_count=Count("households"))

    @admin.display(description=_("户数"), ordering="household_count")
    def household_count(self, village):
        return village.household_count


@admin.register(PriorityGroup)
class PriorityGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order", "resident_count"]
    list_editable = ["order"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(resident_count=Count("residents"))

    @admin.display(description=_("人数"), ordering="resident_count")
    def resident_count(self, group):
        return group.resident_count


def in_visible_households(queryset, user, household_field="household"):
    """The rows whose household (`household_field`, a `__` path) lies under the user's grid nodes."""
    return queryset.filter(**{f"{household_field}__in": Household.objects.visible_to(user)})


class WriteOnlyIdNumberForm(forms.ModelForm):
    """The identity number is write-only: shown masked, kept when left blank."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.id_number and "id_number" in self.fields:
            self.initial["id_number"] = ""
            self.fields["id_number"].widget.attrs["placeholder"] = self.instance.masked_id_number
            self.fields["id_number"].help_text = _("留空则保持不变")

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number"))
        if not value and self.instance.pk:
            return self.instance.id_number
        return value or None


class ResidentInlineForm(WriteOnlyIdNumberForm):
    """A member row of the household page (the full number shows to superusers on the resident page only)."""

    class Meta:
        model = Resident
        fields = ["name", "gender", "birth_date", "id_number", "phone", "relation", "priority_groups"]

    def validate_unique(self):
        super().validate_unique()
        # An inline leaves its foreign key out of model validation, so the one-head rule is checked here.
        if self.instance.household_id:
            try:
                self.instance.validate_constraints(exclude=self._get_validation_exclusions())
            except ValidationError as error:
                self._update_errors(error)


class ResidentInlineFormSet(BaseInlineFormSet):
    def clean(self):
        """Two members marked head in one submission: each form alone sees no other head in the database."""
        super().clean()
        heads = [
            form
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("relation") == Resident.Relation.HEAD
        ]
        if len(heads) > 1:
            raise ValidationError(_("一户只能有一位户主，请只保留一位成员为“户主”。"))


class MaskedPersonalData:
    """Read-only columns showing a resident's identity number and phone masked (for the roles that may not see them)."""

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, resident):
        return resident.masked_id_number

    @admin.display(description=_("手机号"))
    def masked_phone(self, resident):
        return mask_phone(resident.phone)


class ResidentInline(MaskedPersonalData, admin.TabularInline):
    model = Resident
    form = ResidentInlineForm
    formset = ResidentInlineFormSet
    fields = ResidentInlineForm.Meta.fields
    readonly_fields = ["masked_id_number", "masked_phone"]
    extra = 0
    show_change_link = True
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}

    def get_fields(self, request, obj=None):
        masked = {}
        if not pii.may_see_phone(request.user):
            masked["phone"] = "masked_phone"
        # The form masks the number it edits; a view-only page would show the stored value.
        if not self.has_change_permission(request, obj):
            masked["id_number"] = "masked_id_number"
        return [masked.get(name, name) for name in self.fields]


class LeadHouseholdLinkFilter(admin.SimpleListFilter):
    title = _("是否联系党员中心户")
    parameter_name = "linked"

    def lookups(self, request, model_admin):
        return [("yes", _("已联系")), ("no", _("未联系"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(lead_household__isnull=False)
        if self.value() == "no":
            return queryset.filter(lead_household__isnull=True)
        return queryset


class GridOfCommunityFilter(admin.SimpleListFilter):
    """网格, listed once a community is chosen (a street has hundreds: listing them all on every changelist page
    cost more than the page's rows); `?grid=<id>` alone filters too, for links."""

    title = _("网格")
    parameter_name = "grid"

    def lookups(self, request, model_admin):
        grids = Grid.objects.visible_to(request.user).order_by("name")
        community = parse_id(request.GET.get("building__grid__community__id__exact"))
        if community:
            return list(grids.filter(community_id=community).values_list("pk", "name"))
        chosen = parse_id(self.value())
        return list(grids.filter(pk=chosen).values_list("pk", "name")) if chosen else []

    def queryset(self, request, queryset):
        chosen = parse_id(self.value())
        return queryset.filter(building__grid_id=chosen) if chosen else queryset


@admin.register(Household)
class HouseholdAdmin(ScopedAdminMixin, HouseholdImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [HouseholdExportResource]
    list_display = [
        "room_code_display",
        "head_name_display",
        "grid_display",
        "status",
        "origin_village",
        "lead_household_display",
        "phone",
    ]
    list_filter = [
        "status",
        "building__grid__community",
        GridOfCommunityFilter,
        "origin_village",
        LeadHouseholdLinkFilter,
    ]
    # 100,000 households: 50 rows a page, and no second COUNT of the whole table beside the filtered one.
    list_per_page = 50
    show_full_result_count = False
    list_select_related = [
        "building__grid__community",
        "origin_village",
        "lead_household__household__building",
        "lead_household__party_member__resident",
    ]
    search_fields = ["=room", "=phone", "=building__number"]
    search_help_text = _("按姓名、拼音（如 wyk）、电话或后四位、楼号-单元-房号（如 3-2-501）搜索")
    autocomplete_fields = ["building", "origin_village", "lead_household"]
    inlines = [ResidentInline]
    fields = ["building", "unit", "floor", "room", "origin_village", "status", "phone", "lead_household", "note"]

    def get_queryset(self, request):
        # The changelist skips list_select_related once a queryset has select_related, so it is applied here,
        # where the autocomplete view (which renders str(household)) gets it too.
        # The lead household's member is shown by name: not decrypting their identity number saves 50 decryptions.
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .defer("lead_household__party_member__resident__id_number")
            .with_head_name()
        )

    def get_search_results(self, request, queryset, search_term):
        """Through the household search keys: names, pinyin, phones and room codes, by index prefix."""
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    @admin.display(description=_("门牌"), ordering="building__number")
    def room_code_display(self, household):
        return household.room_code

    @admin.display(description=_("户主"), ordering="head_name")
    def head_name_display(self, household):
        return household.head_name or "—"

    @admin.display(description=_("网格"), ordering="building__grid__name")
    def grid_display(self, household):
        return household.building.grid

    @admin.display(description=_("党员中心户"))
    def lead_household_display(self, household):
        return household.lead_household or "—"

    @admin.display(description=_("联系电话"))
    def masked_phone(self, household):
        return mask_phone(household.phone)

    def get_list_display(self, request):
        if pii.may_see_phone(request.user):
            return self.list_display
        return [name if name != "phone" else "masked_phone" for name in self.list_display]

    def get_fields(self, request, obj=None):
        if obj is not None and obj.phone and not pii.may_see_phone(request.user):
            return [name if name != "phone" else "masked_phone" for name in self.fields]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        return ["masked_phone"]

    def save_model(self, request, obj, form, change):
        """Saved with its residents by `save_related`, in one `services.save_household`."""

    def save_related(self, request, form, formsets, change):
        save_household(
            household=form.instance,
            save_residents=lambda: super(HouseholdAdmin, self).save_related(request, form, formsets, change),
        )


class MaskedHistory(HistoricalRecordContextHelper):
    """A resident's change history with the identity number masked, and the phone as `pii` shows it to `user`."""

    def __init__(self, model, historical_record, *, user):
        super().__init__(model, historical_record)
        self.user = user

    def prepare_delta_change_value(self, change, value):
        if change.field == "id_number":
            return mask_id_number(value)
        if change.field == "phone":
            return pii.phone_for(self.user, value)
        return super().prepare_delta_change_value(change, value)


@admin.register(Resident)
class ResidentAdmin(ScopedAdminMixin, MaskedPersonalData, HouseholdImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [ResidentExportResource]
    list_display = [
        "name",
        "masked_id_number",
        "gender",
        "birth_date",
        "relation",
        "household_display",
        "priority_group_names",
    ]
    list_filter = ["priority_groups", "gender", "relation", "household__building__grid"]
    list_select_related = ["household__building"]
    search_fields = ["name"]
    search_help_text = _("按姓名搜索；身份证号须输入完整的18位号码")
    autocomplete_fields = ["household"]
    filter_horizontal = ["priority_groups"]

    def scope(self, queryset, user):
        return in_visible_households(queryset, user)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("priority_groups")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = WriteOnlyIdNumberForm
        return super().get_form(request, obj, change, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """A full identity number is looked up by its keyed hash (the unique index), never by LIKE."""
        number = normalize_id_number(search_term)
        if FULL_ID_NUMBER.match(number):
            return queryset.with_id_number(number), False
        return super().get_search_results(request, queryset, search_term)

    def get_fields(self, request, obj=None):
        fields = ["household", "name", "gender", "birth_date", "id_number", "phone", "relation", "priority_groups"]
        # Anyone else edits the number through the write-only form; a view-only page would show the stored value.
        read_only = not request.user.is_superuser and not self.has_change_permission(request, obj)
        if obj is not None and obj.id_number and read_only:
            fields[fields.index("id_number")] = "masked_id_number"
        if obj is not None and obj.phone and not pii.may_see_phone(request.user):
            fields[fields.index("phone")] = "masked_phone"
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ["masked_id_number", "masked_phone"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A superuser's page shows the full number: the showing is recorded."""
        if request.method == "GET" and request.user.is_superuser:
            resident = self.get_object(request, object_id)
            if resident is not None and resident.id_number and self.has_view_or_change_permission(request, resident):
                reveal_id_number(user=request.user, resident=resident, request=request)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_historical_record_context_helper(self, request, historical_record):
        if request.user.is_superuser:
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedHistory(self.model, historical_record, user=request.user)

    @admin.display(description=_("居民户"), ordering="household__building__number")
    def household_display(self, resident):
        return resident.household.room_code

    @admin.display(description=_("重点人群"))
    def priority_group_names(self, resident):
        return "、".join(group.name for group in resident.priority_groups.all())

    def save_model(self, request, obj, form, change):
        """Saved with its priority groups by `save_related`, in one `services.save_resident`."""

    def save_related(self, request, form, formsets, change):
        save_resident(
            resident=form.instance,
            previous_household_id=form.initial.get("household") if change else None,
            save_related=lambda: super(ResidentAdmin, self).save_related(request, form, formsets, change),
        )

    def delete_model(self, request, obj):
        delete_residents(residents=[obj])

    def delete_queryset(self, request, queryset):
        delete_residents(residents=queryset)


@admin.register(PartyMember)
class PartyMemberAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["resident", "household_display", "joined_on", "party_role", "is_probationary"]
    list_filter = ["party_role", "is_probationary"]
    list_select_related = ["resident__household__building"]
    search_fields = ["resident__name"]
    autocomplete_fields = ["resident"]
    date_hierarchy = "joined_on"

    def scope(self, queryset, user):
        return in_visible_households(queryset, user, "resident__household")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description=_("居民户"), ordering="resident__household__building__number")
    def household_display(self, member):
        return member.resident.household.room_code


@admin.register(LeadHousehold)
class LeadHouseholdAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    list_display = ["household_display", "party_member", "grid_display", "since_on", "linked_count"]
    list_filter = ["household__building__grid"]
    list_select_related = ["household__building__grid", "party_member__resident"]
    search_fields = ["party_member__resident__name", "=household__room", "=household__building__number"]
    autocomplete_fields = ["household", "party_member"]
    ordering = ["household__building_id", "household__unit", "household__room"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(*self.list_select_related)
            .annotate(linked_count=Count("linked_households"))
        )

    @admin.display(description=_("中心户"), ordering="household__building__number")
    def household_display(self, lead):
        return lead.household.room_code

    @admin.display(description=_("网格"), ordering="household__building__grid__name")
    def grid_display(self, lead):
        return lead.household.building.grid

    @admin.display(description=_("联系户数"), ordering="linked_count")
    def linked_count(self, lead):
        return lead.linked_count


@admin.register(IdentityReveal)
class IdentityRevealAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["revealed_at", "user", "resident", "masked_id_number"]
    list_select_related = ["user", "resident"]
    list_filter = ["revealed_at"]
    search_fields = ["user__username", "user__full_name", "resident__name"]
    date_hierarchy = "revealed_at"

    def scope(self, queryset, user):
        return in_visible_households(queryset, user, "resident__household")

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, reveal):
        return reveal.resident.masked_id_number
