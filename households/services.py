"""Every write to households and residents, each in one transaction with the search keys it changes rebuilt.

The admin (household page with its residents inline, resident page, deletes) calls these; the spreadsheet import
writes its rows inside its own transaction and ends it with `import_finished`. `reindex_households` is the bulk
rebuild they share (the demo seed writes the same keys in bulk itself).
"""

from django.db import transaction

from core.audit import audit

from .models import Household, IdentityReveal, Resident, SearchKey
from .search import keys_for

REINDEX_BATCH = 2000


def reindex_households(household_ids):
    """Rebuild the search keys of these households (names, pinyin, phones, room code) in bulk, each resident's
    keys naming the resident."""
    household_ids = list(household_ids)
    for start in range(0, len(household_ids), REINDEX_BATCH):
        batch = household_ids[start : start + REINDEX_BATCH]
        households = Household.objects.filter(pk__in=batch).select_related("building")
        residents = {}
        for household_id, *resident in Resident.objects.filter(household_id__in=batch).values_list(
            "household_id", "pk", "name", "phone"
        ):
            residents.setdefault(household_id, []).append(resident)
        rows = [
            SearchKey(household_id=h.pk, resident_id=resident_id, key=key)
            for h in households
            for resident_id, key in keys_for(room_code=h.room_code, phone=h.phone, residents=residents.get(h.pk, []))
        ]
        with transaction.atomic():
            SearchKey.objects.filter(household_id__in=batch).delete()
            SearchKey.objects.bulk_create(rows, batch_size=5000)


def reveal_id_number(*, user, resident, request=None):
    """Return the resident's full identity-card number and record who saw it (a row and an audit line).

    Callers check `households.reveal_id_number` first; this only records.
    """
    IdentityReveal.objects.create(user=user, resident=resident)
    audit("reveal", user=user, request=request, resident=resident.pk)
    return resident.id_number


def record_id_reveals(*, user, resident_ids, request=None):
    """Record that `user` saw the full identity-card numbers of these residents (an export, for example)."""
    resident_ids = list(resident_ids)
    IdentityReveal.objects.bulk_create(
        [IdentityReveal(user=user, resident_id=pk) for pk in resident_ids], batch_size=2000
    )
    audit("reveal", user=user, request=request, residents=len(resident_ids), via="export")


def save_household(*, household, save_residents=None):
    """Save `household`, then its residents (`save_residents`: the admin's inline formsets), and rebuild its
    search keys."""
    with transaction.atomic():
        household.save()
        if save_residents is not None:
            save_residents()
        reindex_households([household.pk])
    return household


def save_resident(*, resident, previous_household_id=None, save_related=None):
    """Save `resident`, then what goes with it (`save_related`: the admin's priority groups), and rebuild the
    search keys of its household and of the one it moved out of."""
    with transaction.atomic():
        resident.save()
        if save_related is not None:
            save_related()
        reindex_households(sorted({resident.household_id, previous_household_id} - {None}))
    return resident


def delete_residents(*, residents):
    """Delete these residents (a queryset or a list) and rebuild the search keys of their households."""
    with transaction.atomic():
        if isinstance(residents, list):
            household_ids = {resident.household_id for resident in residents}
            for resident in residents:
                resident.delete()
        else:
            household_ids = set(residents.values_list("household_id", flat=True).distinct())
            residents.delete()
        reindex_households(sorted(household_ids))


def import_finished(*, household_ids):
    """Rebuild the search keys of the households an import wrote (it calls this inside its own transaction,
    so the rows and their keys are committed together, or neither)."""
    reindex_households(sorted(pk for pk in set(household_ids) if pk))
