"""Identity numbers at rest: encrypted, with a keyed hash for lookups and uniqueness.

`Resident.id_number` is an `EncryptedIdNumberField`: Python code reads and writes the plain number, the column
holds a Fernet token (AES-128-CBC and HMAC-SHA256 with a fresh IV each time, so one number never gives the same
token twice). `Resident.id_number_hash` is an `IdNumberHashField`: HMAC-SHA256 of the number under a key derived
from the same `ID_NUMBER_KEY`, filled in whenever a resident is saved or bulk-created. Its unique index keeps one
resident per number and every lookup by number goes through it (`Resident.objects.with_id_number`), since
tokens cannot be compared; the encrypted field refuses any other lookup than "is (not) empty" rather than
silently matching nothing. Loaders that write rows without the ORM (the demo seed through `core.bulk`) store
`encrypt_id_number(n)` and `id_number_hash(n)` themselves.

The key (`settings.ID_NUMBER_KEY`, 32 bytes in URL-safe base64) is part of the backup: a database restored
without it has numbers nobody can read.
"""

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact

from .idcard import normalize_id_number

# A token of an 18-character number is 120 characters; room for a longer key scheme later.
TOKEN_MAX_LENGTH = 255
TOKEN_PREFIX = "gAAAAA"  # every Fernet token starts so (version byte 0x80 and a timestamp)
_HASH_CONTEXT = b"households.resident.id_number_hash"


@functools.cache
def _keys(key):
    return Fernet(key), hmac.new(base64.urlsafe_b64decode(key), _HASH_CONTEXT, hashlib.sha256).digest()


def encrypt_id_number(number):
    return _keys(settings.ID_NUMBER_KEY)[0].encrypt(number.encode()).decode()


def decrypt_id_number(token):
    try:
        return _keys(settings.ID_NUMBER_KEY)[0].decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "An identity number cannot be decrypted: ID_NUMBER_KEY is not the key it was stored with."
        ) from None


def id_number_hash(number):
    """The keyed hash of a (normalised) identity number, or None for no number."""
    number = normalize_id_number(number)
    if not number:
        return None
    return hmac.new(_keys(settings.ID_NUMBER_KEY)[1], number.encode(), hashlib.sha256).hexdigest()


class _EqualityRefused(Exact):
    """`id_number=None` still means "no number"; any other value must be looked up by its hash."""

    def __init__(self, lhs, rhs):
        if rhs is not None:
            raise FieldError(
                "Identity numbers are stored encrypted: look one up with Resident.objects.with_id_number()."
            )
        super().__init__(lhs, rhs)


class EncryptedIdNumberField(models.CharField):
    """The plain number in Python, a Fernet token in the column; only `isnull` (and `=None`) as lookups."""

    def db_type(self, connection):
        return models.CharField(max_length=TOKEN_MAX_LENGTH).db_type(connection)

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def from_db_value(self, value, expression, connection):
        return decrypt_id_number(value) if value else None

    def get_db_prep_value(self, value, connection, prepared=False):
        value = self.get_prep_value(value) if not prepared else value
        return encrypt_id_number(value) if value else None

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _EqualityRefused
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None


class IdNumberHashField(models.CharField):
    """HMAC-SHA256 of the row's `id_number`, set on every save and bulk insert."""

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 64
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = id_number_hash(model_instance.id_number)
        setattr(model_instance, self.attname, value)
        return value
