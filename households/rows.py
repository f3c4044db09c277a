"""What one household row of a list shows — the browse pages and the search results alike.

`with_people(households, words=...)` takes a page of households from `Household.objects...listing()` (a list,
already cut to the page) and attaches, in a fixed number of queries whatever the page size:

- `members`: its residents, head first, then by relation (the `Resident` ordering); `member_count`; `head`;
- `tags`: the priority groups of any of its residents, in the groups' order;
- `matched`: for a search, the residents whose own keys (name, pinyin, phone) a word of the query matched —
  empty when only the household's keys matched (room code, household phone);
- `contact`: the resident shown first (the first matched, else the head), `phone`: theirs, else the household's;
- `figures`: the figures later apps register in `households.listing` (the last visit).
"""

from django.db.models import Prefetch, Q

from .listing import figures_for
from .models import PriorityGroup, Resident, SearchKey


def with_people(households, *, words=()):
    households = list(households)
    ids = [household.pk for household in households]
    residents = {}
    if ids:
        people = Resident.objects.filter(household_id__in=ids).prefetch_related(
            Prefetch("priority_groups", queryset=PriorityGroup.objects.order_by("order", "name"))
        )
        for resident in people:
            residents.setdefault(resident.household_id, []).append(resident)
    matched = matched_residents(ids, words)
    for household in households:
        members = residents.get(household.pk, [])
        household.members = members
        household.member_count = len(members)
        household.head = next((r for r in members if r.relation == Resident.Relation.HEAD), None)
        household.matched = [r for r in members if r.pk in matched.get(household.pk, ())]
        household.contact = (household.matched or [household.head or (members[0] if members else None)])[0]
        household.phone_shown = next(
            (r.phone for r in [*household.matched, household.contact] if r is not None and r.phone), household.phone
        )
        groups = {group.pk: group for r in members for group in r.priority_groups.all()}
        household.tags = sorted(groups.values(), key=lambda g: (g.order, g.name))
        household.figures = figures_for(household)
    return households


def matched_residents(household_ids, words):
    """{household id: ids of the residents one of whose keys starts with one of `words`}, for these households.

    Read through the household's keys (its foreign-key index), so the cost follows the page, not the table.
    """
    if not household_ids or not words:
        return {}
    any_word = Q()
    for word in words:
        any_word |= Q(key__startswith=word)
    pairs = (
        SearchKey.objects.filter(any_word, household_id__in=household_ids, resident_id__isnull=False)
        .values_list("household_id", "resident_id")
        .distinct()
    )
    matched = {}
    for household_id, resident_id in pairs:
        matched.setdefault(household_id, set()).add(resident_id)
    return matched
