"""The import of temperature-logger readings: a CSV exported by the loggers, one row per reading.

Columns (Chinese headers, part of the file format shared with the community): 楼号 (building number, within the
season's community), 房号 (unit-room such as 2-501, unique within a building), 房间 (卧室 / 客厅 / 其他), 时间, 室温.
A file with any bad row saves nothing and every error names the row as Excel shows it (the header is row 1).
Importing the same file again changes nothing (a reading is unique per household, room and time).

The readings go through the season's standard: `season.cold_readings_for_ticket` consecutive bedroom or
living-room readings below it raise the household's ticket (`services.report_from_logger`). A household gets at
most one such action per day: a day counts only the first time its readings show such a run, so neither a
re-import nor a later file with more readings of that day raises it again.
"""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.bulk import adapt, insert_rows
from core.spreadsheet import cell_text
from grids.models import Building
from households.models import Household

from .models import BuildingSupply, LoggerReading, TemperatureReading
from .services import report_from_logger

COLUMNS = {"building": "楼号", "room_code": "房号", "room_type": "房间", "measured_at": "时间", "celsius": "室温"}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
READING_COLUMNS = ("building_id", "room_code", "household_id", "room_type", "measured_at", "celsius", "imported_at")
LOWEST, HIGHEST = Decimal("-10.0"), Decimal("40.0")


class LoggerImportError(Exception):
    """The file cannot be imported; `errors` are (row as Excel numbers it, message) pairs, or (None, message)."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    tickets: list = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    number: int
    building_id: int
    room_code: str
    household_id: int
    room_type: str
    measured_at: datetime.datetime
    celsius: Decimal


def read_csv(data):
    """The rows of a CSV file (bytes, UTF-8 with or without BOM, or GB18030 as Excel saves it) as dicts."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    reader = csv.reader(io.StringIO(text))
    headers = [cell_text(header) for header in next(reader, [])]
    return headers, [dict(zip(headers, cells, strict=False)) for cells in reader]


def import_logger_csv(*, season, data, now=None):
    """Import a logger CSV (bytes) into `season`; see `import_logger_readings`."""
    headers, rows = read_csv(data)
    missing = [header for header in COLUMNS.values() if header not in headers]
    if missing:
        raise LoggerImportError([(1, _("文件缺少必填列：%(columns)s。") % {"columns": "、".join(missing)})])
    return import_logger_readings(season=season, rows=rows, now=now)


def import_logger_readings(*, season, rows, now=None):
    """Save every reading of `rows` (dicts keyed by the Chinese headers, data from Excel row 2) and raise the
    tickets they call for, all in one transaction; raises LoggerImportError, saving nothing, if any row is bad.
    Returns an ImportResult (rows read, readings new, tickets raised or added to)."""
    now = now or timezone.now()
    parsed, errors = _Parser(season, rows).parse()
    if errors:
        raise LoggerImportError(errors)
    result = ImportResult(rows=len(parsed))
    if not parsed:
        return result
    household_ids = {row.household_id for row in parsed}
    stored = LoggerReading.objects.filter(household__in=household_ids, measured_at__range=_season_span(season))
    with transaction.atomic():
        list(Household.objects.select_for_update().filter(pk__in=household_ids).order_by("pk").values_list("pk"))
        before = set(stored.values_list("household_id", "room_type", "measured_at"))
        insert_rows(
            LoggerReading,
            READING_COLUMNS,
            [
                (r.building_id, r.room_code, r.household_id, r.room_type, adapt(r.measured_at), r.celsius, adapt(now))
                for r in parsed
            ],
            on_conflict="ON CONFLICT DO NOTHING",
        )
        after = list(
            stored.filter(room_type__in=TemperatureReading.STANDARD_ROOMS).order_by(
                "household_id", "room_type", "measured_at"
            )
        )
        result.created = len(set(stored.values_list("household_id", "room_type", "measured_at")) - before)
        households = Household.objects.in_bulk(household_ids)
        for household_id, run in _new_runs(season, after, before):
            result.tickets.append(report_from_logger(household=households[household_id], season=season, readings=run))
    return result


def _season_span(season):
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(season.starts_on, datetime.time.min, tzinfo=tz)
    return start, datetime.datetime.combine(season.ends_on, datetime.time.max, tzinfo=tz)


def _runs(season, readings):
    """{(household id, local day): first run of N consecutive cold readings completed that day}, for readings
    ordered by household, room and time."""
    needed = season.cold_readings_for_ticket
    found, run, series = {}, [], None
    for reading in readings:
        if (reading.household_id, reading.room_type) != series:
            series, run = (reading.household_id, reading.room_type), []
        run = [*run, reading] if season.is_below(reading.celsius) else []
        if len(run) == needed:
            found.setdefault((reading.household_id, timezone.localdate(reading.measured_at)), run)
    return found


def _new_runs(season, readings, before):
    """(household id, run) for each household-day whose first cold run appears with this import: a day that
    already had one among the readings stored before is left alone (at most one ticket action per day)."""
    earlier = _runs(season, [r for r in readings if (r.household_id, r.room_type, r.measured_at) in before])
    for key, run in sorted(_runs(season, readings).items()):
        if key not in earlier:
            yield key[0], run


