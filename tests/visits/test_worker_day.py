"""A grid worker's real day (issue 7): lateness in days, a day sized by the grid's daily visits, the backlog,
escalation counted from assignment and never to the late person, grids without a worker."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from grids.staffing import answerable_for, task_assignees_of
from households.models import Household, PriorityGroup
from tests.factories import (
    BuildingFactory,
    CommunityFactory,
    HouseholdFactory,
    ResidentFactory,
    UserFactory,
    assign,
)
from tests.visits.factories import VisitTaskFactory
from visits import day, kinds, reminders, scheduling
from visits.models import HANDOVER_DAYS, VisitStatus, VisitTask
from visits.services import open_visit_task

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 30)
REGISTERED_AT = NOW - datetime.timedelta(days=400)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def days(n):
    return datetime.timedelta(days=n)


def task_for(building, assignee, *, late=0, kind=kinds.ROUTINE, unit=1, floor=1, room="101", due_on=TODAY, **kwargs):
    """An open task whose household's visit fell due `late` days ago (its VisitStatus)."""
    household = HouseholdFactory(building=building, unit=unit, floor=floor, room=room, created_at=REGISTERED_AT)
    ResidentFactory(household=household, name="孔繁森")
    VisitStatus.objects.create(
        household=household, interval_days=182, due_on=TODAY - days(late), refreshed_at=timezone.now()
    )
    kwargs.setdefault("earliest_on", min(TODAY, due_on))
    return VisitTaskFactory(household=household, assignee=assignee, kind=kind, due_on=due_on, **kwargs)


def lateness_of(task):
    return VisitTask.objects.with_lateness(TODAY).get(pk=task.pk).days_late


# --- Lateness ----------------------------------------------------------------------------------------------


def test_routine_task_is_late_from_the_day_the_households_visit_fell_due(building, grid_worker):
    task = task_for(building, grid_worker, late=95)  # made tonight, due today, but the household is 95 days late
    assert lateness_of(task) == 95
    assert list(VisitTask.objects.overdue(TODAY)) == [task]
    annotated = VisitTask.objects.with_overdue(TODAY).get(pk=task.pk)
    assert (annotated.is_overdue, annotated.bucket) == (True, "overdue")


def test_priority_group_task_is_late_from_its_households_status_too(building, grid_worker):
    assert lateness_of(task_for(building, grid_worker, late=12, kind=kinds.PRIORITY_GROUP)) == 12


def test_other_kinds_are_late_from_their_own_due_date(building, grid_worker):
    follow_up = task_for(building, grid_worker, late=95, kind=kinds.FOLLOW_UP, due_on=TODAY - days(2))
    revisit = task_for(building, grid_worker, late=95, kind=kinds.REVISIT, room="102", due_on=TODAY + days(1))
    assert (lateness_of(follow_up), lateness_of(revisit)) == (2, 0)
    assert list(VisitTask.objects.overdue(TODAY)) == [follow_up]


def test_task_without_a_status_row_is_late_from_its_due_date(household, grid_worker):
    task = VisitTaskFactory(household=household, assignee=grid_worker, due_on=TODAY - days(4))
    assert lateness_of(task) == 4


def test_a_household_never_visited_is_late_from_its_registration_not_due_today_every_night(building, grid_worker):
    household = HouseholdFactory(building=building, created_at=REGISTERED_AT)
    scheduling.schedule_visits()
    scheduling.schedule_visits(today=TODAY + days(1))
    assert VisitStatus.objects.get(household=household).due_on == timezone.localdate(REGISTERED_AT)
    assert lateness_of(VisitTask.objects.get(household=household)) == 400


def test_task_list_shows_lateness_in_days(client_for, grid_worker, building):
    task = task_for(building, grid_worker, late=37)
    text = client_for(grid_worker).get(reverse("visittask_list")).text
    start = text.index(f'id="task-{task.pk}"')
    assert "逾期 37 天" in text[start : text.index("</li>", start)]


# --- The sized day -----------------------------------------------------------------------------------------


@pytest.fixture
def walk(grid, grid_worker):
    """Five tasks in 2号楼 and 10号楼 for a grid whose worker makes three visits a day."""
    grid.daily_visits = 3
    grid.save()
    two, ten = BuildingFactory(grid=grid, number="2"), BuildingFactory(grid=grid, number="10")
    return {
        "ten_ordinary_50": task_for(ten, grid_worker, late=50, unit=1, room="101"),
        "two_priority_5": task_for(two, grid_worker, late=5, kind=kinds.PRIORITY_GROUP, unit=1, room="301"),
        "ten_priority_2": task_for(ten, grid_worker, late=2, kind=kinds.PRIORITY_GROUP, unit=2, room="201"),
        "two_ordinary_10": task_for(two, grid_worker, late=10, unit=1, room="101"),
        "two_not_due": task_for(two, grid_worker, late=-5, unit=3, room="501", due_on=TODAY + days(5)),
    }


