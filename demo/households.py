"""Step `seed_households` of `seed_demo`: households, residents, priority groups, party members, lead
households and search keys filling the dwellings the street plan (`demo.street.seed_grid`) provides.

Each dwelling's family is drawn (`demo.families`) from its own random stream, keyed by the seed and the
dwelling, so a family does not change when other dwellings are added. Dwellings that already have a household
are skipped, which makes the step idempotent.

Built for 100,000 households in well under two minutes: families are planned as plain Python objects with
their ids allocated up front (so links between rows need no second pass), then written table by table with
`core.bulk.copy_rows`, without history rows. The search keys are the ones `services.reindex_households` would
build — both take them from `search.keys_for` — but written in the same bulk way, since reindexing 100,000
households row by row through the ORM takes several minutes. Meant for an otherwise idle demo database: ids
are taken from the current maximum inside the seed's transaction.
"""

import random

from django.utils import timezone

from core.bulk import adapt, copy_rows, next_pk, reset_sequences
from households.encryption import encrypt_id_number, id_number_hash
from households.models import Household, LeadHousehold, OriginVillage, PartyMember, PriorityGroup, Resident, SearchKey
from households.search import keys_for, room_code

from .families import VILLAGES, Home, draw_family, draw_mobile, draw_resident
from .party import seed_party
from .street import ANCHOR, ROOMS_PER_FLOOR

PROGRESS_EVERY = 20_000
WRITTEN = [Household, Resident, Resident.priority_groups.through, PartyMember, LeadHousehold, SearchKey]


def seed_households(ctx):
    """Households filling the planned dwellings, with residents, priority groups, party members and leads."""
    street = ctx.state["street"]
    dwellings = _empty_dwellings(ctx, street)
    if not dwellings:
        ctx.log("居民户已齐全，无需新增")
        return
    ctx.log(f"新增居民户 {len(dwellings)} 户：生成中……")
    homes = _plan_homes(ctx, dwellings, _villages(street))
    residents = [person for home in homes for person in home.residents]
    members, leads = seed_party(ctx, homes, residents)

    _write_households(ctx, homes, residents)
    _write_party(ctx, members, leads)
    _write_search_keys(ctx, homes)
    reset_sequences(WRITTEN)


def _villages(street):
    """The street's origin villages by name, creating the missing ones."""
    existing = {v.name: v for v in OriginVillage.objects.filter(street=street)}
    OriginVillage.objects.bulk_create(
        [OriginVillage(street=street, name=name) for name in VILLAGES if name not in existing]
    )
    return {v.name: v for v in OriginVillage.objects.filter(street=street)}


def _empty_dwellings(ctx, street):
    """(grid, building, unit, floor, room) of every planned dwelling that has no household yet."""
    existing = set(
        Household.objects.filter(building__grid__community__street=street).values_list("building_id", "unit", "room")
    )
    return [
        (grid, *dwelling)
        for grid, quota, buildings in ctx.state["grids"]
        for dwelling in _dwellings(ctx.rng(f"dwellings:{grid.community.name}/{grid.name}"), grid, quota, buildings)
        if (dwelling[0].pk, dwelling[1], dwelling[3]) not in existing
    ]


def _dwellings(rng, grid, quota, buildings):
    """`quota` dwellings (building, unit, floor, room) chosen among the grid's buildings, in address order.

    The anchor grid always includes 魏永凯's home (ANCHOR).
    """
    every = [
        (building, unit, floor, f"{floor}{door:02d}")
        for building in buildings
        for unit in range(1, building.units + 1)
        for floor in range(1, building.floors + 1)
        for door in range(1, ROOMS_PER_FLOOR + 1)
    ]
    chosen = rng.sample(every, min(quota, len(every)))
    if grid.community.name == ANCHOR["community"] and grid.name == ANCHOR["grid"] and chosen:
        address = (ANCHOR["building"], ANCHOR["unit"], ANCHOR["room"])
        anchor = next((d for d in every if (d[0].number, d[1], d[3]) == address), None)
        if anchor and anchor not in chosen:
            chosen[-1] = anchor
    order = {id(d): i for i, d in enumerate(every)}
    return sorted(chosen, key=lambda d: order[id(d)])


