"""Demo visits, visit tasks and resident requests for `manage.py seed_demo` (step `visits.demo.seed_visits`).

Runs after `households.demo.seed_households`. About 70% of households get one to three visits spread over the
last eight months (some not at home, a few refused), a few dozen requests sit at every stage of the flow with
their recorded moves, and `grid01` finds open visit tasks waiting — some overdue, some today, some ahead.
The step does nothing when the street already has visits, which makes it idempotent. Bulk inserts, no history.
"""

import datetime
import json
import uuid

from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from grids.models import StaffAssignment
from households.demo import _insert, _next_id, _reset_sequences
from households.models import Household

from .jobs import refresh_visit_statuses
from .models import RequestEvent, ResidentRequest, Visit, VisitTask
from .workdays import request_due_at

VISITED_SHARE = 0.7
HISTORY_DAYS = 240
OUTCOMES = [(Visit.Outcome.MET, 85), (Visit.Outcome.NOT_HOME, 11), (Visit.Outcome.REFUSED, 4)]
BATCH = 5000
FINDINGS = [
    "家中一切正常，老人身体硬朗。",
    "了解到子女在外务工，老人独自生活，叮嘱按时服药。",
    "宣传了供暖缴费和燃气安全注意事项。",
    "反映楼道灯不亮，已记录。",
    "家中有残疾人，了解康复补助申领情况。",
    "新搬入租户，已登记联系方式。",
    "",
]
REQUESTS = [
    (ResidentRequest.Category.HEATING, "暖气片不热，室温只有十五度左右。"),
    (ResidentRequest.Category.REPAIR, "单元门禁坏了，晚上进出不方便。"),
    (ResidentRequest.Category.REPAIR, "楼顶漏水，雨天卧室墙面渗水。"),
    (ResidentRequest.Category.SANITATION, "楼下垃圾桶满了没人清理。"),
    (ResidentRequest.Category.EMPLOYMENT, "儿子失业在家，想了解社区公益岗位。"),
    (ResidentRequest.Category.NEIGHBOUR, "楼上装修噪音大，协商未果。"),
    (ResidentRequest.Category.POLICY, "咨询高龄补贴的申领条件。"),
    (ResidentRequest.Category.OTHER, "希望社区组织老年人智能手机培训。"),
]
# Requests to leave at each state of the flow (the rest of the walk is recorded as events).
REQUESTS_PER_STATE = {
    ResidentRequest.State.REGISTERED: 8,
    ResidentRequest.State.ACCEPTED: 6,
    ResidentRequest.State.DISPATCHED: 6,
    ResidentRequest.State.HANDLING: 6,
    ResidentRequest.State.VERIFYING: 4,
    ResidentRequest.State.CLOSED: 14,
}
FLOW = [
    ResidentRequest.State.REGISTERED,
    ResidentRequest.State.ACCEPTED,
    ResidentRequest.State.DISPATCHED,
    ResidentRequest.State.HANDLING,
    ResidentRequest.State.VERIFYING,
    ResidentRequest.State.CLOSED,
]
# grid01's task list: days from today to each task's due date.
GRID01_TASK_DUE_IN = [-6, -3, -1, 0, 0, 2, 5, 9, 14, 21]


def seed_visits(ctx):
    """Visits, requests and open tasks for the demo street (see the module docstring)."""
    street = ctx.state["street"]
    households = Household.objects.filter(building__grid__community__street=street)
    if Visit.objects.filter(household__in=households).exists():
        ctx.log("走访记录已存在，跳过")
        return
    now = timezone.now()
    start = now - datetime.timedelta(days=HISTORY_DAYS)
    # The portal went live before the first demo visit: no visit may predate its household's registration.
    households.filter(created_at__gt=start).update(created_at=start - datetime.timedelta(days=30))

    homes = list(households.order_by("pk").values_list("pk", "building__grid_id", "building__grid__community_id"))
    staff = _staff_by_node(street)
    fallback = User.objects.filter(username__in=["admin", "cadre"]).order_by("username").first()
    rng = ctx.rng("visits")
    outcomes, weights = [o.value for o, _w in OUTCOMES], [w for _o, w in OUTCOMES]
    purposes = {True: json.dumps([Visit.Purpose.ROUTINE.value]), False: json.dumps([Visit.Purpose.PRIORITY_CARE.value])}
    next_id, next_link = _next_id(Visit), _next_id(Visit.visitors.through)
    visits, visitors = [], []
    for household_id, grid_id, community_id in homes:
        if rng.random() >= VISITED_SHARE:
            continue
        workers = staff.get(("grid", grid_id)) or staff.get(("community", community_id)) or [fallback]
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            worker = rng.choice(workers)
            visits.append(
                (
                    next_id,
                    household_id,
                    start + datetime.timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400)),
                    worker.pk,
                    purposes[rng.random() < 0.7],
                    rng.choices(outcomes, weights=weights)[0],
                    rng.choice(FINDINGS),
                    uuid.UUID(int=rng.getrandbits(128), version=4).hex,
                    now,
                )
            )
            visitors.append((next_link, next_id, worker.pk))
            next_id, next_link = next_id + 1, next_link + 1
    fields = ("id", "household", "visited_at", "logged_by", "purposes", "outcome", "findings", "idempotency_key")
    _insert(Visit, (*fields, "created_at"), visits)
    _insert(Visit.visitors.through, ("id", "visit", "user"), visitors)
    _reset_sequences([Visit, Visit.visitors.through])
    ctx.log(f"走访记录 {len(visits)}（覆盖约 {VISITED_SHARE:.0%} 的居民户）")
    # Bulk-loaded visits bypass log_visit, so the per-household due dates (coverage "按期走访") are computed here.
    ctx.log(f"走访到期日 {refresh_visit_statuses()} 户")
    _seed_requests(ctx, street, staff, fallback, now)
    _seed_tasks(ctx, street, now)


