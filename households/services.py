from django.db import transaction

from .models import Household, IdentityReveal, Resident, SearchKey
from .search import keys_for

REINDEX_BATCH = 2000


def reindex_households(household_ids):
    """Rebuild the search keys of these households (names, pinyin, phones, room code) in bulk."""
    household_ids = list(household_ids)
    for start in range(0, len(household_ids), REINDEX_BATCH):
        batch = household_ids[start : start + REINDEX_BATCH]
        households = Household.objects.filter(pk__in=batch).select_related("building")
        names, phones = {}, {}
        for household_id, name, phone in Resident.objects.filter(household_id__in=batch).values_list(
            "household_id", "name", "phone"
        ):
            names.setdefault(household_id, []).append(name)
            phones.setdefault(household_id, []).append(phone)
        rows = [
            SearchKey(household_id=h.pk, key=key)
            for h in households
            for key in keys_for(
                room_code=h.room_code,
                phones=[h.phone, *phones.get(h.pk, [])],
                names=names.get(h.pk, []),
            )
        ]
        with transaction.atomic():
            SearchKey.objects.filter(household_id__in=batch).delete()
            SearchKey.objects.bulk_create(rows, batch_size=5000)


def reveal_id_number(*, user, resident):
    """Return the resident's full identity-card number and record who saw it.

    Callers check `households.reveal_id_number` first; this only records.
    """
    IdentityReveal.objects.create(user=user, resident=resident)
    return resident.id_number


def record_id_reveals(*, user, resident_ids):
    """Record that `user` saw the full identity-card numbers of these residents (an export, for example)."""
    IdentityReveal.objects.bulk_create(
        [IdentityReveal(user=user, resident_id=pk) for pk in resident_ids], batch_size=2000
    )
