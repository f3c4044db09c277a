"""Rules about users: who supervises others' work, who may write."""

import pytest
from django.core.exceptions import PermissionDenied

from accounts.access import can_write, require_write

pytestmark = pytest.mark.django_db


def test_supervises(grid_worker, cadre, leader, mediator, admin_user):
    assert [u.supervises for u in (grid_worker, cadre, leader, mediator, admin_user)] == [
        False,
        True,
        True,
        False,
        True,
    ]


def test_leader_may_not_write(leader, grid_worker):
    assert not can_write(leader, "visits.add_visit")
    assert can_write(grid_worker, "visits.add_visit")


def test_require_write_refuses_the_read_only_leader(leader):
    with pytest.raises(PermissionDenied):
        require_write(leader, "visits.add_visit")
