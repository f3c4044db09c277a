"""Bulk reading and writing for jobs and loaders whose cost must grow with the work, not the table.

`keyset_chunks` pages a queryset by primary key; `insert_rows` is a multi-row INSERT with an ON CONFLICT
clause, in plain SQL understood by PostgreSQL and SQLite alike, because for 100,000 rows building model
instances for `bulk_create` costs more than the database work itself.
"""

import datetime

from django.db import connection

INSERT_BATCH = 1000


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
