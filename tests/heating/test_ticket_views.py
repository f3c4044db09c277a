import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from heating.models import HeatingTicket, TicketEvent
from heating.services import Reading, record_inspection
from tests.factories import HouseholdFactory
from tests.heating.conftest import celsius
from tests.heating.tickets import make_ticket

State = HeatingTicket.State


@pytest.fixture
def ticket(heating, company, household):
    return make_ticket(household, heating, company)


def detail(ticket):
    return reverse("ticket_detail", args=[ticket.pk])


def advance(client, ticket, to_state, **data):
    prefix = f"move-{to_state}"
    payload = {"to_state": to_state, **{f"{prefix}-{key}": value for key, value in data.items()}}
    return client.post(reverse("ticket_advance", args=[ticket.pk]), payload, follow=True)


# --- Scope ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader"])
def test_staff_in_scope_see_the_ticket(persona, request, client_for, ticket):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(detail(ticket)).status_code == 200
    assert f"ticket-{ticket.pk}" in client.get(reverse("ticket_list")).content.decode()


@pytest.mark.parametrize("persona", ["other_grid_worker", "mediator"])
def test_staff_out_of_scope_get_404_and_an_empty_list(persona, request, client_for, ticket):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(detail(ticket)).status_code == 404
    assert f"ticket-{ticket.pk}" not in client.get(reverse("ticket_list")).content.decode()
    response = client.post(reverse("ticket_advance", args=[ticket.pk]), {"to_state": State.ACCEPTED})
    assert response.status_code == 404


def test_grid_worker_of_other_grid_gets_404(client_for, other_grid_worker, ticket):
    assert client_for(other_grid_worker).get(detail(ticket)).status_code == 404


