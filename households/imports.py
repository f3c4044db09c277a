"""The resident import (django-import-export): one flat sheet, one row per resident.

The household columns key the dwelling by (building, unit, room); the resident is keyed by identity-card number,
or by name inside the household when the number is blank. A file with any bad row imports nothing; importing the
same file again changes nothing. The buildings, origin villages and households a file names are loaded once
(`SheetLookups`, in `before_import`); each row's household columns are read by `HouseholdRow` without a query.
Rules of a resident (gender and birth date from the identity number, one head per household) are the model's;
the search keys of the households an import touched are rebuilt by `services.import_finished`.
"""

import re

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from core.spreadsheet import ChineseDateWidget, ChoiceLabelWidget, TextWidget, cell_text
from grids.models import Building

from .idcard import normalize_id_number
from .models import Household, OriginVillage, PriorityGroup, Resident
from .services import import_finished

# Column headers are part of the file format shared with community staff, so they stay Chinese whatever the
# interface language (like the role group names). The resident export writes the same columns.
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


class IdNumberWidget(widgets.CharWidget):
    """Upper-cased, spaces removed; a blank cell is no number (NULL), so it never collides as ""."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, int | float) and not isinstance(value, bool) and len(cell_text(value)) > 15:
            # Excel keeps 15 significant digits, so an 18-digit number typed as a number has lost its end (a
            # 15-digit first-generation number is whole, and the validator explains it).
            raise ValueError(_("身份证号须以文本格式填写：Excel 会把18位数字的末几位变成0。"))
        return normalize_id_number(cell_text(value)) or None


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


def _column(dataset, name):
    header = COLUMNS[name]
    return [cell_text(cell) for cell in dataset[header]] if header in (dataset.headers or []) else []


def _building_number(text):
    return text.removesuffix("号楼")


class SheetLookups:
    """The buildings, origin villages and existing households a file names, loaded in three queries."""

    def __init__(self, dataset):
        communities = set(filter(None, _column(dataset, "community")))
        numbers = {_building_number(number) for number in _column(dataset, "building") if number}
        self.buildings = {}
        for building in Building.objects.select_related("grid__community__street").filter(
            grid__community__name__in=communities, number__in=numbers
        ):
            self.buildings.setdefault((building.grid.community.name, building.number), []).append(building)
        found = [building for same in self.buildings.values() for building in same]
        self.villages = {
            (village.street_id, village.name): village
            for village in OriginVillage.objects.filter(
                street__in={building.grid.community.street_id for building in found},
                name__in=set(filter(None, _column(dataset, "origin_village"))),
            )
        }
        self.households = {
            (household.building_id, household.unit, household.room): household
            for household in Household.objects.select_related("building__grid__community", "origin_village").filter(
                building__in=found, room__in=set(filter(None, _column(dataset, "room")))
            )
        }

    def building(self, community, grid, number):
        """The buildings numbered `number` in `community` (and in the grid named `grid`, when given)."""
        found = self.buildings.get((community, number), [])
        return [building for building in found if building.grid.name == grid] if grid else found


class ResidentImportResource(resources.ModelResource):
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
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.lookups = None
        self._row = None
        self._seen_id_numbers = {}
        self._sheet_rows = []
        self._touched = set()

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None, **kwargs):
        # A bad row must undo every other row, including on the admin's confirm step, which does not ask for it.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run, raise_errors, use_transactions, **kwargs)

    def before_import(self, dataset, **kwargs):
        headers = [cell_text(header) for header in dataset.headers or []]
        dataset.headers = headers
        blank = {index for index, cells in enumerate(dataset) if not any(cell_text(cell) for cell in cells)}
        # The row Excel shows for each data row that stays (the header is row 1), so messages name the sheet's rows.
        self._sheet_rows = [index + 2 for index in range(len(dataset)) if index not in blank]
        for index in sorted(blank, reverse=True):
            del dataset[index]
        self.lookups = SheetLookups(dataset)
        missing = [COLUMNS[name] for name in REQUIRED_COLUMNS if COLUMNS[name] not in headers]
        if missing:
            raise ValueError(_("文件缺少必填列：%(columns)s。请使用导入模板的表头。") % {"columns": "、".join(missing)})

    def before_import_row(self, row, **kwargs):
        self._row = HouseholdRow(self.lookups, row)

    def get_instance(self, instance_loader, row):
        residents = Resident.objects.select_related("household__building__grid__community", "household__origin_village")
        try:
            id_number = IdNumberWidget().clean(row.get(COLUMNS["id_number"]))
        except ValueError:
            return None  # reported on the row by import_instance
        if id_number:
            return residents.with_id_number(id_number).first()
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
        # Before skip_row compares the row with the stored resident, so a re-import compares equal.
        instance.fill_from_id_number()
        if instance.id_number:
            first = self._seen_id_numbers.setdefault(instance.id_number, kwargs.get("row_number"))
            if first != kwargs.get("row_number"):
                errors.setdefault(COLUMNS["id_number"], []).append(
                    str(_("该身份证号与第 %(row)s 行重复。") % {"row": self.sheet_row(first)})
                )
        if not self._row.errors:
            instance.household = self._row.save_household()
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

    def sheet_row(self, row_number):
        """The row Excel shows for import-export's `row_number` (1 for the first data row)."""
        return self._sheet_rows[row_number - 1]

    def after_import(self, dataset, result, **kwargs):
        super().after_import(dataset, result, **kwargs)
        # import-export numbers data rows from 1; the admin's error page shows these numbers as the sheet's rows.
        for row in result.invalid_rows:
            row.number = self.sheet_row(row.number)
        for row in result.error_rows:
            for error in row.errors:
                error.number = self.sheet_row(error.number)
            row.number = self.sheet_row(row.number)
        if not kwargs.get("dry_run") and not result.has_errors() and not result.has_validation_errors():
            import_finished(household_ids=self._touched)

    def _by_column(self, message_dict):
        columns = {field.attribute: field.column_name for field in self.fields.values() if field.attribute}
        columns["household"] = COLUMNS["room"]
        result = {}
        for key, messages in message_dict.items():
            column = NON_FIELD_ERRORS if key == NON_FIELD_ERRORS else columns.get(key, key)
            result.setdefault(column, []).extend(str(message) for message in messages)
        return result


