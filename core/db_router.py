"""Read-only queries on the PostgreSQL streaming replica, when one is configured (DATABASE_REPLICA_URL).

Reports read a month of rows without writing, so they can run on the replica and leave the primary to the pages
people are typing into. Code opts in per block, never per model: the same household table is read for a report
and for the page a grid worker just saved, and that page must see its own write.

    with replica_reads():
        figures = build_month(...)  # every read in here goes to the replica

Writes inside the block still go to the primary, and so does any read made inside a transaction on the primary
(it must see the transaction's own rows). Without a replica the block changes nothing. A replica lags its
primary by a moment, so use it only where a figure a second old is as good as a fresh one.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_reading_replica = ContextVar("reading_replica", default=False)


def replica_configured():
    return REPLICA in connections.settings


def read_alias():
    """The alias that reads go to right now: the replica inside `replica_reads()`, when it can serve them."""
    if not _reading_replica.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


@contextmanager
def replica_reads():
    """Send the reads made inside the block to the replica (see the module docstring)."""
    token = _reading_replica.set(True)
    try:
        yield
    finally:
        _reading_replica.reset(token)


class ReplicaRouter:
    """Reads to `read_alias()`, every write and migration to the primary; both aliases hold the same rows."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
