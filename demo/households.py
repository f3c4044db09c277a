"""Demo households, residents, party members and lead households for `manage.py seed_demo`.

Runs after `grids.demo.seed_grid`, whose plan (`ctx.state["grids"]`: grid, household quota, buildings) says
where households go. Each dwelling's family is drawn from its own random stream, keyed by the seed and the
dwelling, so a family does not change when other dwellings are added. Dwellings that already have a household
are skipped, which makes the step idempotent.

Built for 100,000 households in well under two minutes: families are planned as plain Python objects with
their ids allocated up front (so links between rows need no second pass), then written table by table with
COPY (PostgreSQL) or executemany (SQLite), without history rows. The search keys are the ones
`services.reindex_households` would build — both take them from `search.keys_for` — but written in the same
bulk way, since reindexing 100,000 households row by row through the ORM takes several minutes. Meant for an
otherwise idle demo database: ids are taken from the current maximum inside the seed's transaction.
"""

import datetime
import io
import itertools
import random
from collections import defaultdict

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from grids.demo import ANCHOR, ROOMS_PER_FLOOR, SECOND_COMMUNITY, person_name, surname
from grids.models import Building

from .idcard import check_digit
from .models import Household, LeadHousehold, OriginVillage, PartyMember, PriorityGroup, Resident, SearchKey
from .search import keys_for, room_code

# Ages are drawn relative to a fixed day, so a seed makes the same people whatever day it runs.
REFERENCE_DATE = datetime.date(2026, 1, 1)
COPY_BATCH = 200_000
PROGRESS_EVERY = 20_000

# The villages merged into the street, each with the surnames most of its families carry.
VILLAGES = {
    "前屯村": "王魏",
    "后屯村": "张李",
    "东屯村": "赵孙",
    "杨庄村": "杨",
    "王楼村": "王孔",
    "李营村": "李",
    "张庄村": "张曾",
    "刘集村": "刘",
    "孔家村": "孔孟",
    "马厂村": "马",
    "黄屯村": "黄刘",
    "西屯村": "孙单",
}
SECOND_COMMUNITY_VILLAGES = ("黄屯村", "西屯村", "马厂村")

# Jining's districts: 任城区, 兖州区, 邹城市, 曲阜市.
REGION_CODES = ("370811", "370812", "370883", "370881")
REGION_WEIGHTS = (70, 15, 10, 5)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)

KINDS = {
    "elder_single": 9,
    "elder_couple": 14,
    "middle_couple": 8,
    "nuclear": 30,
    "three_generations": 28,
    "left_behind": 4,
    "single_adult": 7,
}
STATUSES = {
    Household.Status.RESIDENT: 86,
    Household.Status.AWAY: 6,
    Household.Status.RENTED: 5,
    Household.Status.VACANT: 3,
}
DIBAO_SHARE = {"elder_single": 0.08, "left_behind": 0.05}
PARTY_SHARE = 0.06
LEADS_MISSING_IN_BUILDING = 0.05  # buildings whose lead households are not yet designated
LINK_MISSING = 0.12  # households a lead household has not yet taken on
_KIND_CUM_WEIGHTS = tuple(itertools.accumulate(KINDS.values()))
_STATUS_CUM_WEIGHTS = tuple(itertools.accumulate(STATUSES.values()))
_REGION_CUM_WEIGHTS = tuple(itertools.accumulate(REGION_WEIGHTS))


