"""Grid coverage: how much of the five-level grid is in place under each street, community, grid and building.

Every figure is an SQL aggregate annotated on the node's own queryset, so a page of nodes is one query and
sorting or filtering by a share happens in the database. Households, the big table, are counted with one
grouped join from the node (`Count("grids__buildings__households")`); buildings, grids and staff, small tables,
with correlated COUNT subqueries (`count_per_node`). The households app is never imported: households are
reached through the reverse relation `Building.households`. Filter the nodes by forward relations or
`pk__in` subqueries only: a join through a reverse relation would multiply the household counts.

A figure is a `Measure`: a numerator out of a denominator, with the share annotated as `<key>_share`
(NULL when the denominator is 0). Another app adds its own figure with `register_measure`, e.g. the visits
app registering "households visited within their policy interval" from its `AppConfig.ready()`::

    register_measure(Measure(key="visited", label=_("按期走访"), numerator="visited_count",
                             denominator="household_count", counts=visited_counts))

where `visited_counts(level, scope)` returns `{"visited_count": <an aggregate or count_per_node(...)>}`.

Counting a street's 100,000 households takes a good part of a second, so every grid's counts are also taken
once a night into `CoverageSnapshot` (`grids.snapshots`). With `snapshot=True`, `annotate_coverage` reads the
street, community and grid levels from those rows — a grid's own row, or the sum over the grids beneath a
community or street — except the counts a measure marks `not_additive` (a grid worker of two grids is one
person), which are counted live above the grid: they come from the small staff tables.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, ExpressionWrapper, F, FloatField, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils.translation import gettext_lazy as _

from .models import Building, Community, Grid, Street
from .staffing import grid_worker_assignments


@dataclass(frozen=True)
class Level:
    """One level of the grid and the lookups that lead to it from buildings and grids, and down to households."""

    name: str
    model: type[models.Model]
    #: from a Building (or a StaffAssignment) up to this node
    building_path: str
    #: from a Grid up to this node; None below the grid
    grid_path: str | None
    #: from this node down to its households
    households: str
    #: from this node down to its grids
    grids_below: str


LEVELS = {
    Street: Level(
        "street",
        Street,
        "grid__community__street",
        "community__street",
        "communities__grids__buildings__households",
        "communities__grids",
    ),
    Community: Level("community", Community, "grid__community", "community", "grids__buildings__households", "grids"),
    Grid: Level("grid", Grid, "grid", "pk", "buildings__households", "pk"),
    Building: Level("building", Building, "pk", None, "households", "grid"),
}


def level_of(model):
    try:
        return LEVELS[model]
    except KeyError:
        raise ValueError(f"{model.__name__} is not a level of the grid") from None


class PerNode(ExpressionWrapper):
    """An expression that depends only on the node's row (a subquery correlated on its pk, or arithmetic on such
    values and on aggregates).

    The coverage query is grouped by the node because household figures are aggregates over a join; left to
    itself Django would also GROUP BY every such expression, and the database would then evaluate each
    subquery once per joined household row instead of once per node.
    """

    def get_group_by_cols(self):
        return []


def count_per_node(queryset, path, of="pk", *, distinct=False):
    """COUNT(`of`) over the rows of `queryset` whose `path` is the outer node's pk; 0 when there are none."""
    inner = (
        queryset.filter(**{path: OuterRef("pk")})
        .order_by()
        .values(path)
        .annotate(n=Count(of, distinct=distinct))
        .values("n")
    )
    return PerNode(Coalesce(Subquery(inner), Value(0)), output_field=IntegerField())


@dataclass(frozen=True)
class Scope:
    """The grids whose contents are counted: all of them (`grids=None`) or those in a Grid queryset."""

    grids: models.QuerySet | None = None

    def narrow(self, queryset, grid_lookup):
        """`queryset` limited to rows whose `grid_lookup` (e.g. "grid", "building__grid") is in scope."""
        if self.grids is None:
            return queryset
        return queryset.filter(**{f"{grid_lookup}__in": self.grids})

    def condition(self, level):
        """A filter for aggregates over the node's own joins (see `_household_counts`); None when unrestricted."""
        if self.grids is None:
            return None
        return Q(**{f"{level.grids_below}__in": self.grids})


@dataclass(frozen=True)
class Measure:
    """A coverage figure: `numerator` out of `denominator`, both annotations made by `counts`.

    `counts(level, scope)` returns the annotations this measure needs, as `count_per_node` expressions over
    querysets narrowed with `scope.narrow`.
    """

    key: str
    label: str
    numerator: str
    denominator: str
    counts: Callable[[Level, Scope], dict]
    levels: tuple[str, ...] = ("street", "community", "grid", "building")
    numerator_label: str = ""
    denominator_label: str = ""
    #: further (annotation, label) pairs worth exporting, e.g. the number of grid workers
    extra: tuple[tuple[str, str], ...] = ()
    #: counts that do not add up across grids (the same person counted in two grids): above the grid level they
    #: are never read from the nightly snapshot
    not_additive: tuple[str, ...] = ()

    @property
    def share(self):
        return f"{self.key}_share"


