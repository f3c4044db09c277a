"""Who works a grid and who answers for it: the one home of these rules.

- grid workers: active users with the 网格员 role assigned to the grid itself (they get its visit tasks);
- who gets a grid's visit tasks: its grid workers; a grid without one sends them to its 网格长, else to the
  cadres assigned to its community (`task_assignees_of`), and is flagged as unstaffed (coverage, admin);
- the staff of a grid: active users assigned to the grid or to its community (who may come along on a visit,
  who may be sent a resident request);
- the people who answer for a grid: its 网格长, else the community's responsible person, else the cadres
  assigned to the community. When the person who is late is the one who answers, it climbs a level, so a
  reminder never goes to the person it is about.

Coverage counts grid workers with `grid_worker_assignments`, the scheduler balances them, escalations and
later apps (heating tickets, mediation reminders) find the people who answer for a grid here.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Q

from .models import Grid, StaffAssignment

GRID_WORKER = "grid_worker"
CADRE = "cadre"


def cadres_of(community_ids):
    """{community id: [user ids]} of the active cadres assigned to each community, in user-id order: one query."""
    cadres = defaultdict(list)
    rows = (
        StaffAssignment.objects.filter(community_id__in=community_ids, user__role=CADRE, user__is_active=True)
        .order_by("user_id")
        .values_list("community_id", "user_id")
    )
    for community_id, user_id in rows:
        cadres[community_id].append(user_id)
    return cadres


def grid_worker_assignments():
    """The StaffAssignment rows that make someone a grid worker of a grid (active 网格员 on a grid)."""
    return StaffAssignment.objects.filter(grid__isnull=False, user__is_active=True, user__role=GRID_WORKER)


def grid_workers_of(grid_ids=None):
    """{grid id: [user ids]} of the grid workers of these grids (every grid when None), in one query."""
    assignments = grid_worker_assignments()
    if grid_ids is not None:
        assignments = assignments.filter(grid__in=grid_ids)
    workers = defaultdict(list)
    for grid_id, user_id in assignments.order_by("grid_id", "user_id").values_list("grid_id", "user_id"):
        workers[grid_id].append(user_id)
    return workers


def task_assignees_of(grid_ids=None):
    """{grid id: [user ids]} of who gets the visit tasks of these grids (every grid when None): the grid
    workers; for a grid without one its active 网格长, else the active cadres of its community. Three queries."""
    workers = grid_workers_of(grid_ids)
    grids = Grid.objects.exclude(pk__in=list(workers))
    if grid_ids is not None:
        grids = grids.filter(pk__in=grid_ids)
    unstaffed = list(grids.values_list("pk", "leader_id", "leader__is_active", "community_id").order_by("pk"))
    if not unstaffed:
        return workers
    cadres = cadres_of({row[3] for row in unstaffed})
    for grid_id, leader_id, leader_active, community_id in unstaffed:
        people = [leader_id] if leader_id and leader_active else cadres[community_id]
        if people:
            workers[grid_id] = list(people)
    return workers


def staff_of_grid(grid):
    """Active staff assigned to this grid or to its community, as a User queryset ordered by name."""
    return (
        get_user_model()
        .objects.filter(Q(assignments__grid=grid) | Q(assignments__community=grid.community_id), is_active=True)
        .distinct()
        .order_by("full_name", "username")
    )


@dataclass(frozen=True)
class Answerable:
    """The people who answer for one grid, level by level: 网格长, community responsible, community cadres."""

    leader: int | None = None
    responsible: int | None = None
    cadres: tuple[int, ...] = field(default=())

    def people(self, *, late=()):
        """User ids to tell about this grid: the first level with someone who is not among `late`."""
        late = set(late)
        for level in ([self.leader], [self.responsible], list(self.cadres)):
            people = [user_id for user_id in level if user_id is not None and user_id not in late]
            if people:
                return people
        return []


def answerable_for(grid_ids):
    """{grid id: Answerable} for these grids, in two queries."""
    grids = list(
        Grid.objects.filter(pk__in=grid_ids).values_list("pk", "leader_id", "community_id", "community__responsible_id")
    )
    cadres = cadres_of({row[2] for row in grids})
    return {
        grid_id: Answerable(leader_id, responsible_id, tuple(cadres[community_id]))
        for grid_id, leader_id, community_id, responsible_id in grids
    }
