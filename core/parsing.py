"""Reading values people (or their browsers) send: never trusted, never a 500."""

import uuid


def parse_uuid(raw):
    """The UUID in `raw` (a form's token or batch key), or None when it is missing or not a UUID."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None