def test_anonymous_user_is_sent_to_login(client, ticket):
    response = client.get(reverse("ticket_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["leader", "grid_worker"])
def test_who_may_not_change_tickets_sees_no_buttons_and_gets_403(persona, request, client_for, ticket):
    client = client_for(request.getfixturevalue(persona))
    body = client.get(detail(ticket)).content.decode()
    assert reverse("ticket_advance", args=[ticket.pk]) not in body
    assert reverse("ticket_reply", args=[ticket.pk]) not in body
    assert client.post(reverse("ticket_advance", args=[ticket.pk]), {"to_state": State.ACCEPTED}).status_code == 403
    assert client.post(reverse("ticket_reply", args=[ticket.pk]), {"reply-note": "已上门"}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == State.REPORTED and ticket.events.count() == 1


# --- List ----------------------------------------------------------------------------------------------------


def test_list_puts_open_and_overdue_first_with_how_late(client_for, cadre, heating, company, building):
    households = [HouseholdFactory(building=building, unit=1, room=room) for room in ("101", "102", "103", "104")]
    closed = make_ticket(households[0], heating, company, state=State.RECHECK_PASSED)
    on_time = make_ticket(households[1], heating, company, hours_left=5)
    hours_late = make_ticket(households[2], heating, company, hours_left=-5)
    days_late = make_ticket(households[3], heating, company, hours_left=-(2 * 24 + 3))

    body = client_for(cadre).get(reverse("ticket_list")).content.decode()

    order = [body.index(f'id="ticket-{t.pk}"') for t in (days_late, hours_late, on_time, closed)]
    assert order == sorted(order)
    assert "超时 2 天 3 小时" in body
    assert "超时 5 小时" in body


def test_list_filters_by_state_company_building_and_overdue(
    client_for, cadre, heating, company, household, other_household
):
    mine = make_ticket(household, heating, company, hours_left=-1)
    other = make_ticket(other_household, heating, company, state=State.HANDLED)
    client = client_for(cadre)

    def listed(**params):
        body = client.get(reverse("ticket_list"), params).content.decode()
        return {t.pk for t in (mine, other) if f'id="ticket-{t.pk}"' in body}

    assert listed(state=State.HANDLED) == {other.pk}
    assert listed(state="open") == {mine.pk, other.pk}
    assert listed(building=household.building_id) == {mine.pk}
    assert listed(overdue="yes") == {mine.pk}
    assert listed(company=company.pk) == {mine.pk, other.pk}


def test_list_offers_the_export_of_the_chosen_company_to_who_may_export(client_for, cadre, grid_worker, ticket):
    export = f"{reverse('ticket_export')}?company={ticket.company_id}"
    assert export in client_for(cadre).get(reverse("ticket_list"), {"company": ticket.company_id}).content.decode()
    assert (
        export
        not in client_for(grid_worker).get(reverse("ticket_list"), {"company": ticket.company_id}).content.decode()
    )


def test_list_costs_the_same_queries_for_3_and_30_tickets(client_for, cadre, heating, company, building):
    client = client_for(cadre)

    def queries_for(n):
        HeatingTicket.objects.all().delete()
        for i in range(n):
            make_ticket(HouseholdFactory(building=building), heating, company, hours_left=i - n // 2)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("ticket_list")).status_code == 200
        return len(queries)

    assert queries_for(3) == queries_for(30)


def test_detail_costs_the_same_queries_for_1_and_5_inspections(client_for, cadre, heating, company, household):
    client = client_for(cadre)
    inspect = lambda: record_inspection(  # noqa: E731
        household=household,
        by=cadre,
        readings=[Reading("bedroom", celsius(16.0)), Reading("living", celsius(17))],
        valve="fully_open",
    )
    inspection, _ = inspect()
    with CaptureQueriesContext(connection) as one:
        client.get(detail(inspection.ticket))
    for _i in range(4):
        inspect()
    with CaptureQueriesContext(connection) as five:
        body = client.get(detail(inspection.ticket)).content.decode()
    assert len(one) == len(five)
    assert body.count("<strong>16.0 ℃</strong>") == 5


# --- Detail and moves ----------------------------------------------------------------------------------------


def test_detail_shows_what_where_readings_deadline_and_events(client_for, cadre, heating, company, household):
    inspection, _ = record_inspection(
        household=household,
        by=cadre,
        readings=[Reading("bedroom", celsius(16.5), label="主卧"), Reading("living", celsius(19))],
        valve="fully_open",
    )
    body = client_for(cadre).get(detail(inspection.ticket)).content.decode()
    assert "主卧 16.5 ℃（标准 18.0 ℃）" in body
    assert household.room_code in body
    assert "16.5 ℃" in body and "19.0 ℃" in body
    assert company.name in body
    assert "已报修" in body
    for _to_state, label in inspection.ticket.allowed_moves():
        assert str(label) in body


def test_cadre_takes_the_ticket_through_its_flow_and_closing_asks_for_fault(client_for, cadre, ticket):
    client = client_for(cadre)
    advance(client, ticket, State.ACCEPTED, note="热力公司已派单")
    advance(client, ticket, State.HANDLED)

    refused = advance(client, ticket, State.RECHECK_PASSED, note="复查 19 ℃")
    ticket.refresh_from_db()
    assert ticket.state == State.HANDLED
    assert "结单时请选择是否为供热公司责任" in refused.content.decode()

    advance(client, ticket, State.RECHECK_PASSED, company_at_fault="yes", note="复查 19 ℃")
    ticket.refresh_from_db()
    assert ticket.state == State.RECHECK_PASSED and ticket.company_at_fault is True and ticket.closed_at
    assert list(ticket.events.values_list("to_state", "by")) == [
        (State.REPORTED, None),
        (State.ACCEPTED, cadre.pk),
        (State.HANDLED, cadre.pk),
        (State.RECHECK_PASSED, cadre.pk),
    ]


def test_an_illegal_move_shows_the_models_message_not_a_500(client_for, cadre, ticket):
    response = advance(client_for(cadre), ticket, State.HANDLED)
    assert response.status_code == 200
    assert "不能从“已报修”转到“已处理”" in response.content.decode()
    unknown = advance(client_for(cadre), ticket, "lost")
    assert unknown.status_code == 200 and "未知的报修单状态" in unknown.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.REPORTED


def test_cadre_records_the_companys_reply_without_a_state_change(client_for, cadre, ticket):
    response = client_for(cadre).post(
        reverse("ticket_reply", args=[ticket.pk]), {"reply-note": "明日上午上门测温"}, follow=True
    )
    ticket.refresh_from_db()
    assert ticket.state == State.REPORTED
    event = ticket.events.last()
    assert (event.from_state, event.to_state, event.by, event.note) == (
        State.REPORTED,
        State.REPORTED,
        cadre,
        "明日上午上门测温",
    )
    assert "明日上午上门测温" in response.content.decode()


def test_an_empty_reply_or_a_reply_on_a_closed_ticket_is_refused(client_for, cadre, heating, company, household):
    ticket = make_ticket(household, heating, company, state=State.RECHECK_PASSED)
    client = client_for(cadre)
    assert (
        "不能再记录答复"
        in client.post(reverse("ticket_reply", args=[ticket.pk]), {"reply-note": "x"}, follow=True).content.decode()
    )
    assert TicketEvent.objects.filter(ticket=ticket).count() == 1
    assert reverse("ticket_reply", args=[ticket.pk]) not in client.get(detail(ticket)).content.decode()


def test_the_deadline_of_a_failed_recheck_starts_again(client_for, cadre, heating, company, household):
    ticket = make_ticket(household, heating, company, state=State.HANDLED, hours_left=-30)
    advance(client_for(cadre), ticket, State.RECHECK_FAILED, note="复查仍 16 ℃")
    ticket.refresh_from_db()
    assert ticket.deadline_at > timezone.now() + datetime.timedelta(hours=company.response_hours - 1)