def seed_households(ctx):
    """Households filling the planned dwellings, with residents, priority groups, party members and leads."""
    street = ctx.state["street"]
    today = timezone.localdate()
    villages = _villages(street)
    groups = dict(PriorityGroup.objects.values_list("code", "pk"))

    existing = set(
        Household.objects.filter(building__grid__community__street=street).values_list("building_id", "unit", "room")
    )
    dwellings = [
        (grid, *dwelling)
        for grid, quota, buildings in ctx.state["grids"]
        for dwelling in _dwellings(ctx.rng(f"dwellings:{grid.community.name}/{grid.name}"), grid, quota, buildings)
        if (dwelling[0].pk, dwelling[1], dwelling[3]) not in existing
    ]
    if not dwellings:
        ctx.log("居民户已齐全，无需新增")
        return
    ctx.log(f"新增居民户 {len(dwellings)} 户：生成中……")

    used_ids = set(Resident.objects.exclude(id_number=None).values_list("id_number", flat=True))
    next_home, next_person = _next_id(Household), _next_id(Resident)
    homes = []
    for grid, building, unit, floor, room in dwellings:
        community = grid.community.name
        rng = random.Random(f"{ctx.seed}:{community}:{building.number}:{unit}:{room}")
        anchor = (community, grid.name, building.number, unit, room) == tuple(ANCHOR.values())
        village, status, members = _family(rng, community, anchor=anchor)
        home = _Home(next_home, building, unit, floor, room, villages[village], status)
        next_home += 1
        for member in members:
            home.residents.append(_resident(rng, member, next_person, home.id, used_ids, today))
            next_person += 1
        phones = [person.phone for person in home.residents if person.phone]
        home.phone = phones[0] if phones else _mobile(rng)
        homes.append(home)
        _progress(ctx, "生成居民户", len(homes), len(dwellings))

    residents = [person for home in homes for person in home.residents]
    members, leads = _seed_party(ctx, homes, residents)

    _write(ctx, homes, residents, groups, members, leads)
    _reset_sequences([Household, Resident, Resident.priority_groups.through, PartyMember, LeadHousehold, SearchKey])


def _write(ctx, homes, residents, groups, members, leads):
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    _insert(
        Household,
        ("id", "building", "unit", "floor", "room", "origin_village", "status", "phone", "lead_household", "created_at"),
        [(h.id, h.building.pk, h.unit, h.floor, h.room, h.village_id, h.status, h.phone, h.lead_id, created_at)
         for h in homes],
    )  # fmt: skip
    ctx.log(f"  写入居民户 {len(homes)}")
    _insert(
        Resident,
        ("id", "household", "name", "gender", "birth_date", "id_number", "phone", "relation"),
        [
            (p.id, p.household_id, p.name, p.gender, p.birth_date.isoformat(), p.id_number, p.phone, p.relation)
            for p in residents
        ],
    )
    ctx.log(f"  写入居民 {len(residents)}")
    tags = [(p.id, groups[code]) for p in residents for code in sorted(p.codes) if code in groups]
    _insert(Resident.priority_groups.through, ("resident", "prioritygroup"), tags)
    ctx.log(f"  写入重点人群标签 {len(tags)}")
    _insert(
        PartyMember,
        ("id", "resident", "joined_on", "party_role", "is_probationary"),
        [(m.id, m.person.id, m.joined_on.isoformat(), m.role, m.probationary) for m in members],
    )
    _insert(LeadHousehold, ("id", "household", "party_member", "since_on"), leads)
    ctx.log(f"  写入党员 {len(members)}，党员中心户 {len(leads)}")
    _write_search_keys(ctx, homes)


class _Home:
    __slots__ = ("building", "floor", "id", "lead_id", "phone", "residents", "room", "status", "unit", "village_id")

    def __init__(self, id, building, unit, floor, room, village, status):
        self.id, self.building, self.unit, self.floor, self.room = id, building, unit, floor, room
        self.village_id, self.status = village.pk, status
        self.phone, self.lead_id, self.residents = "", None, []


class _Person:
    __slots__ = ("birth_date", "codes", "gender", "household_id", "id", "id_number", "name", "phone", "relation")


class _Member:
    __slots__ = ("id", "joined_on", "person", "probationary", "role")


def _villages(street):
    existing = {v.name: v for v in OriginVillage.objects.filter(street=street)}
    OriginVillage.objects.bulk_create(
        [OriginVillage(street=street, name=name) for name in VILLAGES if name not in existing]
    )
    return {v.name: v for v in OriginVillage.objects.filter(street=street)}