def test_the_day_picks_n_by_priority_group_then_lateness_and_lists_them_by_building(walk, grid_worker):
    the_day = day.day_for(grid_worker, VisitTask.objects.open().filter(assignee=grid_worker), TODAY)

    # Picked: both priority-group households, then the latest ordinary one (50 days) — not the 10-day one.
    # Listed for walking: 2号楼 before 10号楼, then unit and room.
    assert [t.pk for t in the_day.tasks] == [
        walk["two_priority_5"].pk,
        walk["ten_ordinary_50"].pk,
        walk["ten_priority_2"].pk,
    ]
    assert (the_day.capacity, the_day.backlog_count, the_day.late_count) == (3, 2, 4)


def test_backlog_is_a_figure_on_the_list_and_its_own_view_most_urgent_first(client_for, walk, grid_worker):
    client = client_for(grid_worker)
    response = client.get(reverse("visittask_list"))
    assert len(response.context["day"].tasks) == 3
    assert '<span class="badge text-bg-light" id="backlog-count">2</span>' in response.text
    assert "待走访 5 户，其中逾期 4 户。每天走访 3 户，今天已完成 0 户，其余 2 户为积压。" in response.text
    assert f'id="task-{walk["two_ordinary_10"].pk}"' not in response.text

    backlog = client.get(reverse("visittask_list"), {"view": "backlog"})
    assert [t.pk for t in backlog.context["page"].object_list] == [walk["two_ordinary_10"].pk, walk["two_not_due"].pk]


def test_visits_done_today_leave_room_for_fewer(walk, grid_worker):
    VisitTask.objects.filter(pk=walk["two_priority_5"].pk).update(state=VisitTask.State.DONE, completed_at=NOW)
    the_day = day.day_for(grid_worker, VisitTask.objects.open().filter(assignee=grid_worker), TODAY)
    assert (the_day.done, len(the_day.tasks), the_day.backlog_count) == (1, 2, 2)


def test_a_window_not_yet_open_is_never_today(building, grid, grid_worker):
    task_for(building, grid_worker, late=3, kind=kinds.FOLLOW_UP, earliest_on=TODAY + days(2), due_on=TODAY + days(9))
    the_day = day.day_for(grid_worker, VisitTask.objects.open(), TODAY)
    assert (the_day.tasks, the_day.backlog_count) == ([], 1)


def test_supervisor_sees_per_worker_backlog_and_a_workers_day(client_for, cadre, walk, grid_worker):
    response = client_for(cadre).get(reverse("visittask_list"))
    row = next(row for row in response.context["by_worker"] if row["assignee"] == grid_worker.pk)
    assert (row["open_count"], row["late_count"], row["backlog"]) == (5, 4, 2)
    assert response.context["day"] is None

    theirs = client_for(cadre).get(reverse("visittask_list"), {"worker": grid_worker.pk})
    assert len(theirs.context["day"].tasks) == 3


def test_a_supervisor_picks_a_grid_before_a_building(client_for, cadre, walk, grid, other_grid):
    page = client_for(cadre).get(reverse("visittask_list"))
    assert page.context["buildings"] is None
    assert {pk for pk, _community, _name in page.context["grids"]} == {grid.pk, other_grid.pk}  # the cadre's community
    assert 'id="task-grid"' in page.text and 'id="task-building"' not in page.text

    narrowed = client_for(cadre).get(reverse("visittask_list"), {"grid": grid.pk})
    assert {b.pk for b in narrowed.context["buildings"]} == {t.household.building_id for t in walk.values()}
    assert f'<input type="hidden" name="grid" value="{grid.pk}">' in narrowed.text


def test_a_supervisor_sees_the_workers_with_most_late_tasks_first_and_can_ask_for_all(
    client_for, cadre, grid, building, monkeypatch
):
    from visits import views

    monkeypatch.setattr(views, "WORKERS_SHOWN", 2)
    workers = []
    for n in range(3):
        workers.append(UserFactory(username=f"worker{n}", full_name=f"网格员{n}", role=User.Role.GRID_WORKER))
        assign(workers[-1], grid)
        for room in range(n + 1):
            task_for(building, workers[-1], late=5, unit=n + 1, room=f"{room}01")

    def listed(params):
        text = client_for(cadre).get(reverse("visittask_list"), params).text
        return [f'href="?worker={worker.pk}"' in text for worker in workers], text

    shown, text = listed({})
    assert shown == [False, True, True]  # the two with the most late tasks
    assert "显示全部 3 名" in text
    assert listed({"workers": "all"})[0] == [True, True, True]


