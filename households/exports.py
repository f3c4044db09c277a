"""Exports of households and residents from the admin (django-import-export).

The resident export writes the import's sheet (`imports.COLUMNS`), one row per resident, so an exported file can
be corrected and imported again; the household export writes one row per household with its head, size and lead
household. Household columns of a resident are attribute paths (`household__building__number`), not methods.
Phones and identity numbers are what the exporting user may see (`households.pii`), and every full identity
number exported is recorded. The file formats (`core.spreadsheet`) neutralise formulae and keep numbers.
"""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from core.spreadsheet import ChineseDateWidget, ChoiceLabelWidget, number_widget

from . import pii
from .imports import COLUMNS, HOUSEHOLD_FIELDS, RESIDENT_FIELDS
from .models import Household, PriorityGroup, Resident
from .search import room_code
from .services import record_id_reveals


class PhoneField(fields.Field):
    """A phone column: in full or masked, as `pii.phone_for` shows it to the exporting user."""


class IdNumberField(fields.Field):
    """A resident's identity-number column: masked, or in full (and recorded) for users who may reveal it."""


def column(attribute, name, **kwargs):
    """A field reading `attribute` (a `__` path) under the import's header for `name`."""
    field_class = kwargs.pop("field_class", fields.Field)
    return field_class(attribute=attribute, column_name=COLUMNS.get(name, name), **kwargs)


class PersonalDataExport(resources.ModelResource):
    """An export made for `user`: its `PhoneField`s and `IdNumberField`s go through `households.pii`."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self._revealed = []

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field, PhoneField):
            return pii.phone_for(self.user, value)
        if isinstance(field, IdNumberField) and value:
            shown = pii.id_number_for(self.user, value, recorded=True)
            if shown == value:
                self._revealed.append(instance.pk)
            return shown
        return value

    def after_export(self, queryset, dataset, **kwargs):
        if self._revealed:
            record_id_reveals(user=self.user, resident_ids=self._revealed)
            self._revealed = []


class ResidentExportResource(PersonalDataExport):
    """One row per resident, with the columns of its household in front: the import's sheet."""

    community = column("household__building__grid__community__name", "community")
    grid = column("household__building__grid__name", "grid")
    building = column("household__building__number", "building")
    unit = column("household__unit", "unit", widget=number_widget())
    floor = column("household__floor", "floor", widget=number_widget())
    room = column("household__room", "room")
    origin_village = column("household__origin_village__name", "origin_village")
    status = column("household__get_status_display", "status")
    household_phone = column("household__phone", "household_phone", field_class=PhoneField)
    name = column("name", "name")
    gender = column("gender", "gender", widget=ChoiceLabelWidget(Resident.Gender))
    birth_date = column("birth_date", "birth_date", widget=ChineseDateWidget())
    id_number = column("id_number", "id_number", field_class=IdNumberField)
    phone = column("phone", "phone", field_class=PhoneField)
    relation = column("relation", "relation", widget=ChoiceLabelWidget(Resident.Relation))
    priority_groups = column(
        "priority_groups",
        "priority_groups",
        widget=widgets.ManyToManyWidget(PriorityGroup, separator="、", field="name"),
    )

    class Meta:
        model = Resident
        name = _("居民户与居民（每行一位居民）")
        fields = (*HOUSEHOLD_FIELDS, *RESIDENT_FIELDS)
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "household__building__grid__community", "household__origin_village"
        ).prefetch_related("priority_groups")


class HouseholdExportResource(PersonalDataExport):
    """One row per household with its head, size and lead household."""

    community = column("building__grid__community__name", "community")
    grid = column("building__grid__name", "grid")
    building = column("building__number", "building")
    unit = column("unit", "unit", widget=number_widget())
    floor = column("floor", "floor", widget=number_widget())
    room = column("room", "room")
    origin_village = column("origin_village__name", "origin_village")
    status = column("get_status_display", "status")
    phone = column("phone", "household_phone", field_class=PhoneField)
    head_name = column("head_name", "户主")
    resident_count = column("resident_count", "人数", widget=number_widget())
    lead_household = fields.Field(column_name="党员中心户")

    class Meta:
        model = Household
        name = _("居民户（每行一户）")
        fields = (
            "community",
            "grid",
            "building",
            "unit",
            "floor",
            "room",
            "origin_village",
            "status",
            "phone",
            "head_name",
            "resident_count",
            "lead_household",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        if "head_name" not in queryset.query.annotations:
            queryset = queryset.with_head_name()
        return queryset.annotate(resident_count=Count("residents", distinct=True)).select_related(
            "building__grid__community",
            "origin_village",
            "lead_household__household__building",
            "lead_household__party_member__resident",
        )

    def dehydrate_lead_household(self, household):
        lead = household.lead_household
        if lead is None:
            return ""
        return (
            f"{room_code(lead.household.building.number, lead.household.unit, lead.household.room)} {lead.party_member}"
        )
