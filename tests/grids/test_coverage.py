import pytest

from grids.coverage import (
    Measure,
    annotate_coverage,
    below_target_q,
    count_per_node,
    measures_for,
    on_target_q,
    register_measure,
)
from grids.models import Building, Community, Grid, Street

FIGURES = ("household_count", "linked_count", "building_count", "grouped_building_count")
GRID_FIGURES = ("grid_count", "staffed_grid_count", "grid_worker_count")


def figures(node, names=FIGURES + GRID_FIGURES):
    return {name: getattr(node, name) for name in names}


def test_street_figures_count_everything_beneath_it(coverage_street):
    street = annotate_coverage(Street.objects.filter(pk=coverage_street.street.pk)).get()

    assert figures(street) == {
        "household_count": 9,
        "linked_count": 5,
        "building_count": 3,
        "grouped_building_count": 2,
        "grid_count": 3,
        "staffed_grid_count": 2,
        "grid_worker_count": 2,
    }
    assert street.linked_share == pytest.approx(5 / 9)
    assert street.group_share == pytest.approx(2 / 3)
    assert street.staffed_share == pytest.approx(2 / 3)


def test_community_figures_are_per_community(coverage_street):
    communities = {c.name: c for c in annotate_coverage(Community.objects.all())}

    assert figures(communities["金色嘉苑社区"]) == {
        "household_count": 9,
        "linked_count": 5,
        "building_count": 3,
        "grouped_building_count": 2,
        "grid_count": 2,
        "staffed_grid_count": 1,
        "grid_worker_count": 1,
    }
    west = communities["西城社区"]
    assert figures(west) == {
        "household_count": 0,
        "linked_count": 0,
        "building_count": 0,
        "grouped_building_count": 0,
        "grid_count": 1,
        "staffed_grid_count": 1,
        "grid_worker_count": 1,
    }
    assert west.linked_share is None
    assert west.group_share is None
    assert west.staffed_share == 1


def test_grid_figures_ignore_inactive_and_non_grid_staff(coverage_street, cadre):
    grids = {g.name: g for g in annotate_coverage(Grid.objects.all())}

    east, west = grids["东区第一网格"], grids["西区第一网格"]
    assert figures(east) == {
        "household_count": 6,
        "linked_count": 2,
        "building_count": 2,
        "grouped_building_count": 1,
        "grid_count": 1,
        "staffed_grid_count": 1,
        "grid_worker_count": 1,
    }
    assert east.linked_share == pytest.approx(1 / 3)
    assert east.group_share == 0.5
    assert figures(west, GRID_FIGURES) == {"grid_count": 1, "staffed_grid_count": 0, "grid_worker_count": 0}
    assert west.linked_share == 1
    assert west.staffed_share == 0


def test_building_figures(coverage_street):
    buildings = {b.number: b for b in annotate_coverage(Building.objects.all())}

    assert [figures(buildings[n], FIGURES) for n in ("1", "2", "3")] == [
        {"household_count": 4, "linked_count": 2, "building_count": 1, "grouped_building_count": 1},
        {"household_count": 2, "linked_count": 0, "building_count": 1, "grouped_building_count": 0},
        {"household_count": 3, "linked_count": 3, "building_count": 1, "grouped_building_count": 1},
    ]
    assert not hasattr(buildings["1"], "staffed_share")


def test_below_target_and_on_target_split_the_nodes(coverage_street, grids_measures_only):
    grids = annotate_coverage(Grid.objects.all())
    buildings = annotate_coverage(Building.objects.all())

    assert set(grids.filter(below_target_q("grid")).values_list("name", flat=True)) == {"东区第一网格", "西区第一网格"}
    assert list(grids.filter(on_target_q("grid")).values_list("name", flat=True)) == ["西城第一网格"]
    assert set(buildings.filter(below_target_q("building")).values_list("number", flat=True)) == {"1", "2"}
    assert list(buildings.filter(on_target_q("building")).values_list("number", flat=True)) == ["3"]


def test_counts_can_be_narrowed_to_visible_grids(coverage_street):
    street = annotate_coverage(
        Street.objects.filter(pk=coverage_street.street.pk), grids=Grid.objects.filter(pk=coverage_street.grid.pk)
    ).get()

    assert figures(street) == {
        "household_count": 6,
        "linked_count": 2,
        "building_count": 2,
        "grouped_building_count": 1,
        "grid_count": 1,
        "staffed_grid_count": 1,
        "grid_worker_count": 1,
    }


def test_target_comes_from_settings(coverage_street, grids_measures_only, settings):
    settings.COVERAGE_TARGET = 0.3
    grids = annotate_coverage(Grid.objects.all())

    assert list(grids.filter(below_target_q("grid")).values_list("name", flat=True)) == ["西区第一网格"]


def test_registered_measure_is_annotated_and_filtered(coverage_street, grids_measures_only):

    def counts(level, scope):
        tall = scope.narrow(Building.objects.filter(floors__gte=10), "grid")
        return {"tall_count": count_per_node(tall, level.building_path)}

    register_measure(Measure("tall", "高层", "tall_count", "building_count", counts))
    register_measure(Measure("tall", "高层", "tall_count", "building_count", counts))
    Building.objects.filter(pk=coverage_street.b1.pk).update(floors=18)

    community = annotate_coverage(Community.objects.filter(pk=coverage_street.community.pk)).get()

    assert [m.key for m in measures_for("community")] == ["linked", "group", "staffed", "tall"]
    assert community.tall_count == 1
    assert community.tall_share == pytest.approx(1 / 3)


@pytest.mark.parametrize("model", [Street, Community, Grid, Building])
def test_subqueries_are_not_grouped_by(db, model):
    # Grouping by a correlated subquery makes the database run it once per joined household row.
    compiler = annotate_coverage(model.objects.all()).query.get_compiler(using="default")
    _extra_select, _order_by, group_by = compiler.pre_sql_setup()

    assert group_by
    assert not [sql for sql, _params in group_by if "SELECT" in sql]
