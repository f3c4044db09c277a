import datetime

from django.utils import timezone

from accounts.models import Notification, User
from heating.models import HeatingTicket
from tests.factories import CommunityFactory, GridFactory, HouseholdFactory, UserFactory, assign
from tests.heating.tickets import make_ticket
from visits import reminders

State = HeatingTicket.State


def escalations():
    return Notification.objects.filter(kind=Notification.Kind.ESCALATION)


def test_an_overdue_ticket_is_escalated_once_to_the_communitys_cadres(heating, company, household, grid_worker, cadre):
    ticket = make_ticket(household, heating, company, hours_left=-2, created_by=grid_worker)
    make_ticket(HouseholdFactory(building=household.building), heating, company, hours_left=2)

    first = reminders.escalate_overdue()
    second = reminders.escalate_overdue(now=timezone.now() + datetime.timedelta(minutes=30))

    assert first["heating_tickets"] == 1 and second["heating_tickets"] == 0
    notification = escalations().get()
    assert notification.user == cadre
    assert "供热报修 1 件" in notification.title
    assert company.name in notification.body and household.room_code in notification.body
    ticket.refresh_from_db()
    assert ticket.escalated_at is not None


def test_the_escalation_goes_to_cadres_only_never_to_whoever_reported(heating, company, household, grid_worker, cadre):
    make_ticket(household, heating, company, hours_left=-2, created_by=grid_worker)
    reminders.escalate_overdue()
    assert list(escalations().values_list("user", flat=True)) == [cadre.pk]


def test_a_handled_or_closed_ticket_is_not_escalated(heating, company, building, cadre):
    make_ticket(HouseholdFactory(building=building), heating, company, state=State.HANDLED, hours_left=-5)
    make_ticket(HouseholdFactory(building=building), heating, company, state=State.RECHECK_PASSED, hours_left=-5)
    assert reminders.escalate_overdue()["heating_tickets"] == 0


def test_a_failed_recheck_restarts_the_deadline_and_allows_one_new_escalation(heating, company, household, cadre):
    ticket = make_ticket(household, heating, company, state=State.ACCEPTED, hours_left=-2)
    reminders.escalate_overdue()
    ticket.advance(State.HANDLED, by=cadre)
    ticket.advance(State.RECHECK_FAILED, by=cadre, note="复查仍 16 ℃")
    ticket.refresh_from_db()
    assert ticket.escalated_at is None and ticket.deadline_at > timezone.now()

    assert reminders.escalate_overdue()["heating_tickets"] == 0
    later = timezone.now() + datetime.timedelta(hours=company.response_hours + 1)
    assert reminders.escalate_overdue(now=later)["heating_tickets"] == 1
    assert reminders.escalate_overdue(now=later + datetime.timedelta(minutes=30))["heating_tickets"] == 0
    assert escalations().filter(user=cadre).count() == 2


def test_each_community_hears_only_of_its_own_tickets(heating, company, household, cadre):
    elsewhere = GridFactory(community=CommunityFactory(street=household.building.grid.community.street))
    other_cadre = UserFactory(username="cadre2", role=User.Role.CADRE)
    assign(other_cadre, elsewhere.community)
    make_ticket(household, heating, company, hours_left=-2)

    reminders.escalate_overdue()

    assert list(escalations().values_list("user", flat=True)) == [cadre.pk]


def test_cadres_digest_counts_the_communitys_open_and_overdue_tickets(
    heating, company, building, household, grid_worker, cadre
):
    make_ticket(household, heating, company, hours_left=-2)
    make_ticket(HouseholdFactory(building=building), heating, company, hours_left=5)
    make_ticket(HouseholdFactory(building=building), heating, company, state=State.RECHECK_PASSED)

    reminders.daily_digest()

    digest = Notification.objects.get(user=cadre, kind=Notification.Kind.DIGEST)
    assert "供热报修未结 2 件，超时 1 件" in digest.title
    assert f"{company.name}：未结 2 件，超时 1 件" in digest.body
    assert not Notification.objects.filter(user=grid_worker, kind=Notification.Kind.DIGEST).exists()
