"""Deploy checks of the identity-number key (see `ID_NUMBER_KEY` in settings and households/encryption.py)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def id_number_key_is_set(app_configs, **kwargs):
    """Production should have its own key: one derived from SECRET_KEY is lost when the secret key changes."""
    if not settings.ID_NUMBER_KEY_DERIVED:
        return []
    return [
        checks.Warning(
            "ID_NUMBER_KEY is not set: identity numbers are encrypted under a key derived from SECRET_KEY.",
            hint="Set ID_NUMBER_KEY (Fernet.generate_key(), see deploy/.env.example) before residents are entered, "
            "and back it up apart from the database.",
            id="households.W001",
        )
    ]