class _Parser:
    """Reads and checks every row against the season's community in a few queries (buildings, households,
    suppliers), collecting the errors of all rows."""

    def __init__(self, season, rows):
        self.season = season
        self.rows = rows
        self.errors = []

    def parse(self):
        numbers = {self._number(row.get(COLUMNS["building"])) for row in self.rows}
        buildings = {}
        for building in Building.objects.filter(grid__community=self.season.community_id, number__in=numbers):
            buildings.setdefault(building.number, []).append(building)
        found = [building for same in buildings.values() for building in same]
        supplied = set(BuildingSupply.objects.filter(building__in=found).values_list("building_id", flat=True))
        households = {
            (building_id, unit, room): pk
            for pk, building_id, unit, room in Household.objects.filter(building__in=found).values_list(
                "pk", "building_id", "unit", "room"
            )
        }
        parsed = []
        for index, row in enumerate(self.rows):
            number = index + 2
            cells = {name: cell_text(row.get(header)) for name, header in COLUMNS.items()}
            if not any(cells.values()):
                continue
            errors_before = len(self.errors)
            building = self._building(number, buildings, supplied, self._number(cells["building"]))
            household_id = self._household(number, building, households, cells["room_code"])
            room_type = self._room_type(number, cells["room_type"])
            measured_at = self._time(number, cells["measured_at"])
            celsius = self._celsius(number, cells["celsius"])
            if len(self.errors) == errors_before:
                parsed.append(
                    _Row(number, building.pk, cells["room_code"], household_id, room_type, measured_at, celsius)
                )
        return parsed, self.errors

    @staticmethod
    def _number(text):
        return cell_text(text).removesuffix("号楼")

    def _error(self, number, message):
        self.errors.append((number, message))

    def _building(self, number, buildings, supplied, building_number):
        if not building_number:
            self._error(number, _("请填写楼号。"))
            return None
        found = buildings.get(building_number, [])
        if not found:
            self._error(
                number,
                _("找不到楼宇：%(community)s %(number)s号楼。")
                % {"community": self.season.community.name, "number": building_number},
            )
            return None
        if len(found) > 1:
            self._error(number, _("%(number)s号楼在本社区不止一栋，无法确定是哪一栋。") % {"number": building_number})
            return None
        building = found[0]
        if building.pk not in supplied:
            self._error(
                number,
                _("%(number)s号楼尚未设置供热公司，请先在“楼宇供热单位”中设置。") % {"number": building_number},
            )
        return building

    def _household(self, number, building, households, code):
        unit, _dash, room = code.partition("-")
        if not (unit.isascii() and unit.isdigit()) or not room:
            self._error(number, _("房号“%(code)s”应写作“单元-房号”，如 2-501。") % {"code": code})
            return None
        if building is None:
            return None
        household_id = households.get((building.pk, int(unit), room))
        if household_id is None:
            self._error(
                number, _("%(number)s号楼没有房号 %(code)s 的居民户。") % {"number": building.number, "code": code}
            )
        return household_id

    def _room_type(self, number, text):
        for choice in TemperatureReading.Room:
            if text in (str(choice.label), choice.value):
                return choice.value
        self._error(
            number,
            _("房间“%(value)s”无法识别，可填：%(options)s。")
            % {"value": text, "options": "、".join(str(label) for label in TemperatureReading.Room.labels)},
        )
        return None

    def _time(self, number, text):
        for time_format in TIME_FORMATS:
            try:
                naive = datetime.datetime.strptime(text, time_format)  # noqa: DTZ007 - local time, made aware below
            except ValueError:
                continue
            measured_at = timezone.make_aware(naive)
            if not self.season.contains(naive.date()):
                self._error(
                    number,
                    _("时间 %(value)s 不在%(season)s（%(start)s 至 %(end)s）内。")
                    % {
                        "value": text,
                        "season": self.season.name,
                        "start": self.season.starts_on,
                        "end": self.season.ends_on,
                    },
                )
            elif measured_at > timezone.now():
                self._error(number, _("时间 %(value)s 晚于现在。") % {"value": text})
            return measured_at
        self._error(number, _("时间“%(value)s”无法识别，请写作 2026-12-01 08:00。") % {"value": text})
        return None

    def _celsius(self, number, text):
        try:
            value = Decimal(text).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            self._error(number, _("室温“%(value)s”应为数字，如 18.5。") % {"value": text})
            return None
        if not LOWEST <= value <= HIGHEST:
            self._error(
                number,
                _("室温 %(value)s ℃ 超出范围（%(low)s 至 %(high)s ℃）。")
                % {"value": value, "low": LOWEST, "high": HIGHEST},
            )
            return None
        return value


def row_errors_text(errors):
    """The errors as lines for a message: 第 3 行：…"""
    return [
        _("第 %(row)s 行：%(message)s") % {"row": row, "message": message} if row else message
        for row, message in errors
    ]
