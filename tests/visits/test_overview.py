"""The supervisor's landing page (`visits.overview`): figures on a hand-built street, scoping, links that lead
to as many rows as the figure says, and a query count that does not grow with the number of grids.

The street (`build_street`), "today" being the 15th of March 2026 in the unit tests:

- 金色嘉苑社区 — 东区第一网格 (grid01): h1–h4; 西区第一网格 (grid02): h5, h6;
- 银河社区 — 北区网格, no active grid worker: h7–h9.

Every expected figure below is counted by hand from these rows.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from grids.models import Community, forget_scope
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, UserFactory, assign
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import ResidentRequest, Visit, VisitStatus, VisitTask
from visits.overview import month_starts, overview_context

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 3, 15, 10, 0, tzinfo=SHANGHAI)


def _at(day, hour=12, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def build_street(*, now, community, grid, other_grid, grid_worker):
    """The hand-built street of this module's docstring, dated relative to `now`."""
    today = timezone.localdate(now)
    this_month = today.replace(day=1)
    last_month_end = this_month - datetime.timedelta(days=1)
    five_back = month_starts(today)[0]
    six_back = (five_back - datetime.timedelta(days=1)).replace(day=1)

    second = CommunityFactory(street=community.street, name="银河社区")
    north = GridFactory(community=second, name="北区网格")
    gone = UserFactory(username="gone", full_name="已离职", role=User.Role.GRID_WORKER)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    assign(gone, north)

    b1, b2, b3 = BuildingFactory(grid=grid), BuildingFactory(grid=other_grid), BuildingFactory(grid=north)
    h = {i: HouseholdFactory(building=b1) for i in (1, 2, 3, 4)}
    h.update({i: HouseholdFactory(building=b2) for i in (5, 6)})
    h.update({i: HouseholdFactory(building=b3) for i in (7, 8, 9)})

    # Visited within policy: h1, h2, h5, h7. h3's last counting visit is past its interval.
    for i, due in ((1, 30), (2, 30), (5, 10), (7, 1), (3, -2)):
        VisitStatus.objects.create(
            household=h[i],
            interval_days=180,
            last_visited_at=now - datetime.timedelta(days=100),
            due_on=today + datetime.timedelta(days=due),
            refreshed_at=now,
        )

    def visit(i, when, outcome=Visit.Outcome.MET):
        VisitFactory(household=h[i], logged_by=grid_worker, visited_at=when, outcome=outcome)

    # This month: h1 twice (one household), h2 refused just after local midnight of the 1st (still the
    # previous month in UTC), h3 not at home (does not count), h7.
    visit(1, _at(this_month, 0, 31))
    visit(1, _at(this_month, 0, 32))
    visit(2, _at(this_month, 0, 30), Visit.Outcome.REFUSED)
    visit(3, _at(this_month, 0, 33), Visit.Outcome.NOT_HOME)
    visit(7, _at(this_month, 0, 34))
    # Last month: h5 at 23:30 local on its last day.
    visit(5, _at(last_month_end, 23, 30))
    # Five months back (the oldest month shown): h4. Six months back (not shown): h6.
    visit(4, _at(five_back.replace(day=10)))
    visit(6, _at(six_back.replace(day=10)))

    # Tasks: overdue in 东区第一网格 3 — h1, h2 (unassigned) past their due date, h3's routine task because
    # h3's visit fell due two days ago — and in 北区网格 2 (unassigned); h9 unassigned, not overdue; h4 done.
    def task(i, due_in, assignee=None, **kwargs):
        due = today + datetime.timedelta(days=due_in)
        VisitTaskFactory(
            household=h[i],
            assignee=assignee,
            earliest_on=due - datetime.timedelta(days=20),
            due_on=due,
            **kwargs,
        )

    task(1, -5, grid_worker)
    task(2, -1)
    task(3, 5, grid_worker)
    task(4, -14, grid_worker, state=VisitTask.State.DONE)
    task(7, -14)
    task(8, -13)
    task(9, 15)

    # Requests: overdue r1 (repair, 东区第一网格) and r2 (heating, 西区第一网格); r3 closed; r4 due tomorrow.
    def resident_request(i, category, created_at, due_in_days, **kwargs):
        return ResidentRequestFactory(
            household=h[i],
            category=category,
            created_by=grid_worker,
            created_at=created_at,
            due_at=now + datetime.timedelta(days=due_in_days),
            **kwargs,
        )

    heating, repair = ResidentRequest.Category.HEATING, ResidentRequest.Category.REPAIR
    resident_request(1, repair, _at(last_month_end.replace(day=10)), -1, state=ResidentRequest.State.DISPATCHED)
    resident_request(5, heating, _at(this_month, 0, 40), -1)
    resident_request(
        6, heating, _at(this_month, 0, 41), -1, state=ResidentRequest.State.CLOSED, closed_at=_at(this_month, 9)
    )
    resident_request(6, heating, _at(this_month, 0, 42), 1)
    return {"north": north, "second": second, "households": h}