class HouseholdRow:
    """The household one import row names, found in the file's `SheetLookups` (or prepared), with the row's
    errors. Reads no database: the household is written by `save_household` once the row is valid."""

    def __init__(self, lookups, row):
        self.lookups = lookups
        self.errors = {}
        self.household = None
        self.changed = False
        self.previous_household_id = None
        self._updates = {}
        room = cell_text(row.get(COLUMNS["room"]))
        unit = self._integer(row, "unit", required=True)
        floor = self._integer(row, "floor", required=False)
        if not room:
            self._error("room", _("请填写房号。"))
        elif len(room) > Household._meta.get_field("room").max_length:
            self._error("room", _("房号“%(room)s”过长。") % {"room": room})
        if floor is None and room[:-2].isascii() and room[:-2].isdigit():
            floor = int(room[:-2])
        building = self._building(
            cell_text(row.get(COLUMNS["community"])),
            cell_text(row.get(COLUMNS["grid"])),
            cell_text(row.get(COLUMNS["building"])),
        )
        self._read_updates(row, building, floor)
        if self.errors or building is None:
            return
        key = (building.pk, unit, room)
        self.household = lookups.households.get(key)
        if self.household is None:
            if floor is None:
                self._error("floor", _("请填写楼层。"))
                return
            self.household = lookups.households[key] = Household(building=building, unit=unit, room=room)
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

    def _read_updates(self, row, building, floor):
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

    def _error(self, name, message):
        self.errors.setdefault(COLUMNS[name], []).append(str(message))

    def _integer(self, row, name, *, required):
        text = cell_text(row.get(COLUMNS[name]))
        if not text:
            if required:
                self._error(name, _("请填写%(column)s。") % {"column": COLUMNS[name]})
            return None
        if text.isascii() and text.isdigit() and 0 < int(text) < 1000:
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
        number = _building_number(number)
        found = self.lookups.building(community, grid, number)
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
        village = self.lookups.villages.get((street.pk, name))
        if village is None:
            self._error(
                "origin_village",
                _("原村“%(name)s”不在%(street)s的原村名单中，请核对或先在后台添加。")
                % {"name": name, "street": street.name},
            )
        return village
