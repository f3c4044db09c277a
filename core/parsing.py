"""Reading values people (or their browsers) send: never trusted, never a 500."""

import uuid


def parse_uuid(raw):
    """The UUID in `raw` (a form's token or batch key), or None when it is missing or not a UUID."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


BIGINT_MAX = 2**63 - 1


def parse_id(raw):
    """The row id in `raw` (`?household=12`), or None unless it is ASCII digits within a database id's range.

    `str.isdigit()` is no test: it passes "²" and "٣", which `int()` refuses or reads.
    """
    text = str(raw if raw is not None else "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= BIGINT_MAX else None
