"""Import and export of households and residents (django-import-export).

One flat sheet, one row per resident. The household columns key the dwelling by (building, unit, room); the
resident is keyed by identity-card number, or by name inside the household when the number is blank. A file
with any bad row imports nothing; importing the same file again changes nothing.
"""

import datetime
import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.formats.base_formats import CSV

from grids.models import Building

from .idcard import birth_date_of, mask_id_number, normalize_id_number
from .models import Household, OriginVillage, PriorityGroup, Resident
from .search import room_code
from .services import record_id_reveals, reindex_households

# Column headers are part of the file format shared with community staff, so they stay Chinese whatever the
# interface language (like the role group names).
COLUMNS = {
    "community": "社区",
    "grid": "网格",
    "building": "楼号",
    "unit": "单元",
    "floor": "楼层",
    "room": "房号",
    "origin_village": "原村",
    "status": "居住状态",
    "household_phone": "户联系电话",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "手机号",
    "relation": "与户主关系",
    "priority_groups": "重点人群",
}
HOUSEHOLD_FIELDS = [
    "community",
    "grid",
    "building",
    "unit",
    "floor",
    "room",
    "origin_village",
    "status",
    "household_phone",
]
RESIDENT_FIELDS = ["name", "gender", "birth_date", "id_number", "phone", "relation", "priority_groups"]
REQUIRED_COLUMNS = ["community", "building", "unit", "room", "name"]

