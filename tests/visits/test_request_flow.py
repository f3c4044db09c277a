import pytest

from tests.visits.factories import ResidentRequestFactory
from visits.models import InvalidTransition, RequestEvent, ResidentRequest

pytestmark = pytest.mark.django_db
State = ResidentRequest.State


def walk_to_verifying(request, by, assignee):
    request.advance(State.ACCEPTED, by=by, note="已受理")
    request.advance(State.DISPATCHED, by=by, assignee=assignee)
    request.advance(State.HANDLING, by=assignee)
    request.advance(State.VERIFYING, by=assignee, note="已更换灯泡")


def test_request_walks_the_whole_flow_and_records_every_move(household, cadre, grid_worker):
    request = ResidentRequestFactory(household=household, created_by=grid_worker)
    walk_to_verifying(request, cadre, grid_worker)
    request.advance(State.CLOSED, by=grid_worker, satisfaction="satisfied", note="居民满意")
    request.refresh_from_db()
    assert request.state == State.CLOSED
    assert request.closed_at is not None
    assert request.satisfaction == "satisfied"
    assert request.assignee == grid_worker
    moves = list(RequestEvent.objects.filter(request=request).values_list("from_state", "to_state", "by"))
    assert moves == [
        (State.REGISTERED, State.ACCEPTED, cadre.pk),
        (State.ACCEPTED, State.DISPATCHED, cadre.pk),
        (State.DISPATCHED, State.HANDLING, grid_worker.pk),
        (State.HANDLING, State.VERIFYING, grid_worker.pk),
        (State.VERIFYING, State.CLOSED, grid_worker.pk),
    ]
    assert request.events.first().note == "已受理"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (State.REGISTERED, State.DISPATCHED),
        (State.REGISTERED, State.CLOSED),
        (State.ACCEPTED, State.HANDLING),
        (State.HANDLING, State.CLOSED),
        (State.CLOSED, State.HANDLING),
        (State.ACCEPTED, State.REGISTERED),
        (State.REGISTERED, "nonsense"),
    ],
)
def test_illegal_moves_are_refused_and_record_nothing(household, cadre, start, target):
    request = ResidentRequestFactory(household=household, state=start)
    with pytest.raises(InvalidTransition):
        request.advance(target, by=cadre, assignee=cadre, satisfaction="satisfied")
    request.refresh_from_db()
    assert request.state == start
    assert not request.events.exists()


def test_dispatch_needs_an_assignee(household, cadre):
    request = ResidentRequestFactory(household=household, state=State.ACCEPTED)
    with pytest.raises(InvalidTransition):
        request.advance(State.DISPATCHED, by=cadre)
    request.refresh_from_db()
    assert request.state == State.ACCEPTED


def test_closing_needs_the_residents_satisfaction(household, cadre):
    request = ResidentRequestFactory(household=household, state=State.VERIFYING)
    with pytest.raises(InvalidTransition):
        request.advance(State.CLOSED, by=cadre)
    request.refresh_from_db()
    assert request.closed_at is None


def test_unsatisfied_resident_sends_the_request_back_to_handling_and_the_answer_is_kept(household, cadre):
    request = ResidentRequestFactory(household=household, state=State.VERIFYING)
    request.advance(State.HANDLING, by=cadre, satisfaction="unsatisfied", note="暖气仍不热")
    request.refresh_from_db()
    assert request.state == State.HANDLING
    assert request.satisfaction == "unsatisfied"
    assert request.closed_at is None


def test_allowed_moves_lists_only_legal_next_states(household):
    assert [to for to, _ in ResidentRequestFactory(household=household).allowed_moves()] == [State.ACCEPTED]
    verifying = ResidentRequestFactory(household=household, state=State.VERIFYING)
    assert {to for to, _ in verifying.allowed_moves()} == {State.CLOSED, State.HANDLING}
    assert ResidentRequestFactory(household=household, state=State.CLOSED).allowed_moves() == []


def test_a_stale_copy_cannot_repeat_a_move(household, cadre):
    request = ResidentRequestFactory(household=household)
    stale = ResidentRequest.objects.get(pk=request.pk)
    request.advance(State.ACCEPTED, by=cadre)
    with pytest.raises(InvalidTransition):
        stale.advance(State.ACCEPTED, by=cadre)
    assert request.events.count() == 1
