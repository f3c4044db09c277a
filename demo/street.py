"""Demo data for the first four grid levels and the demo staff, used by `manage.py seed_demo`.

A step is a function taking the seed context (see `jinjiajiayuan/management/commands/seed_demo.py`): it reads
`ctx.households`, draws randomness only from `ctx.rng(name)`, logs with `ctx.log`, and hands what later steps
need over in `ctx.state`. Rows are looked up by their natural keys first, so running a step again adds nothing.

Also home to the name generator for people, which `households.demo` reuses (households may import grids,
never the reverse).
"""

import itertools
import math
import os

from django.contrib.auth.hashers import make_password

from accounts.models import User

from .models import Building, Community, Grid, StaffAssignment, Street

STREET_NAME = "黄屯街道"
MAIN_COMMUNITY = "金色嘉苑社区"
SECOND_COMMUNITY = "黄屯社区"
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

_DIGITS = "零一二三四五六七八九"

# Common surnames of south-west Shandong with rough weights; 孔 and 孟 are frequent around Jining.
# 单 (shan/dan) and 曾 (zeng/ceng) are read two ways and must still be found by either reading.
SURNAMES = {
    "王": 9, "张": 8, "李": 8, "刘": 6, "孙": 4, "陈": 3, "杨": 3, "赵": 3, "徐": 2, "马": 2, "黄": 2,
    "高": 2, "孔": 1.5, "孟": 1, "魏": 1.5, "周": 1.5, "朱": 1.5, "郭": 1.5, "于": 1.5, "吴": 1, "董": 1,
    "姜": 1, "曹": 1, "田": 1, "胡": 1, "石": 1, "韩": 1, "宋": 1, "冯": 0.8, "单": 0.8, "曾": 0.8,
    "颜": 0.5, "路": 0.5, "鲁": 0.5, "邵": 0.5, "袁": 0.5, "贾": 0.6, "梁": 0.6, "程": 0.5, "苗": 0.4,
    "蔡": 0.5, "仲": 0.3, "季": 0.3, "褚": 0.3, "姚": 0.5, "穆": 0.3,
}  # fmt: skip

# Given names by generation (born before 1960, 1960–1989, from 1990) and gender: whole names and parts.
GIVEN_NAMES = {
    ("old", "male"): (
        "建国 建华 德福 德胜 福田 永泉 玉亭 长河 树林 宝山 振华 国庆 广田 守义 洪亮 金生 庆林 元吉 学文 茂林 "
        "兴旺 富贵 明德 文斌 传德 继承 延年 春生 殿臣 玉成 景山 万福 广礼 凤岐"
    ),
    ("old", "female"): (
        "秀英 桂兰 玉兰 淑珍 凤英 秀兰 桂英 玉珍 秀珍 兰英 翠花 素梅 桂芝 凤兰 淑英 玉梅 春兰 秀云 金凤 桂荣 "
        "玉芝 秀荣 爱莲 月英 素珍 桂香 凤琴"
    ),
    ("mid", "male"): (
        "伟 强 军 勇 磊 涛 斌 刚 海涛 建军 志强 永刚 立新 红军 卫东 国强 庆华 洪涛 海波 新华 成刚 宏伟 建伟 "
        "明亮 立军 振东 庆军 宪法 学军 文博 爱国 兆军"
    ),
    ("mid", "female"): (
        "丽 静 敏 燕 霞 红梅 丽娟 海燕 秀梅 艳 玲 丽华 红霞 晓燕 春燕 美玲 雪梅 慧 芳 娜 凤霞 红艳 晓丽 "
        "玉霞 艳红 丽萍 翠萍 秀芳"
    ),
    ("young", "male"): (
        "浩然 子轩 宇航 浩宇 俊杰 明轩 一鸣 天佑 博文 家豪 子豪 皓轩 宇轩 泽宇 睿 鑫 晨阳 嘉豪 思远 铭 凯 硕 "
        "浩 文轩 梓豪 佳乐 子墨 奕辰 沐宸"
    ),
    ("young", "female"): (
        "欣怡 梓涵 雨涵 诗涵 可馨 佳怡 子萱 梓萱 雨欣 若汐 一诺 思琪 语桐 欣然 梦瑶 佳琪 晨曦 婉清 静怡 紫涵 "
        "诗琪 雨彤 心怡 安琪 语汐"
    ),
}
GIVEN_NAMES = {key: tuple(value.split()) for key, value in GIVEN_NAMES.items()}
# 魏永凯 appears once, in his own home, so "wyk" finds him.
RESERVED_NAMES = {"魏永凯"}

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