@pytest.fixture
def street_data(community, grid, other_grid, grid_worker, other_grid_worker):
    with time_machine.travel(NOW, tick=False):
        return build_street(now=NOW, community=community, grid=grid, other_grid=other_grid, grid_worker=grid_worker)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _overview(client, user):
    response = client.get(reverse("workbench"))
    assert response.status_code == 200
    return next((s.context for s in response.context["sections"] if s.template == "visits/_overview.html"), None)


def _dataset(context, label):
    return next(d["data"] for d in context["trend"]["datasets"] if d["label"] == label)


def test_leader_sees_each_community_with_figures_counted_by_hand(client_for, leader, street_data, frozen):
    context = _overview(client_for(leader), leader)

    assert context["by_community"] is True
    rows = {
        str(r["node"]): (r["node"].household_count, r["node"].visited_count, r["month_visited"])
        for r in context["rows"]
    }
    assert rows == {"金色嘉苑社区": (6, 3, 2), "银河社区": (3, 1, 1)}
    assert (context["households"], context["visited"]) == (9, 4)
    assert context["trend"]["labels"] == ["10月", "11月", "12月", "1月", "2月", "3月"]
    assert _dataset(context, "合计") == [11.1, 0.0, 0.0, 0.0, 11.1, 33.3]
    assert _dataset(context, "金色嘉苑社区") == [16.7, 0.0, 0.0, 0.0, 16.7, 33.3]
    assert _dataset(context, "银河社区") == [0.0, 0.0, 0.0, 0.0, 0.0, 33.3]

    overdue = context["overdue"]
    assert (overdue["tasks"], overdue["requests"]) == (5, 2)
    assert [(g["name"], g["tasks"], g["requests"]) for g in overdue["worst"]] == [
        ("东区第一网格", 3, 1),
        ("北区网格", 2, 0),
        ("西区第一网格", 0, 1),
    ]
    assert (context["backlog"]["total"], context["backlog"]["unassigned"]) == (6, 4)
    categories = {str(r["label"]): (r["open"], r["this_month"]) for r in context["requests"]["rows"]}
    assert categories["供暖"] == (2, 3)
    assert categories["物业维修"] == (1, 0)
    assert categories["就业"] == (0, 0)
    assert (context["requests"]["open"], context["requests"]["this_month"]) == (3, 3)
    assert [str(row["grid"]) for row in context["unstaffed"]] == ["北区网格"]


def test_leader_page_shows_the_figures(client_for, leader, street_data, frozen):
    text = client_for(leader).get(reverse("workbench")).text

    assert '<div class="fs-4 fw-bold coverage-low" id="overview-overdue-tasks">5</div>' in text
    assert '<div class="fs-4 fw-bold coverage-low" id="overview-overdue-requests">2</div>' in text
    assert '<div class="fs-4 fw-bold" id="overview-backlog">6</div>' in text
    assert '<span id="overview-visited">4</span> / <span id="overview-households">9</span>' in text
    assert '<div class="fs-4 fw-bold coverage-low" id="overview-unstaffed">1</div>' in text
    assert 'id="overview-trend-data"' in text and "chart.umd.min.js" in text and "js/overview.js" in text
    assert "我的走访" not in text


def test_cadre_sees_only_their_community_by_grid(client_for, cadre, street_data, frozen):
    context = _overview(client_for(cadre), cadre)

    assert context["by_community"] is False
    rows = {
        str(r["node"]): (r["node"].household_count, r["node"].visited_count, r["month_visited"])
        for r in context["rows"]
    }
    assert rows == {"东区第一网格": (4, 2, 2), "西区第一网格": (2, 1, 0)}
    assert _dataset(context, "合计") == [16.7, 0.0, 0.0, 0.0, 16.7, 33.3]
    assert _dataset(context, "东区第一网格") == [25.0, 0.0, 0.0, 0.0, 0.0, 50.0]
    assert _dataset(context, "西区第一网格") == [0.0, 0.0, 0.0, 0.0, 50.0, 0.0]
    assert [(g["name"], g["tasks"], g["requests"]) for g in context["overdue"]["worst"]] == [
        ("东区第一网格", 3, 1),
        ("西区第一网格", 0, 1),
    ]
    assert (context["backlog"]["total"], context["backlog"]["unassigned"]) == (3, 1)
    categories = {str(r["label"]): (r["open"], r["this_month"]) for r in context["requests"]["rows"]}
    assert categories["供暖"] == (2, 3) and categories["物业维修"] == (1, 0)
    assert context["unstaffed"] == []
    assert "银河社区" not in client_for(cadre).get(reverse("workbench")).text


