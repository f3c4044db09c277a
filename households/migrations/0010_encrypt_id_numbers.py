"""Identity numbers encrypted at rest, step 2 of 3: every stored number (residents and their history) becomes a
Fernet token under ID_NUMBER_KEY, and each resident gets the keyed hash of its number. Backwards: plain again."""

from django.db import migrations

from households.encryption import TOKEN_PREFIX, decrypt_id_number, encrypt_id_number, id_number_hash

BATCH = 2000


def _rows(model):
    """(pk, id_number) of every row with a number, in pk order, a batch at a time."""
    last = 0
    while True:
        batch = list(
            model.objects.filter(pk__gt=last, id_number__isnull=False)
            .order_by("pk")
            .values_list("pk", "id_number")[:BATCH]
        )
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _convert(model, change, fields):
    for batch in _rows(model):
        rows = []
        for pk, value in batch:
            row = change(model(pk=pk), value)
            if row is not None:
                rows.append(row)
        model.objects.bulk_update(rows, fields, batch_size=500)


def encrypt(apps, schema_editor):
    def resident(row, value):
        if value.startswith(TOKEN_PREFIX):
            return None
        row.id_number, row.id_number_hash = encrypt_id_number(value), id_number_hash(value)
        return row

    def historical(row, value):
        if value.startswith(TOKEN_PREFIX):
            return None
        row.id_number = encrypt_id_number(value)
        return row

    _convert(apps.get_model("households", "Resident"), resident, ["id_number", "id_number_hash"])
    _convert(apps.get_model("households", "HistoricalResident"), historical, ["id_number"])


def decrypt(apps, schema_editor):
    def plain(row, value):
        if not value.startswith(TOKEN_PREFIX):
            return None
        row.id_number = decrypt_id_number(value)
        return row

    _convert(apps.get_model("households", "Resident"), plain, ["id_number"])
    _convert(apps.get_model("households", "HistoricalResident"), plain, ["id_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0009_resident_id_number_hash"),
    ]

    operations = [migrations.RunPython(encrypt, decrypt)]