def chinese_numeral(n):
    """1 → 一, 10 → 十, 21 → 二十一, 105 → 一百零五 (for n below 1000)."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    text = ""
    if hundreds:
        text += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            text += "零"
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        text += _DIGITS[ones]
    return text


def generation(birth_year):
    if birth_year < 1960:
        return "old"
    if birth_year < 1990:
        return "mid"
    return "young"


def given_name(rng, gender, birth_year):
    return rng.choice(GIVEN_NAMES[(generation(birth_year), gender)])


def surname(rng):
    return rng.choices(_SURNAME_LIST, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


_SURNAME_LIST = tuple(SURNAMES)
_SURNAME_CUM_WEIGHTS = tuple(itertools.accumulate(SURNAMES.values()))


def person_name(rng, gender, birth_year, family_name=None):
    """A realistic name for someone of this gender born in this year; never a reserved name."""
    while True:
        name = (family_name or surname(rng)) + given_name(rng, gender, birth_year)
        if name not in RESERVED_NAMES:
            return name


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


def seed_grid(ctx):
    """The street, its two communities, their grids and buildings, with party organisations at every level.

    Leaves `ctx.state["street"]` and `ctx.state["grids"]`: a list of (grid, household quota, buildings).
    """
    rng = ctx.rng("grids")
    street, _created = Street.objects.get_or_create(
        name=STREET_NAME, defaults={"party_org_name": "黄屯街道党工委", "party_secretary": "李翠玲"}
    )
    communities = {}
    for name, secretary in ((MAIN_COMMUNITY, "魏广礼"), (SECOND_COMMUNITY, "黄德胜")):
        communities[name], _created = Community.objects.get_or_create(
            street=street,
            name=name,
            defaults={"party_org_name": name.replace("社区", "社区党委"), "party_secretary": secretary},
        )
    plan = grid_plan(ctx.households)
    existing_grids = {
        (g.community_id, g.name): g for g in Grid.objects.filter(community__street=street).select_related("community")
    }
    new_grids = []
    for community_name, area, grid_name, _quota in plan:
        community = communities[community_name]
        if (community.pk, grid_name) not in existing_grids:
            grid = Grid(
                community=community,
                name=grid_name,
                area=area,
                party_branch_name=f"{community_name}{grid_name}党支部",
                party_secretary=person_name(rng, "male", rng.randint(1955, 1980)),
            )
            existing_grids[(community.pk, grid_name)] = grid
            new_grids.append(grid)
    Grid.objects.bulk_create(new_grids)

    buildings = {
        (b.grid.community_id, b.number): b
        for b in Building.objects.filter(grid__community__street=street).select_related("grid")
    }
    next_number = {community.pk: 1 for community in communities.values()}
    new_buildings, grids = [], []
    for community_name, _area, grid_name, quota in plan:
        community = communities[community_name]
        grid = existing_grids[(community.pk, grid_name)]
        grid_buildings, capacity = [], 0
        while len(grid_buildings) < MIN_BUILDINGS_PER_GRID or capacity * OCCUPANCY < quota:
            number = str(next_number[community.pk])
            next_number[community.pk] += 1
            units, floors = rng.choice(UNIT_CHOICES), rng.choice(FLOOR_CHOICES)
            has_party_group = rng.random() < PARTY_GROUP_SHARE
            building = buildings.get((community.pk, number))
            if building is None:
                building = Building(
                    grid=grid,
                    number=number,
                    units=units,
                    floors=floors,
                    party_group_name=f"{number}号楼党小组" if has_party_group else "",
                )
                buildings[(community.pk, number)] = building
                new_buildings.append(building)
            grid_buildings.append(building)
            capacity += building.units * building.floors * ROOMS_PER_FLOOR
        grids.append((grid, quota, grid_buildings))
    Building.objects.bulk_create(new_buildings, batch_size=1000)

    ctx.state["street"] = street
    ctx.state["grids"] = grids
    ctx.log(
        f"街道 1，社区 {len(communities)}，网格 {len(plan)}（新建 {len(new_grids)}），"
        f"楼宇 {sum(len(b) for _g, _q, b in grids)}（新建 {len(new_buildings)}）"
    )


def seed_staff(ctx):
    """The demo users of CONTRACT.md plus a grid worker (and 网格长) for every grid but one.

    The last grid of 金色嘉苑's west district is deliberately left without a worker, so the coverage review
    has a gap to show. Existing users are left exactly as they are.
    """
    street = ctx.state["street"]
    grids = [grid for grid, _quota, _buildings in ctx.state["grids"]]
    by_path = {f"grid:{g.community.name}/{g.name}": g for g in grids}
    by_path.update({f"community:{c.name}": c for c in street.communities.all()})
    by_path["street"] = street
    uncovered = [g for g in grids if g.community.name == MAIN_COMMUNITY and g.area == "西区"][-1]

    users = list(DEMO_USERS)
    named = {node for *_rest, node in users if node}
    rng = ctx.rng("staff")
    number = 3
    for grid in grids:
        path = f"grid:{grid.community.name}/{grid.name}"
        if path in named or grid == uncovered:
            continue
        gender = rng.choice(("male", "female"))
        users.append(
            (f"grid{number:02d}", person_name(rng, gender, rng.randint(1975, 1998)), User.Role.GRID_WORKER, path)
        )
        number += 1

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
            node = by_path[node_path]
            StaffAssignment.objects.create(user=user, **{node._meta.model_name: node})
        created += 1

    staff = {u.username: u for u in User.objects.filter(username__in=[u[0] for u in users])}
    grid_users = {path: staff[username] for username, _n, role, path in users if role == User.Role.GRID_WORKER}
    leaders = [g for g in grids if g.leader_id is None and f"grid:{g.community.name}/{g.name}" in grid_users]
    for grid in leaders:
        grid.leader = grid_users[f"grid:{grid.community.name}/{grid.name}"]
    Grid.objects.bulk_update(leaders, ["leader"], batch_size=500)
    Street.objects.filter(pk=street.pk, responsible__isnull=True).update(responsible=staff["leader"])
    for username, community_name in (("cadre", MAIN_COMMUNITY), ("cadre02", SECOND_COMMUNITY)):
        street.communities.filter(name=community_name, responsible__isnull=True).update(responsible=staff[username])
    ctx.log(f"工作人员 {len(users)}（新建 {created}），无网格员的网格：{uncovered.community.name}{uncovered.name}")
