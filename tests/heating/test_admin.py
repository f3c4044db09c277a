"""The heating admin: every page loads with its filters, and a non-superuser sees only their scope."""

import pytest
from django.urls import reverse

from heating.models import HeatingTicket
from heating.services import Reading, record_inspection
from tests.heating.conftest import celsius

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(heating, household, other_household, grid_worker, other_grid_worker):
    for home, worker in ((household, grid_worker), (other_household, other_grid_worker)):
        record_inspection(household=home, by=worker, readings=[Reading("bedroom", celsius(16))], valve="fully_open")
    return HeatingTicket.objects.order_by("pk")


def test_heating_admin_pages_load_with_their_filters(client_for, admin_user, tickets, grid):
    ticket = tickets.first()
    inspection = ticket.inspections.get()
    client = client_for(admin_user)
    for url in (
        reverse("admin:heating_heatingseason_changelist"),
        reverse("admin:heating_heatingseason_change", args=[ticket.season_id]),
        reverse("admin:heating_heatingcompany_changelist"),
        reverse("admin:heating_heatingcompany_change", args=[ticket.company_id]),
        reverse("admin:heating_buildingsupply_changelist"),
        reverse("admin:heating_heatinginspection_changelist") + f"?season__id__exact={ticket.season_id}&below=yes",
        reverse("admin:heating_heatinginspection_changelist") + f"?grid={grid.pk}",
        reverse("admin:heating_heatinginspection_change", args=[inspection.pk]),
        reverse("admin:heating_heatinginspection_history", args=[inspection.pk]),
        reverse("admin:heating_heatingticket_changelist") + "?state=open&overdue=yes",
        reverse("admin:heating_heatingticket_changelist")
        + f"?state=reported&grid={grid.pk}&company__id__exact={ticket.company_id}&season__id__exact={ticket.season_id}",
        reverse("admin:heating_heatingticket_change", args=[ticket.pk]),
        reverse("admin:heating_heatingticket_history", args=[ticket.pk]),
        reverse("admin:heating_loggerreading_changelist"),
    ):
        assert client.get(url).status_code == 200, url


def test_ticket_page_shows_its_events_and_readings_read_only(client_for, admin_user, tickets):
    ticket = tickets.first()
    page = client_for(admin_user).get(reverse("admin:heating_heatingticket_change", args=[ticket.pk])).content.decode()
    assert "报修单办理记录" in page and "已报修" in page
    assert 'name="events-TOTAL_FORMS"' in page and 'name="events-0-note"' not in page


def test_grid_worker_in_the_admin_sees_only_their_grids_tickets_and_inspections(
    client_for, grid_worker, tickets, household
):
    grid_worker.is_staff = True
    grid_worker.save()
    client = client_for(grid_worker)

    page = client.get(reverse("admin:heating_heatingticket_changelist")).content.decode()
    assert household.room_code in page and "12-1-301" not in page
    page = client.get(reverse("admin:heating_heatinginspection_changelist")).content.decode()
    assert household.room_code in page and "12-1-301" not in page
    other = tickets.last()
    assert client.get(reverse("admin:heating_heatingticket_change", args=[other.pk])).status_code == 302
