"""The visit record as a grid worker writes it: 问题 → 处理措施 → 反馈结果, and how the problem was handled."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from visits.models import ResidentRequest, Visit
from visits.services import log_visit

pytestmark = pytest.mark.django_db


def new_url(household):
    return f"{reverse('visit_create')}?household={household.pk}"


def record(**overrides):
    data = {
        "token": str(uuid.uuid4()),
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "outcome": "met",
        "purposes": ["routine"],
        "problem": "楼道灯不亮，老人夜里上下楼不便",
        "handling": "on_the_spot",
        "problem_category": "",
        "measures": "当场联系物业电工",
        "feedback": "当天修好，老人满意",
        "req-TOTAL_FORMS": "0",
        "req-INITIAL_FORMS": "0",
        "req-MIN_NUM_FORMS": "0",
        "req-MAX_NUM_FORMS": "10",
    }
    data.update(overrides)
    return data


def test_the_form_asks_for_the_three_parts_and_the_handling(client_for, grid_worker, household):
    text = client_for(grid_worker).get(new_url(household)).text
    for label in ("问题", "处理方式", "当场解决", "带回社区", "立即上报", "处理措施", "反馈结果", "问题类别"):
        assert label in text


def test_a_problem_solved_on_the_spot_is_recorded_without_a_request(client_for, grid_worker, household):
    response = client_for(grid_worker).post(new_url(household), record())
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.problem, visit.measures, visit.feedback, visit.handling) == (
        "楼道灯不亮，老人夜里上下楼不便",
        "当场联系物业电工",
        "当天修好，老人满意",
        Visit.Handling.ON_THE_SPOT,
    )
    assert not ResidentRequest.objects.exists()
    detail = client_for(grid_worker).get(reverse("visit_detail", args=[visit.pk])).text
    for text in ("楼道灯不亮", "当场解决", "当场联系物业电工", "当天修好"):
        assert text in detail


@pytest.mark.parametrize(("handling", "urgency"), [("taken_back", "normal"), ("reported", "urgent")])
def test_a_problem_taken_back_or_reported_becomes_a_request_in_the_same_save(
    client_for, grid_worker, household, handling, urgency
):
    data = record(handling=handling, problem_category="repair", feedback="")
    assert client_for(grid_worker).post(new_url(household), data).status_code == 302
    visit = Visit.objects.get()
    resident_request = ResidentRequest.objects.get()
    assert (resident_request.raised_in, resident_request.category, resident_request.urgency) == (
        visit,
        "repair",
        urgency,
    )
    assert resident_request.channel == ResidentRequest.Channel.VISIT
    assert resident_request.description.startswith("楼道灯不亮")
    assert "当场联系物业电工" in resident_request.description
    assert resident_request.events.get().to_state == ResidentRequest.State.REGISTERED


def test_a_handling_needs_a_problem_and_passing_it_on_needs_a_category(client_for, grid_worker, household):
    client = client_for(grid_worker)
    response = client.post(new_url(household), record(problem="", handling="on_the_spot"))
    assert response.status_code == 200 and "选择了处理方式，请写明问题。" in response.text
    response = client.post(new_url(household), record(handling="reported"))
    assert response.status_code == 200 and "请选择问题类别" in response.text
    assert not Visit.objects.exists() and not ResidentRequest.objects.exists()


def test_a_visit_with_nothing_to_report_needs_none_of_the_parts(client_for, grid_worker, household):
    data = record(problem="", handling="", measures="", feedback="")
    assert client_for(grid_worker).post(new_url(household), data).status_code == 302
    assert Visit.objects.get().handling == ""


def test_log_visit_keeps_findings_as_the_problem_for_the_sheet_back_entry(household, grid_worker):
    visit, _created = log_visit(household=household, by=grid_worker, outcome="met", findings="家中一切正常")
    assert visit.problem == "家中一切正常"


def test_log_visit_refuses_a_handling_without_a_problem(household, grid_worker):
    with pytest.raises(ValidationError):
        log_visit(household=household, by=grid_worker, outcome="met", handling="reported")
    assert not Visit.objects.exists()


def test_the_timeline_shows_the_problem_its_handling_and_the_result(client_for, grid_worker, household):
    log_visit(
        household=household,
        by=grid_worker,
        outcome="met",
        problem="暖气不热",
        handling="taken_back",
        problem_category="heating",
        feedback="已转供热公司",
    )
    text = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).text
    assert "暖气不热 · 带回社区 · 已转供热公司" in text


def test_another_grids_worker_cannot_read_or_log_the_record(client_for, grid_worker, other_grid_worker, household):
    visit, _created = log_visit(household=household, by=grid_worker, outcome="met", problem="暖气不热")
    other = client_for(other_grid_worker)
    assert other.get(reverse("visit_detail", args=[visit.pk])).status_code == 404
    assert other.post(new_url(household), record()).status_code == 404
    assert Visit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_migration_moves_the_old_findings_into_the_problem(grid_worker, household):
    executor = MigrationExecutor(connection)
    before, after = [("visits", "0006_visittask_assigned_at")], [("visits", "0007_visit_problem_measures_feedback")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldVisit = old_apps.get_model("visits", "Visit")
    OldVisit.objects.create(
        household_id=household.pk,
        logged_by_id=grid_worker.pk,
        visited_at=timezone.now(),
        purposes=["routine"],
        outcome="met",
        findings="老人身体硬朗",
        idempotency_key=uuid.uuid4(),
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    visit = Visit.objects.get()
    assert (visit.problem, visit.handling, visit.measures) == ("老人身体硬朗", "", "")
