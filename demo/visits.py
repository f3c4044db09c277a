"""Step `seed_visits` of `seed_demo`: visits, resident requests and grid01's open visit tasks.

Runs after `demo.households.seed_households`. About 70% of households get one to three visits spread over the
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
from core.bulk import adapt, copy_rows, next_pk, reset_sequences
from grids.models import StaffAssignment
from households.models import Household
from visits import kinds
from visits.models import RequestEvent, ResidentRequest, Visit, VisitTask
from visits.scheduling import refresh_visit_statuses
from visits.workdays import request_due_at

VISITED_SHARE = 0.7
HISTORY_DAYS = 240
OUTCOMES = [(Visit.Outcome.MET, 85), (Visit.Outcome.NOT_HOME, 11), (Visit.Outcome.REFUSED, 4)]
BATCH = 5000
# A visit's record: (问题, 处理措施, 反馈结果, 处理方式). Bulk-loaded visits bypass `log_visit`, which turns a
# problem taken back or reported into a request, so the history keeps to problems handled on the spot.
FINDINGS = [
    ("家中一切正常，老人身体硬朗。", "", "", ""),
    ("子女在外务工，老人独自生活。", "叮嘱按时服药，留下网格员电话。", "老人表示有事会打电话。", "on_the_spot"),
    ("不清楚供暖缴费时间。", "宣传了供暖缴费和燃气安全注意事项。", "居民已知晓。", "on_the_spot"),
    ("反映楼道灯不亮。", "当场联系物业电工。", "当天已修好。", "on_the_spot"),
    ("家中有残疾人，想了解康复补助。", "讲解申领条件和所需材料。", "居民准备材料后到社区办理。", "on_the_spot"),
    ("新搬入租户，尚未登记。", "已登记联系方式。", "", "on_the_spot"),
    ("", "", "", ""),
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
HOURS_PER_STEP = 6
# grid01's task list: days from today to each task's due date, and the kinds its tasks are of.
GRID01_TASK_DUE_IN = [-6, -3, -1, 0, 0, 2, 5, 9, 14, 21]
GRID01_TASK_KINDS = [kinds.ROUTINE, kinds.PRIORITY_GROUP, kinds.FOLLOW_UP]
VISIT_COLUMNS = (
    "id", "household_id", "visited_at", "logged_by_id", "purposes", "outcome", "problem", "measures", "feedback",
    "handling", "idempotency_key", "created_at",
)  # fmt: skip


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
    workers = Workers(street)

    homes = households.order_by("pk").values_list("pk", "building__grid_id", "building__grid__community_id")
    visits, visitors = _draw_visits(ctx.rng("visits"), homes, workers, start, now)
    copy_rows(Visit, VISIT_COLUMNS, visits)
    copy_rows(Visit.visitors.through, ("id", "visit_id", "user_id"), visitors)
    reset_sequences([Visit, Visit.visitors.through])
    ctx.log(f"走访记录 {len(visits)}（覆盖约 {VISITED_SHARE:.0%} 的居民户）")
    # Bulk-loaded visits bypass log_visit, so the per-household due dates (coverage "按期走访") are computed here.
    ctx.log(f"走访到期日 {refresh_visit_statuses()} 户")
    _seed_requests(ctx, street, workers, now)
    _seed_tasks(ctx, now)


class Workers:
    """Who works where on the demo street: the grid's workers, else the community's staff, else admin/cadre."""

    def __init__(self, street):
        self.by_node = {}
        assignments = StaffAssignment.objects.filter(
            Q(grid__community__street=street) | Q(community__street=street)
        ).select_related("user")
        for assignment in assignments:
            key = ("grid", assignment.grid_id) if assignment.grid_id else ("community", assignment.community_id)
            self.by_node.setdefault(key, []).append(assignment.user)
        self.fallback = User.objects.filter(username__in=["admin", "cadre"]).order_by("username").first()

    def of_grid(self, grid_id, community_id):
        return self.by_node.get(("grid", grid_id)) or self.of_community(community_id) or [self.fallback]

    def of_community(self, community_id):
        return self.by_node.get(("community", community_id))


def _draw_visits(rng, homes, workers, start, now):
    """Visit rows (in VISIT_COLUMNS order) and visitor rows for about VISITED_SHARE of `homes`."""
    outcomes, weights = [o.value for o, _w in OUTCOMES], [w for _o, w in OUTCOMES]
    purposes = {True: json.dumps([Visit.Purpose.ROUTINE.value]), False: json.dumps([Visit.Purpose.PRIORITY_CARE.value])}
    next_id, next_link = next_pk(Visit), next_pk(Visit.visitors.through)
    created_at = adapt(now)
    visits, visitors = [], []
    for household_id, grid_id, community_id in homes:
        if rng.random() >= VISITED_SHARE:
            continue
        candidates = workers.of_grid(grid_id, community_id)
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            worker = rng.choice(candidates)
            visited_at = adapt(start + datetime.timedelta(seconds=rng.randrange(HISTORY_DAYS * 86400)))
            purpose = purposes[rng.random() < 0.7]
            outcome = rng.choices(outcomes, weights=weights)[0]
            record = rng.choice(FINDINGS)
            if outcome == Visit.Outcome.NOT_HOME:
                record = FINDINGS[-1]
            key = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            visits.append((next_id, household_id, visited_at, worker.pk, purpose, outcome, *record, key, created_at))
            visitors.append((next_link, next_id, worker.pk))
            next_id, next_link = next_id + 1, next_link + 1
    return visits, visitors


def _seed_requests(ctx, street, workers, now):
    """REQUESTS_PER_STATE requests in the main community, each with the events of its walk through FLOW."""
    rng = ctx.rng("requests")
    main = street.communities.order_by("pk").first()
    candidates = list(
        Household.objects.filter(building__grid__community=main)
        .order_by("pk")
        .values_list("pk", "building__grid_id", "building__grid__community_id")
    )
    if not candidates:
        return
    drawn = [_draw_request(rng, state, candidates, workers, now) for state, count in REQUESTS_PER_STATE.items()
             for _ in range(count)]  # fmt: skip
    resident_requests = ResidentRequest.objects.bulk_create([resident_request for resident_request, _walk in drawn])
    events = [
        event
        for resident_request, (_request, walk) in zip(resident_requests, drawn, strict=True)
        for event in _events(resident_request, *walk)
    ]
    RequestEvent.objects.bulk_create(events, batch_size=BATCH)
    ctx.log(f"民情诉求 {len(resident_requests)}，办理记录 {len(events)}")


def _draw_request(rng, state, candidates, workers, now):
    """An unsaved request left at `state`, and its walk: (steps, registered at, cadre, worker)."""
    household_id, grid_id, community_id = rng.choice(candidates)
    grid_workers = workers.of_grid(grid_id, community_id)
    cadres = workers.of_community(community_id) or grid_workers
    urgency = rng.choices(list(ResidentRequest.Urgency.values), weights=[1, 6, 3])[0]
    created_at = now - datetime.timedelta(hours=rng.randint(1, 24 * 20))
    category, description = rng.choice(REQUESTS)
    steps = FLOW[: FLOW.index(state) + 1]
    assignee = rng.choice(grid_workers) if ResidentRequest.State.DISPATCHED in steps else None
    closed = state == ResidentRequest.State.CLOSED
    resident_request = ResidentRequest(
        household_id=household_id,
        category=category,
        description=description,
        channel=rng.choice(list(ResidentRequest.Channel.values)),
        urgency=urgency,
        due_at=request_due_at(urgency, created_at),
        state=state,
        assignee=assignee,
        satisfaction=rng.choice(["satisfied", "satisfied", "basic"]) if closed else "",
        created_by=rng.choice(grid_workers),
        created_at=created_at,
        closed_at=created_at + datetime.timedelta(hours=len(steps) * HOURS_PER_STEP) if closed else None,
    )
    walk = (steps, created_at, rng.choice(cadres), assignee or rng.choice(grid_workers))
    return resident_request, walk


def _events(resident_request, steps, created_at, cadre, worker):
    """One event per step, HOURS_PER_STEP apart: the registrar registers, the cadre accepts and dispatches,
    the worker does the rest."""
    events, previous = [], ""
    for index, state in enumerate(steps):
        by = cadre if state in (ResidentRequest.State.ACCEPTED, ResidentRequest.State.DISPATCHED) else worker
        events.append(
            RequestEvent(
                request=resident_request,
                from_state=previous,
                to_state=state,
                by=resident_request.created_by if index == 0 else by,
                at=created_at + datetime.timedelta(hours=index * HOURS_PER_STEP),
            )
        )
        previous = state
    return events


def _seed_tasks(ctx, now):
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
    tasks = [
        VisitTask(
            household_id=household_id,
            assignee=grid01,
            kind=rng.choice(GRID01_TASK_KINDS),
            earliest_on=today + datetime.timedelta(days=due_in - 14),
            due_on=today + datetime.timedelta(days=due_in),
            created_at=now,
        )
        for household_id, due_in in zip(chosen, GRID01_TASK_DUE_IN, strict=False)
    ]
    VisitTask.objects.bulk_create(tasks)
    overdue = sum(1 for t in tasks if t.due_on < today)
    ctx.log(f"grid01 待走访任务 {len(tasks)}（超期 {overdue}）")