def _staff_by_node(street):
    staff = {}
    assignments = StaffAssignment.objects.filter(
        Q(grid__community__street=street) | Q(community__street=street)
    ).select_related("user")
    for assignment in assignments:
        key = ("grid", assignment.grid_id) if assignment.grid_id else ("community", assignment.community_id)
        staff.setdefault(key, []).append(assignment.user)
    return staff


def _seed_requests(ctx, street, staff, fallback, now):
    rng = ctx.rng("requests")
    main = street.communities.order_by("pk").first()
    candidates = list(
        Household.objects.filter(building__grid__community=main)
        .order_by("pk")
        .values_list("pk", "building__grid_id", "building__grid__community_id")
    )
    if not candidates:
        return
    requests, walks = [], []
    for state, count in REQUESTS_PER_STATE.items():
        for _ in range(count):
            household_id, grid_id, community_id = rng.choice(candidates)
            workers = staff.get(("grid", grid_id)) or staff.get(("community", community_id)) or [fallback]
            cadres = staff.get(("community", community_id)) or workers
            urgency = rng.choices(list(ResidentRequest.Urgency.values), weights=[1, 6, 3])[0]
            created_at = now - datetime.timedelta(hours=rng.randint(1, 24 * 20))
            category, description = rng.choice(REQUESTS)
            steps = FLOW[: FLOW.index(state) + 1]
            assignee = rng.choice(workers) if ResidentRequest.State.DISPATCHED in steps else None
            closed = state == ResidentRequest.State.CLOSED
            requests.append(
                ResidentRequest(
                    household_id=household_id,
                    category=category,
                    description=description,
                    channel=rng.choice(list(ResidentRequest.Channel.values)),
                    urgency=urgency,
                    due_at=request_due_at(urgency, created_at),
                    state=state,
                    assignee=assignee,
                    satisfaction=rng.choice(["satisfied", "satisfied", "basic"]) if closed else "",
                    created_by=rng.choice(workers),
                    created_at=created_at,
                    closed_at=created_at + datetime.timedelta(hours=len(steps) * 6) if closed else None,
                )
            )
            walks.append((steps, created_at, rng.choice(cadres), assignee or rng.choice(workers)))
    ResidentRequest.objects.bulk_create(requests)
    events = []
    for request, (steps, created_at, cadre, worker) in zip(requests, walks, strict=True):
        previous = ""
        for index, state in enumerate(steps):
            by = cadre if state in (ResidentRequest.State.ACCEPTED, ResidentRequest.State.DISPATCHED) else worker
            events.append(
                RequestEvent(
                    request=request,
                    from_state=previous,
                    to_state=state,
                    by=request.created_by if index == 0 else by,
                    at=created_at + datetime.timedelta(hours=index * 6),
                )
            )
            previous = state
    RequestEvent.objects.bulk_create(events, batch_size=BATCH)
    ctx.log(f"民情诉求 {len(requests)}，办理记录 {len(events)}")


def _seed_tasks(ctx, street, now):
    """Open tasks for grid01 (overdue, today, upcoming) on households that have none yet."""
    grid01 = User.objects.filter(username="grid01").first()
    grid = StaffAssignment.objects.filter(user=grid01, grid__isnull=False).values_list("grid", flat=True).first()
    if grid01 is None or grid is None:
        return
    rng = ctx.rng("tasks")
    taken = VisitTask.objects.open().values("household")
    candidates = list(
        Household.objects.filter(building__grid=grid).exclude(pk__in=taken).order_by("pk").values_list("pk", flat=True)
    )
    today = timezone.localtime(now).date()
    chosen = rng.sample(candidates, min(len(candidates), len(GRID01_TASK_DUE_IN)))
    reasons = [VisitTask.Reason.ROUTINE, VisitTask.Reason.PRIORITY_GROUP, VisitTask.Reason.FOLLOW_UP]
    tasks = [
        VisitTask(
            household_id=household_id,
            assignee=grid01,
            reason=rng.choice(reasons),
            earliest_on=today + datetime.timedelta(days=due_in - 14),
            due_on=today + datetime.timedelta(days=due_in),
            created_at=now,
        )
        for household_id, due_in in zip(chosen, GRID01_TASK_DUE_IN, strict=False)
    ]
    VisitTask.objects.bulk_create(tasks)
    overdue = sum(1 for t in tasks if t.due_on < today)
    ctx.log(f"grid01 待走访任务 {len(tasks)}（超期 {overdue}）")
