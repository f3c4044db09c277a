"""The demo street's first four levels and its staff: steps `seed_grid` and `seed_staff` of `seed_demo`.

A step is a function taking the seed context (`demo.context.DemoContext`): it reads `ctx.households`, draws
randomness only from `ctx.rng(name)`, logs with `ctx.log`, and hands what later steps need over in
`ctx.state`. Rows are looked up by their natural keys first, so running a step again adds nothing.
"""

import math
import os

from django.contrib.auth.hashers import make_password

from accounts.models import User
from grids.models import Building, Community, Grid, StaffAssignment, Street

from .names import chinese_numeral, person_name

STREET_NAME = "黄屯街道"
MAIN_COMMUNITY = "金色嘉苑社区"
SECOND_COMMUNITY = "黄屯社区"
COMMUNITY_SECRETARIES = {MAIN_COMMUNITY: "魏广礼", SECOND_COMMUNITY: "黄德胜"}
MAIN_SHARE = 0.8
HOUSEHOLDS_PER_GRID = 450
OCCUPANCY = 0.92
MIN_BUILDINGS_PER_GRID = 3
PARTY_GROUP_SHARE = 0.92
DEFAULT_DEMO_PASSWORD = "jinse-demo-2026"

# 魏永凯's home in the report: the first grid of the east district, building 3, unit 2, room 501.
ANCHOR = {"community": MAIN_COMMUNITY, "grid": "东区第一网格", "building": "3", "unit": 2, "room": "501"}

# Rural resettlement blocks: mostly six-storey walk-ups, some eleven-storey blocks with a lift.
FLOOR_CHOICES = (6, 6, 6, 6, 7, 9, 11, 11, 11)
UNIT_CHOICES = (2, 2, 3)
ROOMS_PER_FLOOR = 2  # 一梯两户

DEMO_USERS = [
    # username, full name, role, node ("street", "community:<name>" or "grid:<community>/<grid>")
    ("admin", "系统管理员", User.Role.ADMIN, None),
    ("grid01", "刘晓梅", User.Role.GRID_WORKER, f"grid:{MAIN_COMMUNITY}/东区第一网格"),
    ("grid02", "孙国强", User.Role.GRID_WORKER, f"grid:{MAIN_COMMUNITY}/东区第二网格"),
    ("cadre", "张立平", User.Role.CADRE, f"community:{MAIN_COMMUNITY}"),
    ("cadre02", "王海燕", User.Role.CADRE, f"community:{SECOND_COMMUNITY}"),
    ("mediator", "张艳国", User.Role.MEDIATOR, None),
    ("leader", "姚凌燕", User.Role.LEADER, "street"),
]
COMMUNITY_CADRES = (("cadre", MAIN_COMMUNITY), ("cadre02", SECOND_COMMUNITY))


def grid_plan(total):
    """(community, area, grid name, household quota) for a street of `total` households.

    金色嘉苑 holds most households in grids of about HOUSEHOLDS_PER_GRID split between its east and west
    districts; the second, smaller community has plainly numbered grids. Each has at least two per district.
    """
    main = round(total * MAIN_SHARE)
    second = total - main
    per_district = max(2, math.ceil(main / 2 / HOUSEHOLDS_PER_GRID))
    main_grids = [
        (MAIN_COMMUNITY, area, f"{area}第{chinese_numeral(i)}网格")
        for area in ("东区", "西区")
        for i in range(1, per_district + 1)
    ]
    second_grids = [
        (SECOND_COMMUNITY, "", f"第{chinese_numeral(i)}网格")
        for i in range(1, max(2, math.ceil(second / HOUSEHOLDS_PER_GRID)) + 1)
    ]
    return [
        (*grid, quota)
        for grids, households in ((main_grids, main), (second_grids, second))
        for grid, quota in zip(grids, _split(households, len(grids)), strict=True)
    ]


def _split(total, parts):
    base, extra = divmod(total, parts)
    return [base + (i < extra) for i in range(parts)]


# --- step: seed_grid ---------------------------------------------------------------------------------------


def seed_grid(ctx):
    """The street, its two communities, their grids and buildings, with party organisations at every level.

    Leaves `ctx.state["street"]` and `ctx.state["grids"]`: a list of (grid, household quota, buildings).
    """
    rng = ctx.rng("grids")
    street = _street()
    communities = _communities(street)
    plan = [(communities[name], area, grid_name, quota) for name, area, grid_name, quota in grid_plan(ctx.households)]
    grids, new_grids = _grids(rng, street, plan)
    placed, new_buildings = _buildings(rng, street, plan, grids)

    ctx.state["street"] = street
    ctx.state["grids"] = placed
    ctx.log(
        f"街道 1，社区 {len(communities)}，网格 {len(plan)}（新建 {new_grids}），"
        f"楼宇 {sum(len(b) for _g, _q, b in placed)}（新建 {new_buildings}）"
    )


def _street():
    street, _created = Street.objects.get_or_create(
        name=STREET_NAME, defaults={"party_org_name": "黄屯街道党工委", "party_secretary": "李翠玲"}
    )
    return street


def _communities(street):
    """The two communities by name, with their party committees."""
    communities = {}
    for name, secretary in COMMUNITY_SECRETARIES.items():
        communities[name], _created = Community.objects.get_or_create(
            street=street,
            name=name,
            defaults={"party_org_name": name.replace("社区", "社区党委"), "party_secretary": secretary},
        )
    return communities