def test_another_grids_worker_and_another_communitys_cadre_see_none_of_the_day(client_for, walk, other_grid_worker):
    for params in ({}, {"view": "backlog"}, {"worker": walk["two_not_due"].assignee_id, "view": "backlog"}):
        text = client_for(other_grid_worker).get(reverse("visittask_list"), params).text
        assert not any(f'id="task-{task.pk}"' in text for task in walk.values())
    elsewhere = CommunityFactory(street=walk["two_not_due"].household.building.grid.community.street)
    stranger = UserFactory(username="cadre2", role=User.Role.CADRE)
    assign(stranger, elsewhere)
    response = client_for(stranger).get(reverse("visittask_list"), {"worker": walk["two_not_due"].assignee_id})
    assert response.status_code == 200
    assert response.context["day"] is None and list(response.context["page"].object_list) == []


@pytest.mark.parametrize("params", [{}, {"view": "backlog"}])
def test_day_and_backlog_queries_do_not_grow_with_rows(client_for, grid, grid_worker, building, params):
    grid.daily_visits = 2  # a backlog at 3 rows as at 30
    grid.save()
    client = client_for(grid_worker)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("visittask_list"), params).status_code == 200
        return len(ctx)

    for n in range(3):
        task_for(building, grid_worker, late=n, room=f"1{n:02d}")
    three = count_queries()
    for n in range(3, 30):
        task_for(building, grid_worker, late=n, kind=kinds.PRIORITY_GROUP if n % 2 else kinds.ROUTINE, room=f"2{n:02d}")
    assert count_queries() == three


# --- Escalation --------------------------------------------------------------------------------------------


def test_escalation_counts_from_when_the_task_was_assigned(building, grid, grid_worker, cadre):
    grid.leader = cadre
    grid.save()
    inherited = task_for(building, grid_worker, late=120, due_on=TODAY - days(1), assigned_at=NOW - days(2))
    held = task_for(building, grid_worker, late=30, room="102", due_on=TODAY - days(1), assigned_at=NOW - days(9))
    follow_up_today = task_for(
        building, grid_worker, kind=kinds.FOLLOW_UP, room="103", due_on=TODAY - days(3), assigned_at=NOW
    )
    follow_up_held = task_for(
        building, grid_worker, kind=kinds.FOLLOW_UP, room="104", due_on=TODAY - days(3), assigned_at=NOW - days(1)
    )

    assert reminders.escalate_overdue()["visit_tasks"] == 2

    flagged = set(VisitTask.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))
    assert flagged == {held.pk, follow_up_held.pk}
    assert not {inherited.pk, follow_up_today.pk} & flagged
    # Held for more than a week since it was handed over, the inherited task is the worker's to answer for;
    # the follow-up handed over today, from the next day.
    with time_machine.travel(NOW + days(HANDOVER_DAYS - 2), tick=False):
        assert reminders.escalate_overdue()["visit_tasks"] == 1
        assert VisitTask.objects.get(pk=follow_up_today.pk).escalated_at is not None
    with time_machine.travel(NOW + days(HANDOVER_DAYS - 1), tick=False):
        assert reminders.escalate_overdue()["visit_tasks"] == 1
        assert VisitTask.objects.get(pk=inherited.pk).escalated_at is not None


def test_reassigning_a_task_restarts_its_clock(building, grid_worker, other_grid_worker):
    task = task_for(building, grid_worker, kind=kinds.FOLLOW_UP, due_on=TODAY - days(5), assigned_at=NOW - days(20))
    task.escalated_at = NOW - days(4)
    task.save()
    task.assign_to(other_grid_worker)
    task.refresh_from_db()
    assert (task.assigned_at, task.escalated_at) == (NOW, None)
    assert not VisitTask.objects.filter(VisitTask.objects.escalation_q(TODAY)).exists()


