"""What a user is shown of a resident's or household's phone and identity-card number: the one rule.

Phones are shown in full to users with `households.view_full_phone` (grid workers, cadres, admins), otherwise
as 138****5678. Identity-card numbers are shown masked (370811********123X) on every page; the full number only
where the showing is recorded (`services.reveal_id_number`: the reveal button, the admin's resident page, an
export) and only to users with `households.reveal_id_number`. Templates use the `pii` filters (`phone_for`,
`id_number_for`), exports and the admin these functions.
"""

from .idcard import mask_id_number, mask_phone

PHONE_PERMISSION = "households.view_full_phone"
ID_NUMBER_PERMISSION = "households.reveal_id_number"


def may_see_phone(user):
    return user is not None and user.has_perm(PHONE_PERMISSION)


def may_reveal_id_number(user):
    return user is not None and user.has_perm(ID_NUMBER_PERMISSION)


def phone_for(user, phone):
    """The phone in full for a user who may see it, otherwise masked."""
    return phone if may_see_phone(user) else mask_phone(phone)


def id_number_for(user, id_number, *, recorded=False):
    """The identity number masked, or in full when the caller records the reveal and the user may see it."""
    if recorded and may_reveal_id_number(user):
        return id_number or ""
    return mask_id_number(id_number)