def _grids(rng, street, plan):
    """Every planned grid keyed by (community id, name), creating the missing ones; and how many were new."""
    grids = {
        (g.community_id, g.name): g for g in Grid.objects.filter(community__street=street).select_related("community")
    }
    new = []
    for community, area, name, _quota in plan:
        if (community.pk, name) not in grids:
            grid = Grid(
                community=community,
                name=name,
                area=area,
                party_branch_name=f"{community.name}{name}党支部",
                party_secretary=person_name(rng, "male", rng.randint(1955, 1980)),
            )
            grids[(community.pk, name)] = grid
            new.append(grid)
    Grid.objects.bulk_create(new)
    return grids, len(new)


def _buildings(rng, street, plan, grids):
    """(grid, quota, buildings) for each planned grid, numbering buildings per community until the grid's
    dwellings hold its quota; existing buildings are reused by number. Also how many were new."""
    buildings = {
        (b.grid.community_id, b.number): b
        for b in Building.objects.filter(grid__community__street=street).select_related("grid")
    }
    next_number = {}
    new, placed = [], []
    for community, _area, name, quota in plan:
        grid = grids[(community.pk, name)]
        grid_buildings, capacity = [], 0
        while len(grid_buildings) < MIN_BUILDINGS_PER_GRID or capacity * OCCUPANCY < quota:
            number = str(next_number.setdefault(community.pk, 1))
            next_number[community.pk] += 1
            building = _building(rng, grid, number)
            if (community.pk, number) in buildings:
                building = buildings[(community.pk, number)]
            else:
                buildings[(community.pk, number)] = building
                new.append(building)
            grid_buildings.append(building)
            capacity += building.units * building.floors * ROOMS_PER_FLOOR
        placed.append((grid, quota, grid_buildings))
    Building.objects.bulk_create(new, batch_size=1000)
    return placed, len(new)


def _building(rng, grid, number):
    """An unsaved building; drawn even when the number exists already, so later draws stay the same."""
    units, floors = rng.choice(UNIT_CHOICES), rng.choice(FLOOR_CHOICES)
    has_party_group = rng.random() < PARTY_GROUP_SHARE
    return Building(
        grid=grid,
        number=number,
        units=units,
        floors=floors,
        party_group_name=f"{number}号楼党小组" if has_party_group else "",
    )


# --- step: seed_staff --------------------------------------------------------------------------------------


def seed_staff(ctx):
    """The demo users (admin, grid01, grid02, cadre, cadre02, mediator, leader) plus a grid worker (and 网格长)
    for every grid but one.

    The last grid of 金色嘉苑's west district is deliberately left without a worker, so the coverage review
    has a gap to show. Existing users are left exactly as they are.
    """
    street = ctx.state["street"]
    grids = [grid for grid, _quota, _buildings in ctx.state["grids"]]
    uncovered = [g for g in grids if g.community.name == MAIN_COMMUNITY and g.area == "西区"][-1]
    users = [*DEMO_USERS, *_grid_workers(ctx.rng("staff"), grids, uncovered)]
    created = _create_users(users, _nodes(street, grids))
    _appoint_responsibles(street, grids, users)
    ctx.log(f"工作人员 {len(users)}（新建 {created}），无网格员的网格：{uncovered.community.name}{uncovered.name}")


def _grid_path(grid):
    return f"grid:{grid.community.name}/{grid.name}"


def _nodes(street, grids):
    """Node path (as in DEMO_USERS) → the street, community or grid it names."""
    nodes = {_grid_path(g): g for g in grids}
    nodes.update({f"community:{c.name}": c for c in street.communities.all()})
    nodes["street"] = street
    return nodes


def _grid_workers(rng, grids, uncovered):
    """User rows (as in DEMO_USERS) grid03, grid04, … for the grids no demo user works, but `uncovered`."""
    named = {node for *_rest, node in DEMO_USERS if node}
    workers = []
    for grid in grids:
        if _grid_path(grid) in named or grid == uncovered:
            continue
        name = person_name(rng, rng.choice(("male", "female")), rng.randint(1975, 1998))
        workers.append((f"grid{len(workers) + 3:02d}", name, User.Role.GRID_WORKER, _grid_path(grid)))
    return workers


def _create_users(users, nodes):
    """Create the users not there yet, with their role and node; returns how many were created."""
    existing = set(User.objects.filter(username__in=[u[0] for u in users]).values_list("username", flat=True))
    password = None
    created = 0
    for username, full_name, role, node_path in users:
        if username in existing:
            continue
        # Hashed once: a hundred grid workers must not cost a hundred slow password hashes.
        password = password or make_password(os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD)
        is_admin = role == User.Role.ADMIN
        user = User.objects.create(
            username=username,
            full_name=full_name,
            password=password,
            phone=f"1380537{created:04d}",
            is_staff=is_admin,
            is_superuser=is_admin,
        )
        user.set_role(role)
        if node_path:
            node = nodes[node_path]
            StaffAssignment.objects.create(user=user, **{node._meta.model_name: node})
        created += 1
    return created


def _appoint_responsibles(street, grids, users):
    """Each covered grid is led by its worker, the street by `leader`, each community by its cadre; a node
    that already has someone in charge keeps them."""
    staff = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in users])}
    grid_users = {path: staff[username] for username, _n, role, path in users if role == User.Role.GRID_WORKER}
    leaderless = [g for g in grids if g.leader_id is None and _grid_path(g) in grid_users]
    for grid in leaderless:
        grid.leader = grid_users[_grid_path(grid)]
    Grid.objects.bulk_update(leaderless, ["leader"], batch_size=500)
    Street.objects.filter(pk=street.pk, responsible__isnull=True).update(responsible=staff["leader"])
    for username, community_name in COMMUNITY_CADRES:
        street.communities.filter(name=community_name, responsible__isnull=True).update(responsible=staff[username])
