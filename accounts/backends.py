"""The portal's sign-in backend: Django's `ModelBackend`, with a user's permissions read in one query.

Every page asks for permissions — the menu shows 供暖 and 调解 only to those who may open them — so what
`ModelBackend` does once per request (two ORM queries: the user's own permissions, then their groups') was a
fixed cost of every page: about a fifth of the CPU time of the load benchmark's floor page (bench/load.py).
Here one SQL statement, built once from the models' tables, returns both sets. The result is the same set of
"app_label.codename" strings, cached on the user object for the request as Django does.
"""

from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection


@cache
def _permissions_sql():
    """SELECT app_label, codename of the permissions a user holds directly or through a group (one parameter
    per branch: the user's id twice)."""
    q = connection.ops.quote_name
    user_permissions = get_user_model()._meta.get_field("user_permissions")
    user_groups = get_user_model()._meta.get_field("groups")
    group_permissions = Group._meta.get_field("permissions")
    return (
        f"SELECT ct.{q('app_label')}, p.{q('codename')} "
        f"FROM {q(Permission._meta.db_table)} p "
        f"JOIN {q(ContentType._meta.db_table)} ct ON ct.{q('id')} = p.{q('content_type_id')} "
        f"WHERE p.{q('id')} IN ("
        f"SELECT {q(user_permissions.m2m_reverse_name())} FROM {q(user_permissions.m2m_db_table())} "
        f"WHERE {q(user_permissions.m2m_column_name())} = %s "
        f"UNION SELECT gp.{q(group_permissions.m2m_reverse_name())} FROM {q(group_permissions.m2m_db_table())} gp "
        f"JOIN {q(user_groups.m2m_db_table())} ug "
        f"ON ug.{q(user_groups.m2m_reverse_name())} = gp.{q(group_permissions.m2m_column_name())} "
        f"WHERE ug.{q(user_groups.m2m_column_name())} = %s)"
    )


class PortalBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj)  # every permission there is
            with connection.cursor() as cursor:
                cursor.execute(_permissions_sql(), [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}
        return user_obj._perm_cache
