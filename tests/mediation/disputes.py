"""Disputes made directly with the dates and outcome a statistics test needs (no flow, no services)."""

import datetime
import itertools

from mediation.models import Dispute, add_months

State = Dispute.State
_sequence = itertools.count(1)


def make_dispute(
    community,
    by,
    *,
    grid=None,
    dispute_type="neighbour",
    state=State.REGISTERED,
    accepted=None,
    concluded=None,
    kind="",
    escalated_to="",
):
    """A dispute of `community` accepted on `accepted` (a date) and, when `concluded`, ended then with an
    agreement of `kind` (written / oral) or, without one, gone to `escalated_to`."""
    sequence = next(_sequence)
    deadline = add_months(accepted, 1) if accepted else None
    return Dispute.objects.create(
        community=community,
        grid=grid,
        year=2026,
        sequence=sequence,
        number=f"测试〔{community.pk}〕第{sequence}号",
        dispute_type=dispute_type,
        title="纠纷",
        facts="事实",
        state=state,
        registered_by=by,
        accepted_on=accepted,
        deadline=deadline,
        concluded_on=concluded,
        agreement_kind=kind,
        escalated_to=escalated_to,
    )


def day(month, number, year=2026):
    return datetime.date(year, month, number)


def build_march(*, community, grid, other_grid, other_community, by):
    """March 2026, hand-built; figures counted by hand in the tests that use it.

    Ours (the personas' community), with days to close:
      1 邻里   grid        accepted 3-02, ended 3-12 written            (10 days)  closed
      2 邻里   grid        accepted 3-05, ended 3-25 oral               (20 days)  follow-up
      3 邻里   other grid  accepted 3-10, ended 3-20 failed → court     (10 days)
      4 婚姻   grid        accepted 2-20, ended 3-03 written            (11 days)  closed
      5 婚姻   other grid  accepted 3-15, ended 3-30 failed → nowhere   (15 days)  closed
      6 物业   no grid     accepted 3-20, mediating (deadline 4-20)
      7 合同   grid        accepted 3-28, ended 4-02 written (April)
      8 损害   grid        accepted 2-01, ended 2-15 oral (February only)
      9 邻里   grid        refused (不予受理): never accepted
     10 邻里   grid        accepted 3-01, agreed then reopened: mediating (deadline 4-01)
     12 邻里   grid        accepted 4-03 (April)
     13 邻里   grid        accepted 2025-03-05, ended 2025-03-20 written (March last year)
    Another community's:
     11 邻里               accepted 3-03, ended 3-10 written             (7 days)
    """
    make = make_dispute
    return {
        1: make(community, by, grid=grid, state=State.CLOSED, accepted=day(3, 2), concluded=day(3, 12), kind="written"),
        2: make(community, by, grid=grid, state=State.FOLLOW_UP, accepted=day(3, 5), concluded=day(3, 25), kind="oral"),
        3: make(
            community,
            by,
            grid=other_grid,
            state=State.FAILED,
            accepted=day(3, 10),
            concluded=day(3, 20),
            escalated_to="court",
        ),
        4: make(
            community,
            by,
            grid=grid,
            dispute_type="family",
            state=State.CLOSED,
            accepted=day(2, 20),
            concluded=day(3, 3),
            kind="written",
        ),
        5: make(
            community,
            by,
            grid=other_grid,
            dispute_type="family",
            state=State.CLOSED,
            accepted=day(3, 15),
            concluded=day(3, 30),
            escalated_to="none",
        ),
        6: make(community, by, dispute_type="property", state=State.MEDIATING, accepted=day(3, 20)),
        7: make(
            community,
            by,
            grid=grid,
            dispute_type="contract",
            state=State.SUCCEEDED,
            accepted=day(3, 28),
            concluded=day(4, 2),
            kind="written",
        ),
        8: make(
            community,
            by,
            grid=grid,
            dispute_type="damages",
            state=State.CLOSED,
            accepted=day(2, 1),
            concluded=day(2, 15),
            kind="oral",
        ),
        9: make(community, by, grid=grid, state=State.REJECTED),
        10: make(community, by, grid=grid, state=State.MEDIATING, accepted=day(3, 1)),
        11: make(other_community, by, state=State.CLOSED, accepted=day(3, 3), concluded=day(3, 10), kind="written"),
        12: make(community, by, grid=grid, state=State.ACCEPTED, accepted=day(4, 3)),
        13: make(
            community,
            by,
            grid=grid,
            state=State.CLOSED,
            accepted=day(3, 5, 2025),
            concluded=day(3, 20, 2025),
            kind="written",
        ),
    }