def _dwellings(rng, grid, quota, buildings):
    """`quota` dwellings (building, unit, floor, room) chosen among the grid's buildings, in address order."""
    every = [
        (building, unit, floor, f"{floor}{door:02d}")
        for building in buildings
        for unit in range(1, building.units + 1)
        for floor in range(1, building.floors + 1)
        for door in range(1, ROOMS_PER_FLOOR + 1)
    ]
    chosen = rng.sample(every, min(quota, len(every)))
    if grid.community.name == ANCHOR["community"] and grid.name == ANCHOR["grid"] and chosen:
        anchor = next(
            (d for d in every if (d[0].number, d[1], d[3]) == (ANCHOR["building"], ANCHOR["unit"], ANCHOR["room"])),
            None,
        )
        if anchor and anchor not in chosen:
            chosen[-1] = anchor
    order = {id(d): i for i, d in enumerate(every)}
    return sorted(chosen, key=lambda d: order[id(d)])


def _family(rng, community, *, anchor=False):
    """(origin village, residence status, members) where a member is (relation, gender, age, name)."""
    names = SECOND_COMMUNITY_VILLAGES if community == SECOND_COMMUNITY else tuple(VILLAGES)[:10]
    village = "前屯村" if anchor else rng.choice(names)
    kind = "three_generations" if anchor else rng.choices(tuple(KINDS), cum_weights=_KIND_CUM_WEIGHTS)[0]
    status = rng.choices(tuple(STATUSES), cum_weights=_STATUS_CUM_WEIGHTS)[0]
    family_name = "魏" if anchor else (rng.choice(VILLAGES[village]) if rng.random() < 0.6 else surname(rng))

    members = []
    if kind == "elder_single":
        members.append(("head", "female" if rng.random() < 0.65 else "male", rng.randint(65, 93)))
    elif kind == "single_adult":
        members.append(("head", rng.choice(("male", "female")), rng.randint(22, 59)))
    else:
        head_age = {
            "elder_couple": (60, 90),
            "middle_couple": (45, 64),
            "nuclear": (28, 50),
            "three_generations": (50, 70),
            "left_behind": (55, 75),
        }[kind]
        age = 64 if anchor else rng.randint(*head_age)
        members += [("head", "male", age), ("spouse", "female", max(20, age - rng.randint(-2, 5)))]
        if kind == "nuclear":
            for _ in range(1 + (rng.random() < 0.45)):
                members.append(("child", rng.choice(("male", "female")), rng.randint(0, max(0, age - 23))))
        elif kind == "three_generations":
            son_age = rng.randint(24, max(24, age - 22))
            members += [("child", "male", son_age), ("other", "female", max(22, son_age - rng.randint(-1, 4)))]
            for _ in range(1 + (rng.random() < 0.4)):
                members.append(("grandchild", rng.choice(("male", "female")), rng.randint(0, min(15, son_age - 20))))
            if rng.random() < 0.12 and age < 72:
                members.append(("parent", "female" if rng.random() < 0.7 else "male", age + rng.randint(22, 28)))
        elif kind == "left_behind":
            for _ in range(1 + (rng.random() < 0.35)):
                members.append(("grandchild", rng.choice(("male", "female")), rng.randint(3, 15)))
        if rng.random() < 0.12 and not anchor:
            members[0], members[1] = ("head", "female", members[1][2]), ("spouse", "male", members[0][2])

    people = []
    for index, (relation, gender, age) in enumerate(members):
        born = REFERENCE_DATE - datetime.timedelta(days=age * 365 + age // 4 + rng.randrange(1, 365))
        of_family = relation in ("child", "grandchild") or (
            gender == "male" and relation in ("head", "spouse", "parent")
        )
        if anchor and index == 0:
            name = "魏永凯"
        else:
            name = person_name(rng, gender, born.year, family_name if of_family else None)
        codes = set()
        if kind == "elder_single" and age >= 60:
            codes.add("living_alone")
            if rng.random() < 0.06:
                codes.add("extreme_poverty")
        if kind == "elder_couple" and age >= 60:
            codes.add("empty_nest")
        if kind == "left_behind" and relation == "grandchild" and age < 16:
            codes.add("left_behind_child")
        if relation == "head" and rng.random() < DIBAO_SHARE.get(kind, 0.02):
            codes.add("dibao")
        if rng.random() < (0.035 if age >= 60 else 0.012):
            codes.add("disabled")
        if gender == "male" and 40 <= age <= 85 and rng.random() < 0.08:
            codes.add("veteran")
        if 18 <= age <= 59 and rng.random() < 0.025:
            codes.add("unemployed")
        people.append((relation, gender, born, name, codes))
    return village, status, people


def _resident(rng, member, id, household_id, used_ids, today):
    relation, gender, born, name, codes = member
    age = _age(born, today)
    person = _Person()
    person.id, person.household_id, person.name, person.gender, person.relation = (
        id,
        household_id,
        name,
        gender,
        relation,
    )
    person.birth_date = born
    person.codes = codes | {"aged_80"} if age >= 80 else codes
    person.id_number = _id_number(rng, born, gender, used_ids)
    person.phone = _mobile(rng) if age >= 16 and (age < 75 or rng.random() < 0.5) else ""
    return person


def _id_number(rng, born, gender, used_ids):
    """A valid GB 11643 number: region, birth date, a sequence (odd for men, even for women), check digit."""
    region = rng.choices(REGION_CODES, cum_weights=_REGION_CUM_WEIGHTS)[0]
    sequence = rng.randrange(500) * 2 + (gender == "male")
    while True:
        first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
        number = first17 + check_digit(first17)
        if number not in used_ids:
            used_ids.add(number)
            return number
        sequence = (sequence + 2) % 1000


def _mobile(rng):
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _age(born, on):
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _progress(ctx, label, done, total):
    if done == total or done % PROGRESS_EVERY == 0:
        ctx.log(f"  {label} {done}/{total}")


def _seed_party(ctx, homes, residents):
    """~6% of the new adults join the party; party households become lead households, about one per ten
    households of a building; building party groups get a leader and each grid a branch committee.

    Returns the party members and the lead-household rows (id, household id, party member id, since);
    sets `lead_id` on the linked homes.
    """
    rng = ctx.rng("party")
    adults = [p for p in residents if _age(p.birth_date, REFERENCE_DATE) >= 18]

    def weight(person):
        age = _age(person.birth_date, REFERENCE_DATE)
        return (1.0 if age < 35 else 1.5 if age < 60 else 2.5) * (1.6 if person.gender == "male" else 1.0)

    count = min(len(adults), round(len(residents) * PARTY_SHARE))
    chosen = sorted(adults, key=lambda p: rng.random() ** (1 / weight(p)), reverse=True)[:count]
    chosen.sort(key=lambda p: p.id)
    next_member = _next_id(PartyMember)
    members, party_of = [], {}  # party_of: household id → its party member, the head first
    for offset, person in enumerate(chosen):
        age = _age(person.birth_date, REFERENCE_DATE)
        joined = person.birth_date + datetime.timedelta(days=rng.randint(18, max(18, min(age, 45))) * 365 + 30)
        joined = min(joined, REFERENCE_DATE - datetime.timedelta(days=rng.randint(30, 700)))
        member = _Member()
        member.id, member.person, member.joined_on = next_member + offset, person, joined
        member.role = PartyMember.PartyRole.MEMBER
        member.probationary = joined > REFERENCE_DATE - datetime.timedelta(days=365)
        members.append(member)
        if person.household_id not in party_of or person.relation == Resident.Relation.HEAD:
            party_of[person.household_id] = member

    by_building = defaultdict(list)
    for home in homes:
        by_building[home.building].append(home)
    next_lead = _next_id(LeadHousehold)
    leads, members_by_grid, group_leaders = [], defaultdict(list), []
    for building, in_building in by_building.items():
        party_homes = [i for i, home in enumerate(in_building) if home.id in party_of]
        building_members = [party_of[home.id] for home in in_building if home.id in party_of]
        members_by_grid[building.grid_id] += building_members
        if party_homes and rng.random() >= LEADS_MISSING_IN_BUILDING:
            for position in _lead_positions(rng, in_building, party_homes):
                home, member = in_building[position], party_of[in_building[position].id]
                member.role = PartyMember.PartyRole.LEAD_HOUSEHOLD
                since = (REFERENCE_DATE - datetime.timedelta(days=rng.randint(60, 2400))).isoformat()
                leads.append((next_lead, home.id, member.id, since))
                for linked in in_building:
                    if linked.lead_id == -position - 1:
                        linked.lead_id = next_lead
                next_lead += 1
        if building.party_group_name and not building.party_group_leader and building_members:
            plain = [m for m in building_members if m.role == PartyMember.PartyRole.MEMBER]
            if plain:  # otherwise a lead household's member leads the group too, keeping that role
                plain[-1].role = PartyMember.PartyRole.GROUP_LEADER
            building.party_group_leader = (plain or building_members)[-1].person.name
            group_leaders.append(building)
    Building.objects.bulk_update(group_leaders, ["party_group_leader"], batch_size=500)

    for grid_members in members_by_grid.values():
        for member in [m for m in grid_members if m.role == PartyMember.PartyRole.MEMBER][:3]:
            member.role = PartyMember.PartyRole.BRANCH_COMMITTEE

    linked = sum(home.lead_id is not None for home in homes)
    ctx.log(
        f"  党员 {len(members)}，党员中心户 {len(leads)}，联系户覆盖 {linked}/{len(homes)}"
        f"（{linked / len(homes):.0%}），楼宇党小组长 {len(group_leaders)}"
    )
    return members, leads


def _lead_positions(rng, homes, party_homes):
    """About one lead household per ten homes of the building, spread along it. Each home is marked with the
    nearest lead (as -position - 1 until the lead has an id), except a few not yet taken on."""
    wanted = min(len(party_homes), max(1, round(len(homes) / 10)))
    positions = [party_homes[int((i + 0.5) * len(party_homes) / wanted)] for i in range(wanted)]
    for index, home in enumerate(homes):
        nearest = min(positions, key=lambda p, i=index: abs(p - i))
        if index in positions or rng.random() >= LINK_MISSING:
            home.lead_id = -nearest - 1
    return positions


def _write_search_keys(ctx, homes):
    """The same keys `services.reindex_households` builds (both come from `search.keys_for`), written in bulk."""
    next_key = _next_id(SearchKey)
    rows = []
    for home in homes:
        keys = keys_for(
            room_code=room_code(home.building.number, home.unit, home.room),
            phones=[home.phone, *(p.phone for p in home.residents)],
            names=[p.name for p in home.residents],
        )
        rows += [(next_key + i, home.id, key) for i, key in enumerate(sorted(keys))]
        next_key += len(keys)
    _insert(SearchKey, ("id", "household", "key"), rows)
    ctx.log(f"  写入检索键 {len(rows)}")


def _next_id(model):
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


def _insert(model, fields, rows):
    """Insert rows (tuples in `fields` order, ids included) without building model instances.

    Values must be ready for the database (dates as ISO text). COPY on PostgreSQL, executemany elsewhere;
    any other concrete field gets its model default, so a field added later with a default does not break
    the demo.
    """
    if not rows:
        return
    given = [model._meta.get_field(name) for name in fields]
    others = [f for f in model._meta.concrete_fields if f not in given and not (f.primary_key and f.auto_created)]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in others)
    columns = [f.column for f in given + others]
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), COPY_BATCH):
                text = "".join(
                    "\t".join(map(_copy_text, row + defaults)) + "\n" for row in rows[start : start + COPY_BATCH]
                )
                cursor.cursor.copy_expert(f"COPY {table} ({column_list}) FROM STDIN", io.StringIO(text))
        else:
            if connection.vendor == "sqlite":
                # A larger page cache keeps index maintenance of the big tables in memory (default: 2 MB).
                cursor.execute("PRAGMA cache_size = -262144")
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})",
                [row + defaults for row in rows],
            )


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    if type(value) is str:
        return value.translate(_COPY_ESCAPES)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _reset_sequences(models):
    """Explicit ids leave PostgreSQL's id sequences behind; move them past the new rows."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
