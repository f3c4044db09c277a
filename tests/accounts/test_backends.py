"""The portal's sign-in backend reads a user's permissions in one query, the same set as Django's ModelBackend."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.backends import PortalBackend
from accounts.models import User


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader", "mediator"])
def test_permissions_are_the_same_as_django_reads_them(db, request, persona):
    user = request.getfixturevalue(persona)
    extra = Group.objects.create(name="额外分组")
    extra.permissions.add(Permission.objects.get(codename="view_grid"))
    user.groups.add(extra)
    user.user_permissions.add(Permission.objects.get(codename="change_building"))

    expected = ModelBackend().get_all_permissions(fresh(user))

    assert PortalBackend().get_all_permissions(fresh(user)) == expected
    assert {"grids.view_grid", "grids.change_building"} <= expected


def test_permissions_take_one_query_per_request(cadre):
    user = fresh(cadre)
    with CaptureQueriesContext(connection) as queries:
        user.has_perm("heating.view_heatingseason")
        user.has_perm("mediation.view_dispute")
        user.has_perms(["visits.view_visit", "households.view_household"])

    assert len(queries) == 1


def test_inactive_users_have_no_permissions(cadre):
    cadre.is_active = False
    cadre.save()

    assert PortalBackend().get_all_permissions(fresh(cadre)) == set()
    assert not fresh(cadre).has_perm("visits.view_visit")


def test_superusers_have_every_permission(admin_user):
    assert PortalBackend().get_all_permissions(fresh(admin_user)) == ModelBackend().get_all_permissions(
        fresh(admin_user)
    )
    assert len(PortalBackend().get_all_permissions(fresh(admin_user))) == Permission.objects.count()
