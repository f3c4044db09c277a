import datetime
import uuid

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import Visit, VisitTask

pytestmark = pytest.mark.django_db


def make_task(building, assignee, due_in_days, **kwargs):
    household = HouseholdFactory(building=building, created_at=timezone.now() - datetime.timedelta(days=365))
    ResidentFactory(household=household, name="孔繁森")
    due_on = timezone.localdate() + datetime.timedelta(days=due_in_days)
    return VisitTaskFactory(
        household=household,
        assignee=assignee,
        due_on=due_on,
        earliest_on=due_on - datetime.timedelta(days=10),
        **kwargs,
    )


def test_my_tasks_show_each_late_task_with_its_days_late(client_for, grid_worker, building):
    upcoming = make_task(building, grid_worker, 5)
    today = make_task(building, grid_worker, 0)
    overdue = make_task(building, grid_worker, -3)
    response = client_for(grid_worker).get(reverse("visittask_list"))
    text = response.text
    for task in (overdue, today, upcoming):
        assert f'id="task-{task.pk}"' in text
    start = text.index(f'id="task-{overdue.pk}"')
    row = text[start - 120 : text.index("</li>", start)]
    assert "text-bg-danger" in row and "逾期 3 天" in row
    assert "今天到期" in text
    assert f"{reverse('visit_create')}?household={overdue.household_id}" in text


def test_grid_worker_sees_only_own_tasks(client_for, grid_worker, other_grid_worker, building, other_building):
    mine = make_task(building, grid_worker, 1)
    theirs = make_task(other_building, other_grid_worker, 1)
    text = client_for(grid_worker).get(reverse("visittask_list")).text
    assert f'id="task-{mine.pk}"' in text
    assert f'id="task-{theirs.pk}"' not in text


def test_building_filter_narrows_the_list(client_for, grid_worker, building, grid):
    second = BuildingFactory(grid=grid, number="7")
    here = make_task(building, grid_worker, 1)
    there = make_task(second, grid_worker, 1)
    text = client_for(grid_worker).get(reverse("visittask_list"), {"building": second.pk}).text
    assert f'id="task-{there.pk}"' in text
    assert f'id="task-{here.pk}"' not in text


def test_cadre_sees_tasks_grouped_by_worker(
    client_for, cadre, grid_worker, other_grid_worker, building, other_building
):
    make_task(building, grid_worker, -1)
    make_task(building, grid_worker, -2)
    make_task(other_building, other_grid_worker, 3)
    response = client_for(cadre).get(reverse("visittask_list"))
    rows = {row["assignee"]: row for row in response.context["by_worker"]}
    assert (rows[grid_worker.pk]["open_count"], rows[grid_worker.pk]["late_count"]) == (2, 2)
    assert (rows[other_grid_worker.pk]["open_count"], rows[other_grid_worker.pk]["late_count"]) == (1, 0)
    filtered = client_for(cadre).get(reverse("visittask_list"), {"worker": other_grid_worker.pk})
    assert len(filtered.context["day"].tasks) == 1


def test_per_worker_figures_are_kept_a_few_minutes_while_the_list_is_live(client_for, cadre, grid_worker, building):
    make_task(building, grid_worker, -1)
    client = client_for(cadre)
    first = client.get(reverse("visittask_list"))
    assert 'id="by-worker-counted-at"' in first.text
    added = make_task(building, grid_worker, -2)
    again = client.get(reverse("visittask_list"))
    rows = {row["assignee"]: row for row in again.context["by_worker"]}
    assert rows[grid_worker.pk]["open_count"] == 1  # as counted at the time the page says
    assert f'id="task-{added.pk}"' in again.text


def test_a_supervisor_pages_the_most_urgent_tasks_a_screen_at_a_time(client_for, cadre, grid_worker, building):
    from visits.views import SUPERVISOR_PAGE_SIZE

    tasks = [make_task(building, grid_worker, n - 40) for n in range(SUPERVISOR_PAGE_SIZE + 2)]
    page = client_for(cadre).get(reverse("visittask_list")).context["page"]
    assert [task.pk for task in page.object_list] == [task.pk for task in tasks[:SUPERVISOR_PAGE_SIZE]]
    assert page.paginator.count == SUPERVISOR_PAGE_SIZE + 2


def test_leader_reads_tasks_without_log_buttons(client_for, leader, grid_worker, building):
    task = make_task(building, grid_worker, -1)
    text = client_for(leader).get(reverse("visittask_list")).text
    assert f'id="task-{task.pk}"' in text
    assert f"{reverse('visit_create')}?household=" not in text


