"""The demo mediation room: its roster with the `mediator` user, a year of disputes in every state with the
report's 16 successes, follow-ups, early signs and watch items, dated in the past, and a second run adds
nothing."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from mediation.models import (
    Dispute,
    DisputeEvent,
    DisputeMediator,
    EarlySign,
    FollowUp,
    MediationSession,
    Mediator,
    Party,
    WatchItem,
)

pytestmark = pytest.mark.django_db

# 10:00 in Jinan on 10 January 2027: the room's year runs from January 2026, across New Year.
NOW = datetime.datetime(2027, 1, 10, 2, tzinfo=datetime.UTC)
TODAY = datetime.date(2027, 1, 10)
MODELS = [Mediator, Dispute, Party, DisputeMediator, DisputeEvent, MediationSession, FollowUp, EarlySign, WatchItem]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def demo():
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", households=60, stdout=io.StringIO())
        yield


def test_the_room_counts_the_reports_16_successes_within_its_year(demo):
    successes = Dispute.objects.exclude(agreement_kind="")

    assert successes.count() == 16
    assert not successes.filter(concluded_on__lte=TODAY - datetime.timedelta(days=365)).exists()
    assert {kind for kind in successes.values_list("agreement_kind", flat=True)} == {"written", "oral"}
    assert not successes.filter(agreement="").exists()
    assert successes.filter(court_confirmation=True).exists()


def test_every_state_is_present_with_what_it_needs(demo):
    states = set(Dispute.objects.values_list("state", flat=True))
    assert states == set(Dispute.State.values)

    assert not Dispute.objects.filter(state="rejected", rejection_reason="").exists()
    failed = Dispute.objects.filter(agreement_kind="", concluded_on__isnull=False)
    assert {"court", "police", "arbitration"} <= set(failed.values_list("escalated_to", flat=True))
    assert Dispute.objects.filter(state="closed", escalated_to="court").exists()
    assert Dispute.objects.filter(Dispute.objects.overdue_q(TODAY)).count() == 1
    extended = Dispute.objects.get(extended_on__isnull=False)
    assert extended.state == "mediating" and extended.deadline > TODAY
    reopened = Dispute.objects.get(follow_ups__performed=False)
    assert reopened.state == "mediating" and reopened.sessions.count() == 2
    assert Dispute.objects.filter(risk="red", state="registered").exists()


def test_steps_are_dated_in_the_past_in_order(demo):
    assert not DisputeEvent.objects.filter(at__gt=NOW).exists()
    assert not DisputeEvent.objects.filter(at__lt=F("dispute__registered_at")).exists()
    assert not MediationSession.objects.filter(held_on__lt=F("dispute__accepted_on")).exists()
    assert not Dispute.history.filter(history_date__gt=NOW).exists()
    for dispute in Dispute.objects.prefetch_related("events"):
        steps = [event.to_state for event in dispute.events.all()]
        assert steps[0] == "registered" and steps[-1] == dispute.state
    registered = Dispute.objects.order_by("registered_at")
    assert registered.first().registered_at.date() >= TODAY - datetime.timedelta(days=365)


def test_numbers_run_per_year_in_order_of_registration(demo):
    for year in (2026, 2027):
        sequences = list(Dispute.objects.filter(year=year).order_by("registered_at").values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))
    assert Dispute.objects.filter(year=2027).exists()
    assert Dispute.objects.get(year=2026, sequence=16).number == "和调〔2026〕第016号"


def test_the_roster_has_the_five_elders_and_two_legal_workers(demo):
    roster = Mediator.objects.filter(community__name="金色嘉苑社区", is_active=True)

    categories = list(roster.values_list("category", flat=True))
    assert set(categories) == set(Mediator.Category.values)
    assert categories.count("legal_worker") == 2
    assert all(mediator.skills for mediator in roster)
    assert Mediator.objects.filter(is_active=False).exists()


def test_the_mediator_user_is_a_legal_worker_assigned_to_open_and_closed_disputes(demo):
    user = User.objects.get(username="mediator")
    entry = Mediator.objects.get(user=user)
    assert entry.category == "legal_worker" and entry.name == user.full_name

    theirs = Dispute.objects.visible_to(user)
    assert theirs.open().count() >= 5
    assert theirs.filter(state="closed").exists()
    assert FollowUp.objects.open().filter(assignee=user, due_on=TODAY).count() == 1
    assert FollowUp.objects.open().filter(assignee=user, due_on__lt=TODAY).exists()
    assert Dispute.objects.count() > theirs.count()  # another mediator's disputes stay hidden


def test_parties_are_residents_outside_persons_and_organisations(demo):
    kinds = set(Party.objects.values_list("kind", flat=True))
    assert kinds == set(Party.Kind.values)
    assert not Party.objects.filter(kind="resident", household__isnull=True).exists()
    assert not Party.objects.filter(kind="organisation", representative="").exists()
    assert Party.objects.filter(kind="person").exclude(age=None).exists()
    assert DisputeMediator.objects.filter(recused_at__isnull=False).exclude(recusal_reason="").count() == 1


def test_follow_ups_are_done_for_closed_disputes_and_open_for_agreed_ones(demo):
    closed_successes = Dispute.objects.filter(state="closed").exclude(agreement_kind="")
    assert not FollowUp.objects.open().filter(dispute__in=closed_successes).exists()
    assert FollowUp.objects.filter(dispute__in=closed_successes, performed=True).count() >= 10
    for dispute in Dispute.objects.filter(state__in=["succeeded", "follow_up"]):
        assert dispute.follow_ups.open().exists()


def test_early_signs_raise_two_open_watch_items_and_one_became_a_dispute(demo):
    assert EarlySign.objects.count() == 9
    assert WatchItem.objects.open().count() == 2
    watched = WatchItem.objects.get(dispute__isnull=False)
    assert watched.dispute.source == "watch"
    assert {party.household_id for party in watched.dispute.parties.all()} == {
        watched.household_a_id,
        watched.household_b_id,
    }
    assert Dispute.objects.filter(source="request", resident_request__isnull=False).count() == 1


def test_a_second_run_adds_nothing(demo):
    before = counts()

    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        call_command("seed_demo", households=60, stdout=io.StringIO())

    assert counts() == before
