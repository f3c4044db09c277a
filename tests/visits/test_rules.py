"""Rules with one home: when a visit may be dated, when a request is overdue, who answers for a grid, the head-of-household name, percentages."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from core.numbers import percent_text, percent_value
from grids.access import access_building
from grids.staffing import answerable_for, grid_workers_of, staff_of_grid
from households.models import Household, head_name_of
from tests.factories import HouseholdFactory, UserFactory
from tests.visits.factories import ResidentRequestFactory, VisitTaskFactory
from visits.models import ResidentRequest, Visit, VisitTask, validate_visit_time
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def test_visit_may_not_be_dated_in_the_future_or_before_the_household(household):
    with pytest.raises(ValidationError, match="不能晚于现在"):
        validate_visit_time(household, timezone.now() + datetime.timedelta(hours=1))
    with pytest.raises(ValidationError, match="不能早于该户登记时间"):
        validate_visit_time(household, household.created_at - datetime.timedelta(days=1))
    validate_visit_time(household, household.created_at.replace(second=0, microsecond=0))


def test_log_visit_checks_the_date_too(household, grid_worker):
    with pytest.raises(ValidationError):
        log_visit(
            household=household,
            by=grid_worker,
            outcome="met",
            visited_at=household.created_at - datetime.timedelta(days=2),
        )
    assert not Visit.objects.exists()


def test_visit_clean_uses_the_same_check(household, grid_worker):
    visit = Visit(household=household, logged_by=grid_worker, visited_at=timezone.now() + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        visit.clean()
    assert "visited_at" in error.value.message_dict


def test_request_overdue_annotation_matches_the_overdue_filter(household):
    now = timezone.now()
    late = ResidentRequestFactory(household=household, due_at=now - datetime.timedelta(hours=1))
    closed = ResidentRequestFactory(household=household, due_at=now - datetime.timedelta(hours=1), state="closed")
    in_time = ResidentRequestFactory(household=household, due_at=now + datetime.timedelta(hours=1))
    flags = dict(ResidentRequest.objects.with_overdue(now).values_list("pk", "is_overdue"))
    assert flags == {late.pk: True, closed.pk: False, in_time.pk: False}
    assert list(ResidentRequest.objects.overdue(now)) == [late]


def test_overdue_filter_and_badge_on_the_request_list(client_for, cadre, household):
    late = ResidentRequestFactory(household=household, due_at=timezone.now() - datetime.timedelta(hours=1))
    in_time = ResidentRequestFactory(household=household, description="在时限内")
    client = client_for(cadre)
    overdue = client.get(reverse("request_list"), {"overdue": "yes"})
    assert f"request-{late.pk}" in overdue.text and f"request-{in_time.pk}" not in overdue.text
    assert "已超时" in overdue.text
    not_overdue = client.get(reverse("request_list"), {"overdue": "no"})
    assert f"request-{in_time.pk}" in not_overdue.text and f"request-{late.pk}" not in not_overdue.text


def test_request_page_shows_overdue(client_for, cadre, household):
    late = ResidentRequestFactory(household=household, due_at=timezone.now() - datetime.timedelta(hours=1))
    assert "已超时" in client_for(cadre).get(reverse("request_detail", args=[late.pk])).text


def test_access_building_is_404_outside_the_users_grids(grid_worker, building, other_building):
    assert access_building(grid_worker, str(building.pk)) == building
    for pk in (other_building.pk, "x", None):
        with pytest.raises(Http404):
            access_building(grid_worker, pk)


def test_grid_workers_and_staff_of_a_grid(grid, grid_worker, other_grid_worker, cadre):
    assert grid_workers_of([grid.pk]) == {grid.pk: [grid_worker.pk]}
    assert set(staff_of_grid(grid)) == {grid_worker, cadre}


def test_who_answers_for_a_grid_climbs_past_the_late_person(grid, community, grid_worker, cadre):
    responsible = UserFactory(username="responsible", role="cadre")
    answerable = answerable_for([grid.pk])[grid.pk]
    assert answerable.people() == [cadre.pk]  # no 网格长, no responsible person: the community's cadres
    grid.leader = grid_worker
    grid.save()
    community.responsible = responsible
    community.save()
    answerable = answerable_for([grid.pk])[grid.pk]
    assert answerable.people() == [grid_worker.pk]
    assert answerable.people(late=[grid_worker.pk]) == [responsible.pk]
    assert answerable.people(late=[grid_worker.pk, responsible.pk]) == [cadre.pk]


def test_head_name_of_another_models_household(household):
    task = VisitTaskFactory(household=household)
    assert VisitTask.objects.annotate(head_name=head_name_of("household_id")).get(pk=task.pk).head_name == "魏永凯"
    assert Household.objects.with_head_name().get(pk=household.pk).head_name == "魏永凯"


def test_percent_value_and_text():
    assert (percent_value(0.8567), percent_text(0.8567)) == (85.7, "85.7%")
    assert (percent_value(None), percent_text(None)) == (None, "—")


def test_household_picker_links_back_to_the_form(client_for, grid_worker, household):
    response = client_for(grid_worker).get(reverse("request_create"), {"q": "wyk"})
    assert f"{reverse('request_create')}?household={household.pk}" in response.text
    assert "登记民情诉求" in response.text


def test_sheet_back_entry_refuses_a_day_before_the_household(client_for, grid_worker, building):
    household = HouseholdFactory(building=building)
    VisitTaskFactory(household=household, assignee=grid_worker)
    url = f"{reverse('visit_backfill')}?building={building.pk}"
    data = {
        "batch": "8d4a3c2e-1f00-4c9b-9b3e-0a0b0c0d0e0f",
        "sheet-TOTAL_FORMS": "1",
        "sheet-INITIAL_FORMS": "1",
        "sheet-0-household_id": str(household.pk),
        "sheet-0-visited": "on",
        "sheet-0-visited_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "sheet-0-outcome": "met",
    }
    response = client_for(grid_worker).post(url, data)
    assert "走访日期不能早于该户登记时间" in response.text
    assert not Visit.objects.exists()
