"""Whether a user may change things: the write guard every app's views call before a service.

Reading is scoped by each app's `visible_to`/`access_*` pair; writing additionally needs the model permission
and a role that is not read-only (street leaders read everything and change nothing).
"""

from django.core.exceptions import PermissionDenied


def can_write(user, perm):
    """Whether the user may make this kind of change (`perm` is "app_label.codename")."""
    return user.is_authenticated and not user.is_read_only and user.has_perm(perm)


def require_write(user, perm):
    """Raise PermissionDenied (403) unless the user may make this kind of change."""
    if not can_write(user, perm):
        raise PermissionDenied