def _plan_homes(ctx, dwellings, villages):
    """A Home with its residents for every dwelling, ids allocated from the current maximum."""
    today = timezone.localdate()
    used_ids = set(Resident.objects.exclude(id_number=None).values_list("id_number", flat=True))
    next_person = next_pk(Resident)
    homes = []
    for home_id, (grid, building, unit, floor, room) in enumerate(dwellings, start=next_pk(Household)):
        community = grid.community.name
        rng = random.Random(f"{ctx.seed}:{community}:{building.number}:{unit}:{room}")
        anchor = (community, grid.name, building.number, unit, room) == tuple(ANCHOR.values())
        village, status, members = draw_family(rng, community, anchor=anchor)
        home = Home(home_id, building, unit, floor, room, villages[village], status)
        for person_id, member in enumerate(members, start=next_person):
            home.residents.append(draw_resident(rng, member, person_id, home_id, used_ids, today))
        next_person += len(members)
        home.phone = next((person.phone for person in home.residents if person.phone), "") or draw_mobile(rng)
        homes.append(home)
        if len(homes) == len(dwellings) or len(homes) % PROGRESS_EVERY == 0:
            ctx.log(f"  生成居民户 {len(homes)}/{len(dwellings)}")
    return homes


def _write_households(ctx, homes, residents):
    """Households, their residents and the residents' priority-group tags."""
    created_at = adapt(timezone.now())
    copy_rows(
        Household,
        ("id", "building_id", "unit", "floor", "room", "origin_village_id", "status", "phone", "lead_household_id",
         "created_at"),
        [(h.id, h.building.pk, h.unit, h.floor, h.room, h.village_id, h.status, h.phone, h.lead_id, created_at)
         for h in homes],
    )  # fmt: skip
    ctx.log(f"  写入居民户 {len(homes)}")
    # Identity numbers as the model stores them: encrypted, with their keyed hash (`households.encryption`).
    copy_rows(
        Resident,
        ("id", "household_id", "name", "gender", "birth_date", "id_number", "id_number_hash", "phone", "relation"),
        [
            (
                p.id,
                p.household_id,
                p.name,
                p.gender,
                adapt(p.birth_date),
                encrypt_id_number(p.id_number) if p.id_number else None,
                id_number_hash(p.id_number),
                p.phone,
                p.relation,
            )
            for p in residents
        ],
    )
    ctx.log(f"  写入居民 {len(residents)}")
    groups = dict(PriorityGroup.objects.values_list("code", "pk"))
    tags = [(p.id, groups[code]) for p in residents for code in sorted(p.codes) if code in groups]
    copy_rows(Resident.priority_groups.through, ("resident_id", "prioritygroup_id"), tags)
    ctx.log(f"  写入重点人群标签 {len(tags)}")


def _write_party(ctx, members, leads):
    copy_rows(
        PartyMember,
        ("id", "resident_id", "joined_on", "party_role", "is_probationary"),
        [(m.id, m.person.id, adapt(m.joined_on), m.role, m.probationary) for m in members],
    )
    copy_rows(LeadHousehold, ("id", "household_id", "party_member_id", "since_on"), leads)
    ctx.log(f"  写入党员 {len(members)}，党员中心户 {len(leads)}")


def _write_search_keys(ctx, homes):
    """The same keys `services.reindex_households` builds (both come from `search.keys_for`), written in bulk."""
    rows = []
    next_key = next_pk(SearchKey)
    for home in homes:
        keys = keys_for(
            room_code=room_code(home.building.number, home.unit, home.room),
            phone=home.phone,
            residents=[(p.id, p.name, p.phone) for p in home.residents],
        )
        ordered = sorted(keys, key=lambda pair: (pair[1], pair[0] or 0))
        rows += [(next_key + i, home.id, resident_id, key) for i, (resident_id, key) in enumerate(ordered)]
        next_key += len(keys)
    copy_rows(SearchKey, ("id", "household_id", "resident_id", "key"), rows)
    ctx.log(f"  写入检索键 {len(rows)}")