@pytest.mark.parametrize("persona", ["grid_worker", "mediator"])
def test_people_who_do_not_supervise_get_no_overview_but_their_own_work(client_for, request, persona, street_data):
    user = request.getfixturevalue(persona)
    response = client_for(user).get(reverse("workbench"))
    assert _overview(client_for(user), user) is None
    assert "我的走访" in response.text
    assert 'id="overview"' not in response.text


def test_cadre_with_tasks_of_their_own_sees_them(client_for, cadre, street_data, frozen):
    household = street_data["households"][6]
    task = VisitTaskFactory(household=household, assignee=cadre, due_on=NOW.date() - datetime.timedelta(days=1))
    context = _overview(client_for(cadre), cadre)
    assert (context["mine"]["total"], context["mine"]["overdue"]) == (1, 1)
    response = client_for(cadre).get(context["mine"]["url"])
    assert f'id="task-{task.pk}"' in response.text


def _task_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def _request_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.context["page"].paginator.count


@pytest.mark.parametrize("persona", ["leader", "cadre"])
def test_every_figure_links_to_as_many_rows(client_for, request, persona, street_data, frozen):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    context = _overview(client, user)

    overdue = context["overdue"]
    assert _task_rows(client, overdue["tasks_url"]) == overdue["tasks"]
    assert _request_rows(client, overdue["requests_url"]) == overdue["requests"]
    for grid in overdue["worst"]:
        assert _task_rows(client, grid["tasks_url"]) == grid["tasks"]
        assert _request_rows(client, grid["requests_url"]) == grid["requests"]
    assert _task_rows(client, context["backlog"]["url"]) == context["backlog"]["total"]
    assert _task_rows(client, context["backlog"]["unassigned_url"]) == context["backlog"]["unassigned"]
    assert _request_rows(client, context["requests"]["open_url"]) == context["requests"]["open"]
    for row in context["requests"]["rows"]:
        assert _request_rows(client, row["open_url"]) == row["open"]
        assert _request_rows(client, row["this_month_url"]) == row["this_month"]
    for row in context["unstaffed"]:
        assert client.get(row["url"]).context["selected"] == row["grid"]


def test_grid_filters_stay_in_scope(client_for, cadre, leader, street_data, frozen):
    north = street_data["north"]
    ResidentRequestFactory(household=street_data["households"][7], created_by=leader)
    tasks = f"{reverse('visittask_list')}?grid={north.pk}&overdue=1"
    requests = f"{reverse('request_list')}?grid={north.pk}"
    assert (_task_rows(client_for(leader), tasks), _request_rows(client_for(leader), requests)) == (2, 1)
    client = client_for(cadre)
    assert _task_rows(client, tasks) == 0
    # Another community's grid is not a choice: the filter is ignored and the list holds only the cadre's rows.
    response = client.get(requests)
    assert "grid" in response.context["filter"].errors
    assert {r.household.building.grid.community_id for r in response.context["page"]} == {
        cadre.assignments.get().community_id
    }


def _add_grids(communities, n_grids, start=0):
    """`n_grids` grids shared among the communities, each with a household, a visit, an overdue task and an
    overdue request; a third of them without a worker."""
    worker = UserFactory(role=User.Role.GRID_WORKER)
    for i in range(start, start + n_grids):
        grid = GridFactory(community=communities[i % len(communities)], name=f"网格{i:02d}")
        if i % 3:
            assign(worker, grid)
        household = HouseholdFactory(building=BuildingFactory(grid=grid))
        VisitFactory(household=household, logged_by=worker, visited_at=NOW - datetime.timedelta(days=40 * (i % 5)))
        VisitTaskFactory(household=household, due_on=NOW.date() - datetime.timedelta(days=1))
        ResidentRequestFactory(household=household, created_by=worker, due_at=NOW - datetime.timedelta(hours=1))


@pytest.mark.parametrize("persona", ["leader", "cadre"])
def test_queries_do_not_grow_with_grids(client_for, request, persona, street, frozen):
    user = request.getfixturevalue(persona)
    client = client_for(user)

    def count_queries():
        caches["figures"].clear()
        forget_scope(user)  # a new request: the user's grids looked up again
        with CaptureQueriesContext(connection) as ctx:
            context = overview_context(user)
        return len(ctx), context

    if persona == "cadre":
        communities = list(user.assignments.values_list("community", flat=True))
        communities = [c for c in Community.objects.filter(pk__in=communities)]
    else:
        communities = [CommunityFactory(street=street, name=f"社区{i}") for i in range(3)]

    def page_queries():
        caches["figures"].clear()
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("workbench"))
        return len(ctx)

    _add_grids(communities, 3)
    three, small = count_queries()
    three_page = page_queries()
    _add_grids(communities, 27, start=3)
    thirty, large = count_queries()
    assert (len(small["overdue"]["worst"]), large["overdue"]["grid_count"]) == (3, 30)
    assert thirty == three
    assert three <= 11, three  # 9, the user's grids, and whether the nightly snapshot covers them (grids.snapshots)
    assert page_queries() == three_page