def _household_counts(level, scope):
    # Households are the big table: one grouped join over them beats a correlated subquery per node, which
    # PostgreSQL runs as a nested loop (and again inside every share that uses the count).
    in_scope = scope.condition(level)
    return {
        "household_count": Count(level.households, filter=in_scope),
        # COUNT of a nullable column counts the households that have a lead household.
        "linked_count": Count(f"{level.households}__lead_household", filter=in_scope),
    }


def _building_counts(level, scope):
    buildings = scope.narrow(Building.objects.all(), "grid")
    with_group = buildings.exclude(party_group_name="").exclude(party_group_leader="")
    return {
        "building_count": count_per_node(buildings, level.building_path),
        "grouped_building_count": count_per_node(with_group, level.building_path),
    }


def _grid_counts(level, scope):
    grids = scope.narrow(Grid.objects.all(), "pk")
    grid_workers = scope.narrow(grid_worker_assignments(), "grid")
    staffed = grids.filter(pk__in=grid_workers.values("grid"))
    return {
        "grid_count": count_per_node(grids, level.grid_path),
        "staffed_grid_count": count_per_node(staffed, level.grid_path),
        "grid_worker_count": count_per_node(grid_workers, level.building_path, "user", distinct=True),
    }


MEASURES = [
    Measure(
        "linked",
        _("联系户覆盖"),
        "linked_count",
        "household_count",
        _household_counts,
        numerator_label=_("已联系中心户的户数"),
        denominator_label=_("居民户数"),
    ),
    Measure(
        "group",
        _("楼宇党小组"),
        "grouped_building_count",
        "building_count",
        _building_counts,
        numerator_label=_("有党小组和组长的楼宇数"),
        denominator_label=_("楼宇数"),
    ),
    Measure(
        "staffed",
        _("网格员配备"),
        "staffed_grid_count",
        "grid_count",
        _grid_counts,
        levels=("street", "community", "grid"),
        numerator_label=_("有网格员的网格数"),
        denominator_label=_("网格数"),
        extra=(("grid_worker_count", _("网格员人数")),),
        not_additive=("grid_worker_count",),
    ),
]


def register_measure(measure):
    """Add a figure to every coverage table (idempotent by key)."""
    if all(existing.key != measure.key for existing in MEASURES):
        MEASURES.append(measure)


def measures_for(level):
    name = level if isinstance(level, str) else level.name
    return [measure for measure in MEASURES if name in measure.levels]


def target():
    return settings.COVERAGE_TARGET


def _share(numerator, denominator):
    return PerNode(Cast(F(numerator), FloatField()) / NullIf(F(denominator), Value(0)), output_field=FloatField())


def count_names(level):
    """The names of the counts the measures of `level` (a `Level`) annotate, e.g. "household_count"."""
    names = {}
    for measure in measures_for(level):
        names.update(dict.fromkeys(measure.counts(level, Scope())))
    return list(names)


def _snapshot_count(level, name, scope):
    """The count `name` read from the nightly snapshot: the grid's own row, or the sum over the grids beneath."""
    if level.name == "grid":
        value = Cast(F(f"coverage_snapshot__counts__{name}"), IntegerField())
        return PerNode(Coalesce(value, Value(0)), output_field=IntegerField())
    value = Cast(F(f"{level.grids_below}__coverage_snapshot__counts__{name}"), IntegerField())
    return Coalesce(Sum(value, filter=scope.condition(level)), Value(0))


def annotate_coverage(queryset, *, grids=None, snapshot=False):
    """The street, community, grid or building queryset with every coverage count and share annotated.

    With `grids` (a Grid queryset, e.g. `Grid.objects.visible_to(user)`) only what lies under those grids is
    counted, so a user's street total covers just the grids they may see. With `snapshot`, the counts of streets,
    communities and grids come from the nightly snapshot (see the module docstring); check first that it covers
    the grids in scope (`grids.snapshots.snapshot_taken_at`). Buildings are always counted live.
    """
    level, scope = level_of(queryset.model), Scope(grids)
    counts = {}
    for measure in measures_for(level):
        for name, expression in measure.counts(level, scope).items():
            counts.setdefault(name, expression)
    if snapshot and level.name != "building":
        live = set() if level.name == "grid" else {n for m in measures_for(level) for n in m.not_additive}
        counts = {
            name: expression if name in live else _snapshot_count(level, name, scope)
            for name, expression in counts.items()
        }
    shares = {m.share: _share(m.numerator, m.denominator) for m in measures_for(level)}
    if scope.grids is not None:
        # Filtering before annotating makes the household join start from the grids in scope (Django reuses
        # the filtered join for the counts), so a grid worker's figures read their grid, not the whole street.
        queryset = queryset.filter(**{f"{level.grids_below}__in": scope.grids})
    return queryset.annotate(**counts).annotate(**shares)


def below_target_q(level):
    """Nodes where any share is below the target (a share with nothing to count is never below)."""
    q = Q()
    for measure in measures_for(level):
        q |= Q(**{f"{measure.share}__lt": target()})
    return q


def on_target_q(level):
    q = Q()
    for measure in measures_for(level):
        q &= Q(**{f"{measure.share}__gte": target()}) | Q(**{f"{measure.share}__isnull": True})
    return q


def is_below(share):
    return share is not None and share < target()


def shortfalls(node):
    """The measures an annotated node falls short on, worked out from its already-loaded shares."""
    return [m for m in measures_for(level_of(type(node))) if is_below(getattr(node, m.share))]
