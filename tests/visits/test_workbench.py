import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory

pytestmark = pytest.mark.django_db


def test_workbench_counts_my_overdue_and_todays_tasks(client_for, grid_worker, household):
    today = timezone.localdate()
    VisitTaskFactory(household=household, assignee=grid_worker, due_on=today - datetime.timedelta(days=2))
    VisitTaskFactory(household=household, assignee=grid_worker, due_on=today, kind="revisit")
    VisitTaskFactory(household=household, assignee=grid_worker, due_on=today, kind="follow_up")
    response = client_for(grid_worker).get(reverse("workbench"))
    assert '<div class="fs-3 fw-bold text-danger" id="overdue-count">1</div>' in response.text
    assert '<div class="fs-3 fw-bold" id="today-count">2</div>' in response.text


def test_workbench_lists_recent_visits_and_my_open_requests(client_for, grid_worker, household):
    visit = VisitFactory(household=household, logged_by=grid_worker)
    request = ResidentRequestFactory(household=household, assignee=grid_worker, state="dispatched")
    text = client_for(grid_worker).get(reverse("workbench")).text
    assert reverse("visit_detail", args=[visit.pk]) in text
    assert reverse("request_detail", args=[request.pk]) in text


def test_workbench_queries_do_not_grow_with_visits_and_requests(client_for, cadre, grid_worker, household):
    client = client_for(grid_worker)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("workbench"))
        return len(ctx)

    def add(n):
        for _ in range(n):
            VisitFactory(household=household, logged_by=grid_worker)
            ResidentRequestFactory(household=household, assignee=grid_worker, state="dispatched")

    add(3)
    three = count_queries()
    add(27)
    assert count_queries() == three