def test_month_starts_cross_the_year():
    assert month_starts(datetime.date(2026, 2, 28)) == [
        datetime.date(2025, 9, 1),
        datetime.date(2025, 10, 1),
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]


def test_cadres_coverage_page_labels_the_total_as_their_communitys(client_for, cadre, leader, street_data):
    cadre_text = client_for(cadre).get(reverse("coverage")).text
    assert "金色嘉苑社区合计 6 户" in cadre_text
    leader_text = client_for(leader).get(reverse("coverage")).text
    assert "合计" not in leader_text.split('id="street-')[1].split("</h2>")[0]
    assert "9 户" in leader_text


def _comparable(context):
    """The overview's figures, without the objects that carry them."""
    rows = [
        {name: value for name, value in vars(row["node"]).items() if name.endswith(("_count", "_share"))}
        | {"month_visited": row["month_visited"], "month_share": row["month_share"]}
        for row in context["rows"]
    ]
    return rows, context["trend"], context["households"], context["visited"]


@pytest.mark.parametrize("persona", ["leader", "cadre"])
def test_overview_from_the_nightly_snapshot_equals_the_live_count(request, persona, street_data, frozen):
    from grids.snapshots import take_snapshot

    user = request.getfixturevalue(persona)
    live = overview_context(user)
    assert live["figures_taken_at"] is None

    take_snapshot()
    caches["figures"].clear()  # the next morning
    nightly = overview_context(user)

    assert nightly["figures_taken_at"] is not None
    assert _comparable(nightly) == _comparable(live)


def test_overview_says_its_figures_are_last_nights(client_for, leader, street_data, frozen):
    from grids.snapshots import take_snapshot

    client = client_for(leader)
    assert "为每晚统计" not in client.get(reverse("workbench")).text
    take_snapshot()
    caches["figures"].clear()  # the next morning
    assert "为每晚统计" in client.get(reverse("workbench")).text


def test_a_community_of_many_grids_shows_those_furthest_behind(client_for, cadre, frozen):
    from visits.overview import SHOWN_ROWS, SHOWN_UNSTAFFED

    community = Community.objects.get(pk=cadre.assignments.get().community_id)
    n_grids = SHOWN_ROWS + 3
    _add_grids([community], n_grids)  # a third without a worker; visits 0, 40, 80 … days ago

    context = overview_context(cadre)
    assert (len(context["rows"]), context["row_count"]) == (SHOWN_ROWS, n_grids)
    shares = [row["node"].visited_share for row in context["rows"]]
    assert shares == sorted(shares)  # furthest behind first
    assert context["households"] == n_grids  # the totals count every grid
    assert len(context["trend"]["datasets"]) == SHOWN_ROWS + 1  # the total and the rows shown
    assert len(context["unstaffed_shown"]) == min(len(context["unstaffed"]), SHOWN_UNSTAFFED)

    text = client_for(cadre).get(reverse("workbench")).text
    assert "overview-nodes-more" in text


def test_the_scopes_figures_are_counted_once_in_a_few_minutes_and_say_when(client_for, cadre, grid_worker, frozen):
    grid = grid_worker.assignments.get().grid
    VisitTaskFactory(household=HouseholdFactory(building__grid=grid), due_on=NOW.date() - datetime.timedelta(days=1))
    first = overview_context(cadre)
    VisitTaskFactory(household=HouseholdFactory(building__grid=grid), due_on=NOW.date() - datetime.timedelta(days=2))

    with CaptureQueriesContext(connection) as ctx:
        kept = overview_context(cadre)

    assert kept["overdue"]["tasks"] == first["overdue"]["tasks"] == 1
    assert kept["counted_at"] == first["counted_at"]
    assert len(ctx) <= 2  # the scope and the user's own tasks
    page = client_for(cadre).get(reverse("workbench")).content.decode()
    assert f"数字截至 {timezone.localtime(first['counted_at']):%H:%M}" in page

    assert 'id="overview-overdue-tasks">1<' in page  # the kept figures' kept markup

    caches["figures"].clear()  # what FIGURES_CACHE_SECONDS later brings
    assert overview_context(cadre)["overdue"]["tasks"] == 2
    assert 'id="overview-overdue-tasks">2<' in client_for(cadre).get(reverse("workbench")).text