@pytest.mark.parametrize("persona", ["grid_worker", "cadre"])
def test_task_list_queries_do_not_grow_with_rows(request, client_for, persona, grid_worker, building):
    user = request.getfixturevalue(persona)
    client = client_for(user)

    def count_queries():
        caches["figures"].clear()  # a supervisor's per-worker figures counted afresh, as on a cold cache
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("visittask_list")).status_code == 200
        return len(ctx)

    for n in range(3):
        make_task(building, grid_worker, n - 1)
    three = count_queries()
    for n in range(27):
        make_task(building, grid_worker, n - 10)
    assert count_queries() == three


def test_weekly_sheet_lists_who_to_visit_with_last_visit_and_open_requests(client_for, grid_worker, building):
    task = make_task(building, grid_worker, 2)
    VisitFactory(household=task.household, visited_at=timezone.now() - datetime.timedelta(days=200))
    ResidentRequestFactory(household=task.household, description="单元门禁坏了")
    far = make_task(building, grid_worker, 30)
    response = client_for(grid_worker).get(reverse("visit_sheet"), {"building": building.pk})
    assert response.status_code == 200
    assert task.household.room_code in response.text
    assert "单元门禁坏了" in response.text
    assert (timezone.localdate() - datetime.timedelta(days=200)).strftime("%Y-%m-%d") in response.text
    assert far.household.room_code not in response.text
    assert "css/visit_sheet.css" in response.text


def test_sheet_queries_do_not_grow_with_rows(client_for, grid_worker, building):
    client = client_for(grid_worker)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("visit_sheet"), {"building": building.pk})
        return len(ctx)

    for _ in range(3):
        ResidentRequestFactory(household=make_task(building, grid_worker, 1).household)
    three = count_queries()
    for _ in range(27):
        ResidentRequestFactory(household=make_task(building, grid_worker, 1).household)
    assert count_queries() == three


def test_sheet_of_other_grids_building_is_404(client_for, grid_worker, other_building):
    assert client_for(grid_worker).get(reverse("visit_sheet"), {"building": other_building.pk}).status_code == 404
    url = reverse("visit_backfill")
    assert client_for(grid_worker).get(url, {"building": other_building.pk}).status_code == 404


def backfill_data(rows, batch=None):
    data = {
        "batch": str(batch or uuid.uuid4()),
        "sheet-TOTAL_FORMS": str(len(rows)),
        "sheet-INITIAL_FORMS": str(len(rows)),
        "sheet-MIN_NUM_FORMS": "0",
        "sheet-MAX_NUM_FORMS": "500",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"sheet-{i}-{key}"] = value
    return data


def test_back_entry_records_several_visits_at_once(client_for, grid_worker, building):
    first, second, skipped = (make_task(building, grid_worker, 1) for _ in range(3))
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    rows = [
        {"household_id": first.household_id, "visited": "on", "visited_on": yesterday, "outcome": "met"},
        {"household_id": second.household_id, "visited": "on", "visited_on": yesterday, "outcome": "not_home"},
        {"household_id": skipped.household_id, "visited_on": "", "outcome": "met"},
    ]
    url = f"{reverse('visit_backfill')}?building={building.pk}"
    data = backfill_data(rows)
    response = client_for(grid_worker).post(url, data)
    assert response.status_code == 302
    assert Visit.objects.count() == 2
    first.refresh_from_db()
    assert first.state == VisitTask.State.DONE
    assert VisitTask.objects.filter(household=second.household, kind="revisit").exists()
    client_for(grid_worker).post(url, data)
    assert Visit.objects.count() == 2


def test_back_entry_with_one_bad_row_saves_nothing(client_for, grid_worker, building):
    good, bad = make_task(building, grid_worker, 1), make_task(building, grid_worker, 1)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    rows = [
        {
            "household_id": good.household_id,
            "visited": "on",
            "visited_on": timezone.localdate().isoformat(),
            "outcome": "met",
        },
        {"household_id": bad.household_id, "visited": "on", "visited_on": tomorrow, "outcome": "met"},
    ]
    url = f"{reverse('visit_backfill')}?building={building.pk}"
    response = client_for(grid_worker).post(url, backfill_data(rows))
    assert response.status_code == 200
    assert "不能晚于今天" in response.text
    assert not Visit.objects.exists()


def test_back_entry_refuses_a_household_not_on_the_sheet(client_for, grid_worker, building, other_household):
    rows = [
        {
            "household_id": other_household.pk,
            "visited": "on",
            "visited_on": timezone.localdate().isoformat(),
            "outcome": "met",
        }
    ]
    url = f"{reverse('visit_backfill')}?building={building.pk}"
    response = client_for(grid_worker).post(url, backfill_data(rows))
    assert response.status_code == 200
    assert not Visit.objects.exists()


def test_leader_cannot_back_enter(client_for, leader, building):
    url = f"{reverse('visit_backfill')}?building={building.pk}"
    assert client_for(leader).post(url, backfill_data([])).status_code == 403
