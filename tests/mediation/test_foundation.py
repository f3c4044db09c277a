"""The dispute's number, flow and confidentiality rules at the model and service level."""

import datetime

import pytest
from django.utils import timezone

from mediation.models import Dispute, DisputeEvent, InvalidDisputeMove, add_months


def test_a_dispute_is_numbered_per_committee_and_year(new_dispute):
    year = timezone.localdate().year
    assert new_dispute.number == f"和调〔{year}〕第001号"
    assert new_dispute.state == Dispute.State.REGISTERED
    assert list(DisputeEvent.objects.values_list("to_state", flat=True)) == ["registered"]


def test_accepting_sets_a_one_month_deadline(dispute):
    assert dispute.deadline == add_months(dispute.accepted_on, 1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 1, 31), datetime.date(2026, 2, 28)),
        (datetime.date(2026, 12, 15), datetime.date(2027, 1, 15)),
        (datetime.date(2028, 1, 30), datetime.date(2028, 2, 29)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day, expected):
    assert add_months(day, 1) == expected


def test_an_illegal_move_is_refused(new_dispute, cadre):
    with pytest.raises(InvalidDisputeMove, match="不能从“登记”转到“调解成功”"):
        new_dispute.advance(Dispute.State.SUCCEEDED, by=cadre)


def test_content_is_visible_to_assigned_mediators_and_managers_only(
    dispute, mediator, other_mediator, cadre, leader, grid_worker, other_community_cadre
):
    readers = {
        user.username
        for user in (mediator, other_mediator, cadre, leader, grid_worker, other_community_cadre)
        if Dispute.objects.visible_to(user).filter(pk=dispute.pk).exists()
    }
    assert readers == {"mediator", "cadre"}
    counters = {
        user.username
        for user in (mediator, other_mediator, cadre, leader, grid_worker, other_community_cadre)
        if Dispute.objects.counted_for(user).filter(pk=dispute.pk).exists()
    }
    assert counters == {"mediator", "mediator2", "cadre", "leader", "grid01"}
