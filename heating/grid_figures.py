"""Each grid's season figures, stored (`GridSeasonFigures`) so the dashboard reads a few hundred rows instead of
counting the season's inspections of 100,000 households on every view.

- `count(season_ids, grid_ids)` counts them live by the rules of `heating.figures` — set-based, a fixed number
  of grouped queries whatever the number of grids (at most one season per community in `season_ids`).
- `refresh(season_id=, grid_id=)` recounts one grid in the caller's transaction: every service that records an
  inspection, opens a ticket or moves one calls it after its writes, so the figures are right the moment the
  worker's save commits. It locks the grid's row first, so two saves in one grid are counted one after the other
  and the second sees the first.
- `rebuild()` recounts every grid of every season (beat entry "供暖统计（每晚）", `runjob rebuild_heating_figures`):
  households added or moved, priority groups tagged, anything written outside the services. It locks the table
  for its transaction and replaces each row, so running it twice changes nothing.
- `stored(seasons, grids)` reads the figures of the grids in a scope (`grids_in_scope`): the stored rows, and
  those without one (a season not rebuilt yet) counted live — right either way.
"""

from collections import defaultdict

from django.db import connection, transaction
from django.utils import timezone

from grids.models import Grid
from households.models import NATURAL_ORDER, Household, in_priority_group

from . import figures
from .models import GridSeasonFigures, HeatingSeason

#: How many households below standard each grid keeps of each kind (in a priority group, not): the length of
#: the dashboard's list for a scope (`dashboard.BELOW_LIST`), a day's work.
KEPT = 20
COUNTS = ("households", "inspected", "ticket", "cold", "warm", "none", "below_priority", "readings")
FIELDS = (*COUNTS, "reading_sum", "lowest", "below_first", "buildings")


def empty():
    return {**dict.fromkeys(COUNTS, 0), "reading_sum": 0, "lowest": None, "below_first": [], "buildings": {}}


def _add_readings(figures_of, row):
    figures_of["readings"] += row["readings"]
    figures_of["reading_sum"] += row["reading_sum"] or 0
    if row["lowest"] is not None and (figures_of["lowest"] is None or row["lowest"] < figures_of["lowest"]):
        figures_of["lowest"] = row["lowest"]


def count(season_ids, grid_ids):
    """{grid id: figures} for these grids, counted live by building and added up — five grouped queries. A
    grid's `buildings` are its buildings' figures ({building id: …}, readings' sum and lowest as text)."""
    households = Household.objects.filter(building__grid__in=grid_ids)
    result = defaultdict(empty)
    grid_of = {}
    for row in figures.household_counts(households, season_ids, "building", "building__grid", "building__number"):
        grid_of[row["building"]] = grid_id = row["building__grid"]
        counts = {key: row[key] for key in (*figures.STATES, "households", "inspected")}
        for key, value in counts.items():
            result[grid_id][key] += value
        counts.update(number=row["building__number"], readings=0, reading_sum=0, lowest=None)
        result[grid_id]["buildings"][row["building"]] = counts
    readings = figures.season_readings(season_ids).filter(inspection__household__building__grid__in=grid_ids)
    for row in figures.reading_figures(readings, "inspection__household__building"):
        building = row["inspection__household__building"]
        if building in grid_of:
            _add_readings(result[grid_of[building]], row)
            _add_readings(result[grid_of[building]]["buildings"][building], row)
    for grid in result.values():
        grid["buildings"] = {
            str(pk): {
                **b,
                "reading_sum": str(b["reading_sum"]),
                "lowest": None if b["lowest"] is None else str(b["lowest"]),
            }
            for pk, b in grid["buildings"].items()
        }
    below = (
        figures.below_now(households, season_ids)
        .annotate(priority=in_priority_group())
        .order_by(*NATURAL_ORDER)
        .values_list("pk", "building__grid", "priority")
    )
    kept = defaultdict(lambda: {True: [], False: []})
    for pk, grid_id, priority in below:
        result[grid_id]["below_priority"] += priority
        if len(kept[grid_id][priority]) < KEPT:
            kept[grid_id][priority].append([pk, priority])
    for grid_id, lists in kept.items():
        result[grid_id]["below_first"] = lists[True] + lists[False]
    return dict(result)


