"""`manage.py seed_demo`: the demo users, the coverage gaps it leaves on purpose, idempotency."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q

from accounts.models import User
from demo.management.commands import seed_demo
from grids.models import Building, Community, Grid, StaffAssignment, Street
from households.models import Household, LeadHousehold, PartyMember, Resident, SearchKey

pytestmark = pytest.mark.django_db


def seed(households=60, **options):
    out = io.StringIO()
    call_command("seed_demo", households=households, stdout=out, **options)
    return out.getvalue()


def counts():
    models = [Street, Community, Grid, Building, Household, Resident, PartyMember, LeadHousehold, SearchKey, User]
    models += [StaffAssignment, Resident.priority_groups.through]
    figures = {model.__name__: model.objects.count() for model in models}
    figures["linked"] = Household.objects.filter(lead_household__isnull=False).count()
    return figures


def test_demo_users_have_their_roles_groups_and_nodes():
    seed()

    expected = {
        "admin": ("admin", "管理员", None),
        "grid01": ("grid_worker", "网格员", "东区第一网格"),
        "grid02": ("grid_worker", "网格员", "东区第二网格"),
        "cadre": ("cadre", "社区干部", "金色嘉苑社区"),
        "mediator": ("mediator", "调解员", None),
        "leader": ("leader", "街道领导", "黄屯街道"),
    }
    for username, (role, group, node) in expected.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert list(user.groups.values_list("name", flat=True)) == [group]
        assert [str(a.node) for a in user.assignments.all()] == ([node] if node else [])
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.get(username="leader").is_staff
    assert User.objects.get(username="grid01").assignments.get().grid.community.name == "金色嘉苑社区"


def test_demo_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass-7")
    seed()

    assert User.objects.get(username="grid01").check_password("another-demo-pass-7")
    assert not User.objects.get(username="admin").check_password("jinse-demo-2026")


def test_default_demo_password_is_the_documented_one(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    seed()

    assert User.objects.get(username="grid01").check_password("jinse-demo-2026")


def test_every_grid_but_one_has_a_grid_worker_who_leads_it():
    seed()

    grids = Grid.objects.annotate(workers=Count("assignments", filter=Q(assignments__user__role="grid_worker")))
    without = [grid.name for grid in grids if grid.workers == 0]
    assert without == ["西区第二网格"]
    assert all(grid.leader_id for grid in grids if grid.workers)
    assert Grid.objects.get(name="东区第一网格").leader.username == "grid01"


def test_street_has_two_communities_with_east_and_west_grids():
    seed()

    street = Street.objects.get(name="黄屯街道")
    assert street.party_org_name == "黄屯街道党工委"
    assert sorted(street.communities.values_list("name", flat=True)) == ["金色嘉苑社区", "黄屯社区"]
    main = Grid.objects.filter(community__name="金色嘉苑社区")
    assert set(main.values_list("area", flat=True)) == {"东区", "西区"}
    assert {"东区第一网格", "东区第二网格", "西区第一网格", "西区第二网格"} <= set(main.values_list("name", flat=True))
    assert all(grid.party_branch_name.endswith("党支部") for grid in Grid.objects.all())
    main_households = Household.objects.filter(building__grid__community__name="金色嘉苑社区").count()
    assert main_households > Household.objects.count() - main_households > 0


def test_running_it_again_changes_nothing():
    seed()
    before = counts()

    output = seed()

    assert counts() == before
    assert "无需新增" in output


def test_a_larger_run_adds_households_without_duplicates():
    seed(households=40)
    heads_before = Resident.objects.filter(relation="head").count()

    seed(households=80)

    assert Household.objects.count() >= 80 > heads_before
    assert Resident.objects.filter(relation="head").count() == Household.objects.count()
    assert not Household.objects.values("building", "unit", "room").annotate(n=Count("pk")).filter(n__gt=1)


def test_household_count_out_of_range_is_refused():
    with pytest.raises(CommandError):
        seed(households=0)
    with pytest.raises(CommandError):
        seed(households=seed_demo.MAX_HOUSEHOLDS + 1)
    assert not Household.objects.exists()


def test_prints_progress_and_a_summary():
    output = seed()

    assert "demo.street.seed_grid" in output
    assert "demo.households.seed_households" in output
    assert "居民户 60" in output


def test_a_later_app_adds_its_step_with_one_line(monkeypatch):
    RECORDED.clear()
    monkeypatch.setattr(seed_demo, "STEPS", [*seed_demo.STEPS, f"{__name__}.record_step"])

    seed()

    assert RECORDED == [(60, True)]


RECORDED = []


def record_step(ctx):
    RECORDED.append(
        (ctx.households, Household.objects.filter(building__grid__community__street=ctx.state["street"]).exists())
    )
