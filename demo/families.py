"""Who lives in a demo dwelling: the family's village, make-up, names, identity numbers, phones and priority groups.

Pure drawing from a random stream, no database: `demo.households` gives each dwelling its own stream, so a
family does not change when other dwellings are added. Ages are drawn relative to REFERENCE_DATE, so a seed
makes the same people whatever day it runs.
"""

import datetime
import itertools

from households.idcard import check_digit
from households.models import Household

from .names import person_name, surname
from .street import SECOND_COMMUNITY

REFERENCE_DATE = datetime.date(2026, 1, 1)

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
ANCHOR_VILLAGE, ANCHOR_FAMILY_NAME, ANCHOR_NAME, ANCHOR_AGE = "前屯村", "魏", "魏永凯", 64

# Jining's districts: 任城区, 兖州区, 邹城市, 曲阜市.
REGION_CODES = ("370811", "370812", "370883", "370881")
REGION_WEIGHTS = (70, 15, 10, 5)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "156", "157", "158", "159", "177", "182", "183", "185", "186", "187", "188", "189", "199",
)  # fmt: skip

KINDS = {
    "elder_single": 9,
    "elder_couple": 14,
    "middle_couple": 8,
    "nuclear": 30,
    "three_generations": 28,
    "left_behind": 4,
    "single_adult": 7,
}
# Age range of the head of a family of two or more generations.
HEAD_AGES = {
    "elder_couple": (60, 90),
    "middle_couple": (45, 64),
    "nuclear": (28, 50),
    "three_generations": (50, 70),
    "left_behind": (55, 75),
}
STATUSES = {
    Household.Status.RESIDENT: 86,
    Household.Status.AWAY: 6,
    Household.Status.RENTED: 5,
    Household.Status.VACANT: 3,
}
DIBAO_SHARE = {"elder_single": 0.08, "left_behind": 0.05}
_KIND_CUM_WEIGHTS = tuple(itertools.accumulate(KINDS.values()))
_STATUS_CUM_WEIGHTS = tuple(itertools.accumulate(STATUSES.values()))
_REGION_CUM_WEIGHTS = tuple(itertools.accumulate(REGION_WEIGHTS))


class Home:
    """A household to be written, its id allocated up front so residents and lead households can point at it."""

    __slots__ = ("building", "floor", "id", "lead_id", "phone", "residents", "room", "status", "unit", "village_id")

    def __init__(self, id, building, unit, floor, room, village, status):
        self.id, self.building, self.unit, self.floor, self.room = id, building, unit, floor, room
        self.village_id, self.status = village.pk, status
        self.phone, self.lead_id, self.residents = "", None, []


class Person:
    """A resident to be written."""

    __slots__ = ("birth_date", "codes", "gender", "household_id", "id", "id_number", "name", "phone", "relation")


def draw_family(rng, community, *, anchor=False):
    """(origin village, residence status, members) where a member is (relation, gender, birth date, name,
    priority-group codes). The anchor family is 魏永凯's three generations from 前屯村."""
    names = SECOND_COMMUNITY_VILLAGES if community == SECOND_COMMUNITY else tuple(VILLAGES)[:10]
    village = ANCHOR_VILLAGE if anchor else rng.choice(names)
    kind = "three_generations" if anchor else rng.choices(tuple(KINDS), cum_weights=_KIND_CUM_WEIGHTS)[0]
    status = rng.choices(tuple(STATUSES), cum_weights=_STATUS_CUM_WEIGHTS)[0]
    if anchor:
        family_name = ANCHOR_FAMILY_NAME
    else:
        family_name = rng.choice(VILLAGES[village]) if rng.random() < 0.6 else surname(rng)
    members = [
        _member(rng, kind, relation, gender, age, family_name, named=ANCHOR_NAME if anchor and index == 0 else None)
        for index, (relation, gender, age) in enumerate(_make_up(rng, kind, anchor=anchor))
    ]
    return village, status, members


def _make_up(rng, kind, *, anchor):
    """The family's (relation, gender, age) triples, the head first."""
    if kind == "elder_single":
        return [("head", "female" if rng.random() < 0.65 else "male", rng.randint(65, 93))]
    if kind == "single_adult":
        return [("head", rng.choice(("male", "female")), rng.randint(22, 59))]
    age = ANCHOR_AGE if anchor else rng.randint(*HEAD_AGES[kind])
    members = [("head", "male", age), ("spouse", "female", max(20, age - rng.randint(-2, 5)))]
    members += _younger_generations(rng, kind, age)
    if rng.random() < 0.12 and not anchor:
        members[0], members[1] = ("head", "female", members[1][2]), ("spouse", "male", members[0][2])
    return members


def _younger_generations(rng, kind, head_age):
    """Children, their spouses, grandchildren (and now and then a great-grandparent) of a couple's family."""
    members = []
    if kind == "nuclear":
        for _ in range(1 + (rng.random() < 0.45)):
            members.append(("child", rng.choice(("male", "female")), rng.randint(0, max(0, head_age - 23))))
    elif kind == "three_generations":
        son_age = rng.randint(24, max(24, head_age - 22))
        members += [("child", "male", son_age), ("other", "female", max(22, son_age - rng.randint(-1, 4)))]
        for _ in range(1 + (rng.random() < 0.4)):
            members.append(("grandchild", rng.choice(("male", "female")), rng.randint(0, min(15, son_age - 20))))
        if rng.random() < 0.12 and head_age < 72:
            members.append(("parent", "female" if rng.random() < 0.7 else "male", head_age + rng.randint(22, 28)))
    elif kind == "left_behind":
        for _ in range(1 + (rng.random() < 0.35)):
            members.append(("grandchild", rng.choice(("male", "female")), rng.randint(3, 15)))
    return members


def _member(rng, kind, relation, gender, age, family_name, *, named=None):
    """(relation, gender, birth date, name, codes): children and the men of the family carry its name."""
    born = REFERENCE_DATE - datetime.timedelta(days=age * 365 + age // 4 + rng.randrange(1, 365))
    of_family = relation in ("child", "grandchild") or (gender == "male" and relation in ("head", "spouse", "parent"))
    name = named or person_name(rng, gender, born.year, family_name if of_family else None)
    return relation, gender, born, name, _priority_codes(rng, kind, relation, gender, age)


def _priority_codes(rng, kind, relation, gender, age):
    """The priority groups (by code) someone of this family kind, relation, gender and age belongs to."""
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
    return codes


def draw_resident(rng, member, id, household_id, used_ids, today):
    """A Person for a member of `draw_family`, with an identity number not in `used_ids` (which it extends)."""
    relation, gender, born, name, codes = member
    age = age_on(born, today)
    person = Person()
    person.id, person.household_id, person.relation = id, household_id, relation
    person.name, person.gender, person.birth_date = name, gender, born
    person.codes = codes | {"aged_80"} if age >= 80 else codes
    person.id_number = _id_number(rng, born, gender, used_ids)
    person.phone = draw_mobile(rng) if age >= 16 and (age < 75 or rng.random() < 0.5) else ""
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


def draw_mobile(rng):
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def age_on(born, on):
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