def _rows(season_id, counted, now):
    return [
        GridSeasonFigures(season_id=season_id, grid_id=grid_id, refreshed_at=now, **values)
        for grid_id, values in counted.items()
    ]


def refresh(*, season_id, grid_id, now=None):
    """Recount one grid's figures for one season and store them, after the caller's writes (same transaction)."""
    now = now or timezone.now()
    with transaction.atomic():
        GridSeasonFigures.objects.bulk_create(
            [GridSeasonFigures(season_id=season_id, grid_id=grid_id, refreshed_at=now)], ignore_conflicts=True
        )
        row = GridSeasonFigures.objects.select_for_update().get(season_id=season_id, grid_id=grid_id)
        counted = count([season_id], [grid_id]).get(grid_id, empty())
        for field in FIELDS:
            setattr(row, field, counted[field])
        row.refreshed_at = now
        row.save()


def refresh_household(*, season_id, household_id, now=None):
    """`refresh` for the grid of this household."""
    grid_id = Household.objects.filter(pk=household_id).values_list("building__grid", flat=True).get()
    refresh(season_id=season_id, grid_id=grid_id, now=now)


def rebuild(*, now=None):
    """Recount every grid of every season and replace the stored rows; returns the number of rows."""
    now = now or timezone.now()
    total = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":  # SQLite serialises writers by itself
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {GridSeasonFigures._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        for season in HeatingSeason.objects.order_by("pk"):
            grid_ids = list(Grid.objects.filter(community=season.community_id).values_list("pk", flat=True))
            counted = {grid_id: empty() for grid_id in grid_ids}
            counted.update(count([season.pk], grid_ids))
            GridSeasonFigures.objects.bulk_create(
                _rows(season.pk, counted, now),
                update_conflicts=True,
                unique_fields=["season", "grid"],
                update_fields=[*FIELDS, "refreshed_at"],
                batch_size=500,
            )
            GridSeasonFigures.objects.filter(season=season).exclude(grid__in=grid_ids).delete()
            total += len(counted)
    return total


def grids_in_scope(scope, seasons):
    """The grids of these seasons' communities in the user's `scope` (dicts: pk, name, community_id,
    community__name), and the households to narrow other figures to — None when the scope holds every one of
    those grids (a cadre's community, the leader's street): narrowing through the households would only cost."""
    grids = Grid.objects.filter(community__in=[season.community_id for season in seasons])
    grids = list(grids.values("pk", "name", "community_id", "community__name"))
    if scope.grid_ids is None or {grid["pk"] for grid in grids} <= set(scope.grid_ids):
        return grids, None
    mine = set(scope.grid_ids)
    return [grid for grid in grids if grid["pk"] in mine], Household.objects.filter(building__grid__in=scope.grid_ids)


def stored(seasons, grids):
    """{grid id: figures} for `grids` (dicts with `pk` and `community_id`) in the season of each one's community
    among `seasons` (one per community), without their buildings (`buildings_of`): one query when every grid has
    its row, five more otherwise."""
    season_of = {season.community_id: season.pk for season in seasons}
    wanted = {grid["pk"]: season_of[grid["community_id"]] for grid in grids if grid["community_id"] in season_of}
    rows = GridSeasonFigures.objects.filter(season__in=set(wanted.values()))
    rows = rows.values("season", "grid", *(field for field in FIELDS if field != "buildings"))
    if len(wanted) < 50:  # a few grids by id; a community's or the street's: all the seasons' rows
        rows = rows.filter(grid__in=list(wanted))
    result = {row["grid"]: row for row in rows if wanted.get(row["grid"]) == row["season"]}
    missing = [grid_id for grid_id in wanted if grid_id not in result]
    if missing:
        counted = count(list(season_of.values()), missing)
        result.update({grid_id: counted.get(grid_id, empty()) for grid_id in missing})
    return result


def buildings_of(season_ids, grid_id):
    """One grid's buildings' figures ({building id: …}) in these seasons: stored — one query — or counted live."""
    stored_row = GridSeasonFigures.objects.filter(season__in=season_ids, grid=grid_id)
    buildings = stored_row.values_list("buildings", flat=True).first()
    if buildings is None:
        buildings = count(season_ids, [grid_id]).get(grid_id, empty())["buildings"]
    return buildings
