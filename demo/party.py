"""The party in the demo households: members, lead households (党员中心户) and the households they link,
building party-group leaders and grid branch committees.

Works on the planned `demo.families.Home`/`Person` objects before anything is written, allocating ids from
the current maximum, so links between rows need no second pass.
"""

import datetime
from collections import defaultdict

from core.bulk import next_pk
from grids.models import Building
from households.models import LeadHousehold, PartyMember, Resident

from .families import REFERENCE_DATE, age_on

PARTY_SHARE = 0.06
LEADS_MISSING_IN_BUILDING = 0.05  # buildings whose lead households are not yet designated
LINK_MISSING = 0.12  # households a lead household has not yet taken on
BRANCH_COMMITTEE_SIZE = 3


class Member:
    """A party member to be written."""

    __slots__ = ("id", "joined_on", "person", "probationary", "role")


def seed_party(ctx, homes, residents):
    """~6% of the new adults join the party; party households become lead households, about one per ten
    households of a building; building party groups get a leader and each grid a branch committee.

    Returns the party members and the lead-household rows (id, household id, party member id, since);
    sets `lead_id` on the linked homes.
    """
    rng = ctx.rng("party")
    members = _members(rng, residents)
    party_of = {}  # household id → its party member, the head first
    for member in members:
        if member.person.household_id not in party_of or member.person.relation == Resident.Relation.HEAD:
            party_of[member.person.household_id] = member

    by_building = defaultdict(list)
    for home in homes:
        by_building[home.building].append(home)
    leads, members_by_grid, group_leaders = [], defaultdict(list), []
    next_lead = next_pk(LeadHousehold)
    for building, in_building in by_building.items():
        building_members = [party_of[home.id] for home in in_building if home.id in party_of]
        members_by_grid[building.grid_id] += building_members
        leads += _lead_households(rng, in_building, party_of, next_lead + len(leads))
        if _appoint_group_leader(building, building_members):
            group_leaders.append(building)
    Building.objects.bulk_update(group_leaders, ["party_group_leader"], batch_size=500)
    for grid_members in members_by_grid.values():
        _appoint_branch_committee(grid_members)

    linked = sum(home.lead_id is not None for home in homes)
    ctx.log(
        f"  党员 {len(members)}，党员中心户 {len(leads)}，联系户覆盖 {linked}/{len(homes)}"
        f"（{linked / len(homes):.0%}），楼宇党小组长 {len(group_leaders)}"
    )
    return members, leads


def _members(rng, residents):
    """PARTY_SHARE of the residents, drawn among adults with older people and men more likely, in id order."""

    def weight(person):
        age = age_on(person.birth_date, REFERENCE_DATE)
        return (1.0 if age < 35 else 1.5 if age < 60 else 2.5) * (1.6 if person.gender == "male" else 1.0)

    adults = [p for p in residents if age_on(p.birth_date, REFERENCE_DATE) >= 18]
    count = min(len(adults), round(len(residents) * PARTY_SHARE))
    chosen = sorted(adults, key=lambda p: rng.random() ** (1 / weight(p)), reverse=True)[:count]
    chosen.sort(key=lambda p: p.id)
    return [_member(rng, person, id) for id, person in enumerate(chosen, start=next_pk(PartyMember))]


def _member(rng, person, id):
    """A plain member who joined between 18 and 45 and at least a month before REFERENCE_DATE."""
    age = age_on(person.birth_date, REFERENCE_DATE)
    joined = person.birth_date + datetime.timedelta(days=rng.randint(18, max(18, min(age, 45))) * 365 + 30)
    joined = min(joined, REFERENCE_DATE - datetime.timedelta(days=rng.randint(30, 700)))
    member = Member()
    member.id, member.person, member.joined_on = id, person, joined
    member.role = PartyMember.PartyRole.MEMBER
    member.probationary = joined > REFERENCE_DATE - datetime.timedelta(days=365)
    return member


def _lead_households(rng, homes, party_of, next_lead):
    """The lead-household rows of one building's `homes` (ids from `next_lead`), linking the homes to them.

    Some buildings have none designated yet (LEADS_MISSING_IN_BUILDING).
    """
    party_homes = [i for i, home in enumerate(homes) if home.id in party_of]
    if not party_homes or rng.random() < LEADS_MISSING_IN_BUILDING:
        return []
    leads = []
    for position in _lead_positions(rng, homes, party_homes):
        lead_id, home = next_lead + len(leads), homes[position]
        member = party_of[home.id]
        member.role = PartyMember.PartyRole.LEAD_HOUSEHOLD
        since = (REFERENCE_DATE - datetime.timedelta(days=rng.randint(60, 2400))).isoformat()
        leads.append((lead_id, home.id, member.id, since))
        for linked in homes:
            if linked.lead_id == -position - 1:
                linked.lead_id = lead_id
    return leads


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


def _appoint_group_leader(building, building_members):
    """Name a leader for a building's party group that has none; True when one was named.

    A plain member is preferred (and becomes GROUP_LEADER); otherwise a lead household's member leads the
    group too, keeping that role.
    """
    if not (building.party_group_name and not building.party_group_leader and building_members):
        return False
    plain = [m for m in building_members if m.role == PartyMember.PartyRole.MEMBER]
    if plain:
        plain[-1].role = PartyMember.PartyRole.GROUP_LEADER
    building.party_group_leader = (plain or building_members)[-1].person.name
    return True


def _appoint_branch_committee(grid_members):
    for member in [m for m in grid_members if m.role == PartyMember.PartyRole.MEMBER][:BRANCH_COMMITTEE_SIZE]:
        member.role = PartyMember.PartyRole.BRANCH_COMMITTEE
