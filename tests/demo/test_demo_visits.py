import pytest
from django.utils import timezone

from demo.context import DemoContext
from demo.visits import seed_visits
from tests.factories import HouseholdFactory
from visits.models import RequestEvent, ResidentRequest, Visit, VisitStatus, VisitTask

pytestmark = pytest.mark.django_db


def test_demo_visits_requests_and_grid01_tasks_are_made_once(street, grid, building, grid_worker, cadre):
    for _ in range(40):
        HouseholdFactory(building=building)
    ctx = DemoContext(households=40, seed=7, log=lambda message: None)
    ctx.state["street"] = street
    seed_visits(ctx)

    visited = Visit.objects.values("household").distinct().count()
    assert 18 <= visited <= 38
    assert Visit.objects.filter(outcome=Visit.Outcome.NOT_HOME).exists()
    assert not Visit.objects.filter(visited_at__lt=timezone.now() - timezone.timedelta(days=241)).exists()
    assert Visit.visitors.through.objects.count() == Visit.objects.count()
    sample = Visit.objects.first()
    assert sample.purposes in (["routine"], ["priority_care"])
    assert sample.visitors.get() == sample.logged_by
    states = set(ResidentRequest.objects.values_list("state", flat=True))
    assert states == set(ResidentRequest.State.values)
    closed = ResidentRequest.objects.filter(state="closed").first()
    assert closed.events.count() == 6
    assert closed.satisfaction
    assert not ResidentRequest.objects.filter(state="dispatched", assignee=None).exists()
    mine = VisitTask.objects.open().filter(assignee=grid_worker)
    assert mine.filter(due_on__lt=timezone.localdate()).count() == 3
    # A routine task is late from the day its household's visit fell due, which may be before the task's own.
    assert mine.overdue(timezone.localdate()).count() >= 3
    assert VisitStatus.objects.count() == 40
    assert VisitStatus.objects.filter(last_visited_at__isnull=False).count() >= 10
    counts = (Visit.objects.count(), ResidentRequest.objects.count(), RequestEvent.objects.count(), mine.count())

    seed_visits(ctx)
    assert (
        Visit.objects.count(),
        ResidentRequest.objects.count(),
        RequestEvent.objects.count(),
        mine.count(),
    ) == counts
