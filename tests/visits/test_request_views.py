import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdFactory
from tests.visits.factories import ResidentRequestFactory
from visits.models import RequestEvent, ResidentRequest

pytestmark = pytest.mark.django_db
State = ResidentRequest.State


def test_request_list_shows_my_grids_requests_only(client_for, grid_worker, household, other_household):
    mine = ResidentRequestFactory(household=household, description="楼道堆放杂物")
    theirs = ResidentRequestFactory(household=other_household, description="西区噪音")
    text = client_for(grid_worker).get(reverse("request_list")).text
    assert f'id="request-{mine.pk}"' in text
    assert f'id="request-{theirs.pk}"' not in text


def test_request_list_filters_by_state_category_urgency_assignee_and_overdue(client_for, cadre, grid_worker, household):
    late = ResidentRequestFactory(
        household=household, category="heating", urgency="urgent", due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assigned = ResidentRequestFactory(household=household, state=State.DISPATCHED, assignee=grid_worker)
    closed_late = ResidentRequestFactory(
        household=household, state=State.CLOSED, due_at=timezone.now() - datetime.timedelta(days=3)
    )
    client = client_for(cadre)

    def ids(**params):
        return {r.pk for r in client.get(reverse("request_list"), params).context["page"].object_list}

    assert ids(overdue="yes") == {late.pk}
    assert ids(state=State.DISPATCHED) == {assigned.pk}
    assert ids(category="heating") == {late.pk}
    assert ids(urgency="urgent") == {late.pk}
    assert ids(assignee=grid_worker.pk) == {assigned.pk}
    assert closed_late.pk in ids(overdue="no")
    chosen = client.get(reverse("request_list"), {"assignee": grid_worker.pk, "state": State.DISPATCHED}).text
    assert f'<option value="{grid_worker.pk}" selected>' in chosen and '<option value="dispatched" selected>' in chosen


def test_request_list_queries_do_not_grow_with_rows(client_for, grid_worker, building, household):
    client = client_for(grid_worker)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("request_list")).status_code == 200
        return len(ctx)

    for _ in range(3):
        ResidentRequestFactory(household=HouseholdFactory(building=building), assignee=grid_worker)
    three = count_queries()
    for _ in range(27):
        ResidentRequestFactory(household=HouseholdFactory(building=building), assignee=grid_worker)
    assert count_queries() == three


def test_registering_a_request_sets_a_working_day_deadline(client_for, grid_worker, household):
    url = f"{reverse('request_create')}?household={household.pk}"
    response = client_for(grid_worker).post(
        url, {"category": "repair", "urgency": "urgent", "channel": "phone", "description": "水管爆裂"}
    )
    request = ResidentRequest.objects.get()
    assert response["Location"] == reverse("request_detail", args=[request.pk])
    assert request.due_at - request.created_at == datetime.timedelta(hours=2)
    assert request.events.get().to_state == State.REGISTERED
    assert request.created_by == grid_worker


def test_request_form_errors_are_shown_and_nothing_saved(client_for, grid_worker, household):
    url = f"{reverse('request_create')}?household={household.pk}"
    response = client_for(grid_worker).post(url, {"category": "bogus", "urgency": "normal", "channel": "phone"})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.text
    assert not ResidentRequest.objects.exists()


def test_detail_shows_history_and_only_the_allowed_next_actions(client_for, cadre, grid_worker, household):
    request = ResidentRequestFactory(household=household)
    request.advance(State.ACCEPTED, by=cadre, note="马上联系物业")
    text = client_for(cadre).get(reverse("request_detail", args=[request.pk])).text
    assert "马上联系物业" in text
    assert 'value="dispatched"' in text
    assert 'value="closed"' not in text
    assert 'value="handling"' not in text


def test_dispatching_through_the_page_records_the_assignee(client_for, cadre, grid_worker, household):
    request = ResidentRequestFactory(household=household, state=State.ACCEPTED)
    response = client_for(cadre).post(
        reverse("request_advance", args=[request.pk]),
        {"to_state": "dispatched", "move-dispatched-assignee": grid_worker.pk, "move-dispatched-note": "请今天处理"},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.state, request.assignee) == (State.DISPATCHED, grid_worker)
    assert RequestEvent.objects.get(request=request).note == "请今天处理"


def test_illegal_move_through_the_page_is_refused_with_a_message(client_for, cadre, household):
    request = ResidentRequestFactory(household=household)
    response = client_for(cadre).post(
        reverse("request_advance", args=[request.pk]), {"to_state": "closed"}, follow=True
    )
    request.refresh_from_db()
    assert request.state == State.REGISTERED
    assert "不能从" in response.text


def test_verifying_through_the_page_keeps_the_satisfaction(client_for, grid_worker, household):
    request = ResidentRequestFactory(household=household, state=State.VERIFYING, assignee=grid_worker)
    client_for(grid_worker).post(
        reverse("request_advance", args=[request.pk]), {"to_state": "closed", "move-closed-satisfaction": "basic"}
    )
    request.refresh_from_db()
    assert (request.state, request.satisfaction) == (State.CLOSED, "basic")
    assert request.closed_at is not None


def test_other_grids_request_is_404_everywhere(client_for, other_grid_worker, household):
    request = ResidentRequestFactory(household=household)
    client = client_for(other_grid_worker)
    assert client.get(reverse("request_detail", args=[request.pk])).status_code == 404
    assert client.post(reverse("request_advance", args=[request.pk]), {"to_state": "accepted"}).status_code == 404
    assert client.get(f"{reverse('request_create')}?household={household.pk}").status_code == 404
    request.refresh_from_db()
    assert request.state == State.REGISTERED


def test_leader_reads_requests_but_cannot_move_or_register(client_for, leader, household):
    request = ResidentRequestFactory(household=household)
    client = client_for(leader)
    detail = client.get(reverse("request_detail", args=[request.pk]))
    assert detail.status_code == 200
    assert reverse("request_advance", args=[request.pk]) not in detail.text
    assert client.post(reverse("request_advance", args=[request.pk]), {"to_state": "accepted"}).status_code == 403
    url = f"{reverse('request_create')}?household={household.pk}"
    assert (
        client.post(url, {"category": "repair", "urgency": "low", "channel": "phone", "description": "x"}).status_code
        == 403
    )
    request.refresh_from_db()
    assert request.state == State.REGISTERED
    assert ResidentRequest.objects.count() == 1


def test_anonymous_user_is_sent_to_login(client, household):
    request = ResidentRequestFactory(household=household)
    for url in (reverse("request_list"), reverse("request_detail", args=[request.pk]), reverse("visittask_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