_LIST_SEPARATORS = re.compile(r"[,，、;；/\s]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def cell_text(value):
    """A cell as text: Excel gives numbers for rooms and phones (501, 13800000000.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return cell_text(value)


class IdNumberWidget(widgets.CharWidget):
    """Upper-cased, spaces removed; a blank cell is no number (NULL), so it never collides as ""."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, int | float) and not isinstance(value, bool):
            # Excel keeps 15 significant digits, so an 18-digit number typed as a number has lost its end.
            raise ValueError(_("身份证号须以文本格式填写：Excel 会把18位数字的末几位变成0。"))
        return normalize_id_number(cell_text(value)) or None


class ChoiceLabelWidget(widgets.Widget):
    """Reads the Chinese label of a `TextChoices` (男, 户主…) and writes it back on export."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(**kwargs)

    def clean(self, value, row=None, **kwargs):
        text = cell_text(value)
        if not text:
            return ""
        for choice in self.choices:
            if text in (str(choice.label), choice.value):
                return choice.value
        raise ValueError(
            _("“%(value)s”不是有效选项，可填：%(options)s。")
            % {"value": text, "options": "、".join(str(label) for label in self.choices.labels)}
        )

    def render(self, value, obj=None, **kwargs):
        if not value:
            return ""
        return str(self.choices(value).label)


class ChineseDateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs):
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = cell_text(value)
        if not text:
            return None
        for date_format in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a date, no time
            except ValueError:
                continue
        raise ValueError(_("日期“%(value)s”无法识别，请写作 1960-05-17。") % {"value": text})


class PriorityGroupsWidget(widgets.ManyToManyWidget):
    """Names separated by 、 , ； or spaces; an unknown name is an error, never silently dropped."""

    def __init__(self, **kwargs):
        super().__init__(PriorityGroup, separator="、", field="name", **kwargs)
        self._groups = None

    def clean(self, value, row=None, **kwargs):
        names = [name for name in _LIST_SEPARATORS.split(cell_text(value)) if name]
        if not names:
            return []
        if self._groups is None:
            self._groups = {}
            for group in PriorityGroup.objects.all():
                self._groups[group.name] = group
                self._groups[group.code] = group
        unknown = [name for name in names if name not in self._groups]
        if unknown:
            raise ValueError(
                _("重点人群“%(names)s”不存在，可填：%(options)s。")
                % {
                    "names": "、".join(unknown),
                    "options": "、".join(sorted({g.name for g in self._groups.values()})),
                }
            )
        return list({self._groups[name].pk: self._groups[name] for name in names}.values())


class ChineseCSV(CSV):
    """CSV read as bytes and decoded as UTF-8 (with or without BOM) or, failing that, GB18030 as saved by Excel."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            try:
                in_stream = in_stream.decode("utf-8-sig")
            except UnicodeDecodeError:
                in_stream = in_stream.decode("gb18030")
        return super().create_dataset(in_stream, **kwargs)


def _household_of(resident):
    return resident.household if resident.household_id else None


class ResidentResource(resources.ModelResource):
    """One row per resident, with the columns of its household in front."""

    community = fields.Field(column_name=COLUMNS["community"])
    grid = fields.Field(column_name=COLUMNS["grid"])
    building = fields.Field(column_name=COLUMNS["building"])
    unit = fields.Field(column_name=COLUMNS["unit"])
    floor = fields.Field(column_name=COLUMNS["floor"])
    room = fields.Field(column_name=COLUMNS["room"])
    origin_village = fields.Field(column_name=COLUMNS["origin_village"])
    status = fields.Field(column_name=COLUMNS["status"])
    household_phone = fields.Field(column_name=COLUMNS["household_phone"])
    name = fields.Field(attribute="name", column_name=COLUMNS["name"], widget=TextWidget())
    gender = fields.Field(attribute="gender", column_name=COLUMNS["gender"], widget=ChoiceLabelWidget(Resident.Gender))
    birth_date = fields.Field(attribute="birth_date", column_name=COLUMNS["birth_date"], widget=ChineseDateWidget())
    id_number = fields.Field(attribute="id_number", column_name=COLUMNS["id_number"], widget=IdNumberWidget())
    phone = fields.Field(attribute="phone", column_name=COLUMNS["phone"], widget=TextWidget())
    relation = fields.Field(
        attribute="relation", column_name=COLUMNS["relation"], widget=ChoiceLabelWidget(Resident.Relation)
    )
    priority_groups = fields.Field(
        attribute="priority_groups", column_name=COLUMNS["priority_groups"], widget=PriorityGroupsWidget()
    )

    class Meta:
        model = Resident
        name = _("居民户与居民（每行一位居民）")
        fields = (*HOUSEHOLD_FIELDS, *RESIDENT_FIELDS)
        import_order = fields
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self._buildings = {}
        self._villages = {}
        self._households = {}
        self._row = None
        self._seen_id_numbers = {}
        self._touched = set()
        self._revealed = []

    # Import -------------------------------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # A bad row must undo every other row, including on the admin's confirm step, which does not ask for it.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run, raise_errors, use_transactions, **kwargs)

    def before_import(self, dataset, **kwargs):
        headers = [cell_text(header) for header in dataset.headers or []]
        dataset.headers = headers
        for index in reversed(range(len(dataset))):
            if not any(cell_text(cell) for cell in dataset[index]):
                del dataset[index]
        missing = [COLUMNS[name] for name in REQUIRED_COLUMNS if COLUMNS[name] not in headers]
        if missing:
            raise ValueError(_("文件缺少必填列：%(columns)s。请使用导入模板的表头。") % {"columns": "、".join(missing)})

    def before_import_row(self, row, **kwargs):
        self._row = _HouseholdRow(self, row)

    def get_instance(self, instance_loader, row):
        residents = Resident.objects.select_related("household__building__grid__community", "household__origin_village")
        try:
            id_number = IdNumberWidget().clean(row.get(COLUMNS["id_number"]))
        except ValueError:
            return None  # reported on the row by import_instance
        if id_number:
            return residents.filter(id_number=id_number).first()
        household = self._row.household
        name = cell_text(row.get(COLUMNS["name"]))
        if household is not None and household.pk and name:
            return residents.filter(household=household, name=name, id_number__isnull=True).first()
        return None

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = self._by_column(exc.message_dict)
        try:
            self.fields["priority_groups"].clean(row)
        except ValueError as exc:
            errors[COLUMNS["priority_groups"]] = [str(exc)]
        errors.update(self._row.errors)
        if not instance.name:
            errors.setdefault(COLUMNS["name"], []).append(str(_("请填写姓名。")))
        if not instance.relation:
            errors.setdefault(COLUMNS["relation"], []).append(str(_("请填写与户主关系，如户主、配偶、子女。")))
        self._fill_from_id_number(instance)
        if instance.id_number:
            first = self._seen_id_numbers.setdefault(instance.id_number, kwargs.get("row_number"))
            if first != kwargs.get("row_number"):
                errors.setdefault(COLUMNS["id_number"], []).append(
                    str(_("该身份证号与第 %(row)s 行重复。") % {"row": first})
                )
        if not instance.gender:
            errors.setdefault(COLUMNS["gender"], []).append(str(_("请填写性别（男或女）。")))
        if not self._row.errors:
            household = self._row.save_household()
            instance.household = household
            self._check_single_head(instance, errors)
        if errors:
            raise ValidationError(errors)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A resident who is unchanged is not saved again even when the row changed the household (reported as an
        # update in after_import_row), so the resident's history gets no empty entry.
        if original is not None and original.household_id != instance.household_id:
            return False
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = {name for name in RESIDENT_FIELDS if COLUMNS[name] in errors}
        if not instance.household_id or COLUMNS["relation"] in errors:
            exclude.add("household")
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as exc:
            for column, messages in self._by_column(exc.message_dict).items():
                errors.setdefault(column, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        self._touched.add(instance.household_id)

    def after_init_instance(self, instance, new, row, **kwargs):
        if not new:
            self._row.previous_household_id = instance.household_id

    def after_import_row(self, row, row_result, **kwargs):
        if row_result.import_type in (row_result.IMPORT_TYPE_NEW, row_result.IMPORT_TYPE_UPDATE):
            self._touched.add(self._row.previous_household_id)
        if self._row.household is not None and self._row.changed:
            self._touched.add(self._row.household.pk)
            if row_result.import_type == row_result.IMPORT_TYPE_SKIP:
                row_result.import_type = row_result.IMPORT_TYPE_UPDATE

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            reindex_households(sorted(pk for pk in self._touched if pk))

    def _fill_from_id_number(self, instance):
        """As `Resident.clean` does, before the unchanged-row comparison, so a re-import compares equal."""
        born = birth_date_of(instance.id_number) if instance.id_number and len(instance.id_number) == 18 else None
        if born and not instance.birth_date:
            instance.birth_date = born
        if born and not instance.gender and instance.id_number[16].isdigit():
            instance.gender = Resident.Gender.MALE if int(instance.id_number[16]) % 2 else Resident.Gender.FEMALE

    def _check_single_head(self, instance, errors):
        if instance.relation != Resident.Relation.HEAD:
            return
        other = (
            Resident.objects.filter(household=instance.household, relation=Resident.Relation.HEAD)
            .exclude(pk=instance.pk)
            .values_list("name", flat=True)
            .first()
        )
        if other is not None:
            errors.setdefault(COLUMNS["relation"], []).append(
                str(_("该户已有户主“%(name)s”，一户只能有一位户主。") % {"name": other})
            )

    def _by_column(self, message_dict):
        columns = {field.attribute: field.column_name for field in self.fields.values() if field.attribute}
        columns["household"] = COLUMNS["room"]
        result = {}
        for key, messages in message_dict.items():
            column = NON_FIELD_ERRORS if key == NON_FIELD_ERRORS else columns.get(key, key)
            result.setdefault(column, []).extend(str(message) for message in messages)
        return result

    # Export -------------------------------------------------------------------------------------------------

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related(
            "household__building__grid__community", "household__origin_village"
        ).prefetch_related("priority_groups")

    def after_export(self, queryset, dataset, **kwargs):
        if self._revealed:
            record_id_reveals(user=self.user, resident_ids=self._revealed)
            self._revealed = []

    def dehydrate_community(self, resident):
        household = _household_of(resident)
        return household.building.grid.community.name if household else ""

    def dehydrate_grid(self, resident):
        household = _household_of(resident)
        return household.building.grid.name if household else ""

    def dehydrate_building(self, resident):
        household = _household_of(resident)
        return household.building.number if household else ""

    def dehydrate_unit(self, resident):
        household = _household_of(resident)
        return household.unit if household else ""

    def dehydrate_floor(self, resident):
        household = _household_of(resident)
        return household.floor if household else ""

    def dehydrate_room(self, resident):
        household = _household_of(resident)
        return household.room if household else ""

    def dehydrate_origin_village(self, resident):
        household = _household_of(resident)
        return household.origin_village.name if household and household.origin_village_id else ""

    def dehydrate_status(self, resident):
        household = _household_of(resident)
        return str(household.get_status_display()) if household else ""

    def dehydrate_household_phone(self, resident):
        household = _household_of(resident)
        return household.phone if household else ""

    def dehydrate_id_number(self, resident):
        if not resident.id_number:
            return ""
        if self.user is not None and self.user.has_perm("households.reveal_id_number"):
            if resident.pk:
                self._revealed.append(resident.pk)
            return resident.id_number
        return mask_id_number(resident.id_number)


class _HouseholdRow:
    """The household one import row names: looked up (or prepared) from its columns, with the row's errors."""

    def __init__(self, resource, row):
        self.resource = resource
        self.errors = {}
        self.household = None
        self.changed = False
        self.previous_household_id = None
        self._updates = {}
        community = cell_text(row.get(COLUMNS["community"]))
        grid = cell_text(row.get(COLUMNS["grid"]))
        number = cell_text(row.get(COLUMNS["building"]))
        room = cell_text(row.get(COLUMNS["room"]))
        unit = self._integer(row, "unit", required=True)
        floor = self._integer(row, "floor", required=False)
        if not room:
            self._error("room", _("请填写房号。"))
        elif len(room) > Household._meta.get_field("room").max_length:
            self._error("room", _("房号“%(room)s”过长。") % {"room": room})
        if floor is None and room[:-2].isdigit():
            floor = int(room[:-2])
        building = self._building(community, grid, number)
        status = cell_text(row.get(COLUMNS["status"]))
        if status:
            try:
                self._updates["status"] = ChoiceLabelWidget(Household.Status).clean(status)
            except ValueError as exc:
                self._error("status", exc)
        phone = cell_text(row.get(COLUMNS["household_phone"]))
        if phone:
            self._updates["phone"] = phone
        if floor is not None:
            self._updates["floor"] = floor
        village = cell_text(row.get(COLUMNS["origin_village"]))
        if village and building is not None:
            self._updates["origin_village"] = self._village(building, village)
        if self.errors or building is None:
            return
        key = (building.pk, unit, room)
        if key not in resource._households:
            resource._households[key] = (
                Household.objects.filter(building=building, unit=unit, room=room)
                .select_related("building__grid__community", "origin_village")
                .first()
            )
        self.household = resource._households[key]
        if self.household is None:
            if floor is None:
                self._error("floor", _("请填写楼层。"))
                return
            self.household = Household(building=building, unit=unit, room=room)
            resource._households[key] = self.household
        self.changed = self.household.pk is None or any(
            getattr(self.household, name) != value for name, value in self._updates.items()
        )

    def save_household(self):
        """Create the household or apply the row's changes to it; returns the saved household."""
        if self.changed:
            for name, value in self._updates.items():
                setattr(self.household, name, value)
            self.household.save()
        return self.household

    def _error(self, name, message):
        self.errors.setdefault(COLUMNS[name], []).append(str(message))

    def _integer(self, row, name, *, required):
        value = row.get(COLUMNS[name])
        text = cell_text(value)
        if not text:
            if required:
                self._error(name, _("请填写%(column)s。") % {"column": COLUMNS[name]})
            return None
        if text.isdigit() and 0 < int(text) < 1000:
            return int(text)
        self._error(name, _("%(column)s应为正整数，而不是“%(value)s”。") % {"column": COLUMNS[name], "value": text})
        return None

    def _building(self, community, grid, number):
        if not community:
            self._error("community", _("请填写社区。"))
        if not number:
            self._error("building", _("请填写楼号。"))
        if not community or not number:
            return None
        number = number.removesuffix("号楼")
        key = (community, grid, number)
        cache = self.resource._buildings
        if key not in cache:
            buildings = Building.objects.select_related("grid__community__street").filter(
                grid__community__name=community, number=number
            )
            if grid:
                buildings = buildings.filter(grid__name=grid)
            cache[key] = list(buildings[:2])
        found = cache[key]
        if not found:
            self._error(
                "building",
                _("找不到楼宇：%(path)s %(number)s号楼。请核对社区、网格名称和楼号，或先在后台添加该楼宇。")
                % {"path": " ".join(filter(None, [community, grid])), "number": number},
            )
            return None
        if len(found) > 1:
            self._error(
                "grid",
                _("社区“%(community)s”有不止一栋%(number)s号楼，请填写网格名称。")
                % {"community": community, "number": number},
            )
            return None
        return found[0]

    def _village(self, building, name):
        street = building.grid.community.street
        key = (street.pk, name)
        cache = self.resource._villages
        if key not in cache:
            cache[key] = OriginVillage.objects.filter(street=street, name=name).first()
        if cache[key] is None:
            self._error(
                "origin_village",
                _("原村“%(name)s”不在%(street)s的原村名单中，请核对或先在后台添加。")
                % {"name": name, "street": street.name},
            )
        return cache[key]


class HouseholdResource(resources.ModelResource):
    """Export only: one row per household with its head, size and lead household."""

    community = fields.Field(attribute="building__grid__community__name", column_name=COLUMNS["community"])
    grid = fields.Field(attribute="building__grid__name", column_name=COLUMNS["grid"])
    building = fields.Field(attribute="building__number", column_name=COLUMNS["building"])
    unit = fields.Field(attribute="unit", column_name=COLUMNS["unit"])
    floor = fields.Field(attribute="floor", column_name=COLUMNS["floor"])
    room = fields.Field(attribute="room", column_name=COLUMNS["room"])
    origin_village = fields.Field(attribute="origin_village__name", column_name=COLUMNS["origin_village"])
    status = fields.Field(attribute="get_status_display", column_name=COLUMNS["status"])
    phone = fields.Field(attribute="phone", column_name=COLUMNS["household_phone"])
    head_name = fields.Field(attribute="head_name", column_name="户主")
    resident_count = fields.Field(attribute="resident_count", column_name="人数")
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

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

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