def test_the_backlog_reaches_the_next_level_as_one_figure_not_one_message_per_task(building, community, grid_worker):
    """grid01 is both the grid worker and the 网格长: the escalation climbs to the community, in one message."""
    grid = building.grid
    grid.leader = grid_worker
    grid.save()
    responsible = UserFactory(username="shequ", full_name="社区书记", role=User.Role.CADRE)
    community.responsible = responsible
    community.save()
    for n in range(30):
        task_for(building, grid_worker, late=60, room=f"{n + 100}", due_on=TODAY - days(1), assigned_at=NOW - days(30))

    result = reminders.escalate_overdue()

    assert result["visit_tasks"] == 30 and result["notifications"] == 1
    notification = Notification.objects.get()
    assert notification.user == responsible
    assert "超期走访 30 户" in notification.body and "张立平" in notification.body
    assert not Notification.objects.filter(user=grid_worker).exists()


def test_answerable_people_climb_leader_then_responsible_then_cadres(grid, community, grid_worker, cadre):
    grid.leader = grid_worker
    grid.save()
    answerable = answerable_for([grid.pk])[grid.pk]
    assert answerable.people() == [grid_worker.pk]
    assert answerable.people(late=[grid_worker.pk]) == [cadre.pk]  # no responsible person: the cadres
    responsible = UserFactory(username="shequ", role=User.Role.CADRE)
    community.responsible = responsible
    community.save()
    answerable = answerable_for([grid.pk])[grid.pk]
    assert answerable.people(late=[grid_worker.pk]) == [responsible.pk]
    assert answerable.people(late=[grid_worker.pk, responsible.pk]) == [cadre.pk]


# --- Grids without a worker --------------------------------------------------------------------------------


def test_grid_without_a_worker_sends_its_tasks_to_its_leader(building, grid, cadre):
    leader = UserFactory(username="wangge", role=User.Role.CADRE)
    grid.leader = leader
    grid.save()
    HouseholdFactory.create_batch(3, building=building, created_at=REGISTERED_AT)
    scheduling.schedule_visits()
    assert set(VisitTask.objects.values_list("assignee", flat=True)) == {leader.pk}
    assert set(VisitTask.objects.values_list("assigned_at", flat=True)) == {NOW}


def test_grid_without_a_worker_or_leader_shares_its_tasks_among_the_community_cadres(building, community, cadre):
    second = UserFactory(username="cadre-b", role=User.Role.CADRE)
    assign(second, community)
    HouseholdFactory.create_batch(4, building=building, created_at=REGISTERED_AT)
    scheduling.schedule_visits()
    loads = sorted(VisitTask.objects.values_list("assignee", flat=True))
    assert loads == sorted([cadre.pk, cadre.pk, second.pk, second.pk])


def test_open_visit_task_on_an_unstaffed_grid_goes_to_the_cadres(household, cadre):
    task, created = open_visit_task(household=household, kind=kinds.FOLLOW_UP, due_on=TODAY + days(3))
    assert created and task.assignee == cadre


def test_a_staffed_grid_keeps_its_workers_and_an_inactive_leader_is_passed_over(grid, other_grid, grid_worker, cadre):
    gone = UserFactory(username="gone", role=User.Role.CADRE, is_active=False)
    other_grid.leader = gone
    other_grid.save()
    assert task_assignees_of([grid.pk, other_grid.pk]) == {grid.pk: [grid_worker.pk], other_grid.pk: [cadre.pk]}


def test_coverage_page_and_admin_flag_the_unstaffed_grid(client_for, cadre, admin_user, grid, other_grid, grid_worker):
    text = client_for(cadre).get(reverse("coverage")).text
    other_row = text[text.index(f"?grid={other_grid.pk}#grid-detail") :]
    assert "无网格员" in other_row[: other_row.index("</li>")]
    own_row = text[text.index(f"?grid={grid.pk}#grid-detail") :]
    assert "无网格员" not in own_row[: own_row.index("</li>")]

    admin = client_for(admin_user)
    changelist = reverse("admin:grids_grid_changelist")
    unstaffed = admin.get(changelist, {"staffed": "no"})
    assert list(unstaffed.context["cl"].result_list) == [other_grid]
    assert "0（无网格员）" in unstaffed.text
    assert list(admin.get(changelist, {"staffed": "yes"}).context["cl"].result_list) == [grid]


def test_priority_group_households_and_the_new_groups_get_monthly_tasks(building, grid_worker):
    migrant = HouseholdFactory(building=building, created_at=REGISTERED_AT)
    ResidentFactory(household=migrant).priority_groups.add(PriorityGroup.objects.get(name="流动人口"))
    scheduling.schedule_visits()
    assert VisitTask.objects.get(household=migrant).kind == kinds.PRIORITY_GROUP
    assert VisitStatus.objects.get(household=migrant).interval_days == 30
    assert Household.objects.count() == 1
