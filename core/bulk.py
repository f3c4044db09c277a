"""Bulk reading and writing for jobs and loaders whose cost must grow with the work, not the table.

`keyset_chunks` pages a queryset by primary key; `insert_rows` is a multi-row INSERT with an ON CONFLICT
clause, in plain SQL understood by PostgreSQL and SQLite alike, because for 100,000 rows building model
instances for `bulk_create` costs more than the database work itself. `copy_rows` loads a whole table's worth
of new rows (COPY on PostgreSQL, `insert_rows` elsewhere); a loader that writes its own ids takes them from
`next_pk` and calls `reset_sequences` afterwards.
"""

import datetime
import io

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Max

INSERT_BATCH = 1000
COPY_BATCH = 200_000


def keyset_chunks(queryset, chunk_size):
    """Yield lists of `values_list` rows of `queryset` (which must start with the pk) in pk order, chunk by chunk.

    Keyset pagination keeps each query's cost proportional to the chunk, whatever the table size.
    """
    last_pk = 0
    while True:
        rows = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
        if not rows:
            return
        yield rows
        last_pk = rows[-1][0]


def insert_rows(model, columns, rows, *, on_conflict="", batch_size=INSERT_BATCH):
    """Multi-row INSERT of already adapted `rows` (tuples in `columns` order) into `model`'s table.

    `on_conflict` is appended to each statement (e.g. "ON CONFLICT DO NOTHING"). Values must already be adapted
    for the database (`connection.ops.adapt_datetimefield_value` and friends). Returns how many rows were sent.
    """
    if not rows:
        return 0
    ops = connection.ops
    head = f"INSERT INTO {ops.quote_name(model._meta.db_table)} ({', '.join(map(ops.quote_name, columns))}) VALUES "
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params = [value for row in batch for value in row]
            cursor.execute(
                head + ", ".join([row_sql] * len(batch)) + (f" {on_conflict}" if on_conflict else ""), params
            )
    return len(rows)


def adapt(value):
    """A Python date, datetime or plain value adapted for a raw INSERT on the current database."""
    ops = connection.ops
    if isinstance(value, datetime.datetime):
        return ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return ops.adapt_datefield_value(value)
    return value


def copy_rows(model, columns, rows):
    """Load already adapted `rows` (tuples in `columns` order) into `model`'s table as fast as the database allows.

    COPY on PostgreSQL, `insert_rows` elsewhere. Every other concrete column but an automatic primary key gets
    its field's default, so a field added later with a default does not break the loader. Returns how many
    rows were sent.
    """
    if not rows:
        return 0
    columns, defaults = _with_defaults(model, columns)
    if connection.vendor != "postgresql":
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # A larger page cache keeps index maintenance of the big tables in memory (default: 2 MB).
                cursor.execute("PRAGMA cache_size = -262144")
        return insert_rows(model, columns, [row + defaults for row in rows])
    ops = connection.ops
    statement = f"COPY {ops.quote_name(model._meta.db_table)} ({', '.join(map(ops.quote_name, columns))}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_BATCH):
            text = "".join(
                "\t".join(map(_copy_text, row + defaults)) + "\n" for row in rows[start : start + COPY_BATCH]
            )
            cursor.cursor.copy_expert(statement, io.StringIO(text))
    return len(rows)


def next_pk(model):
    """The first id after the highest one in `model`'s table, for a loader that allocates its own ids."""
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


def reset_sequences(models):
    """Move PostgreSQL's id sequences past rows written with explicit ids (nothing to do on SQLite)."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _with_defaults(model, columns):
    """`columns` followed by the model's other concrete columns, and the database values of their defaults."""
    others = [
        field
        for field in model._meta.concrete_fields
        if field.column not in columns and not (field.primary_key and field.auto_created)
    ]
    defaults = tuple(field.get_db_prep_save(field.get_default(), connection) for field in others)
    return [*columns, *(field.column for field in others)], defaults


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """One value in COPY's text format."""
    if type(value) is str:
        return value.translate(_COPY_ESCAPES)
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)
