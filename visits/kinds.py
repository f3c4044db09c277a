"""Kinds of visit task: keys each app registers, so a later app adds kinds without a migration in visits.

    register_kind(TaskKind("heating_recheck", _("供暖复查"), purposes=("heating",)))

A visit completes an open task when one of the visit's purposes is among the kind's `purposes` (and the task's
window has opened). Routine kinds are the visit cycle's own: the nightly scheduler skips a household only while
it has an open routine task, and only routine kinds are created by it, so another app's tasks neither block nor
satisfy routine scheduling. A household has at most one open task of each kind (a unique constraint).

Cycle kinds (routine and priority group, the tasks the scheduler makes for a household whose visit falls due)
are late from the day the household's visit fell due (`VisitStatus.due_on`), however recently the task was
made; every other kind is late from its own due date (`VisitTaskQuerySet.overdue_q`).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.registry import Registry

from .purposes import Purpose


@dataclass(frozen=True)
class TaskKind:
    key: str
    label: str
    #: the visit purposes (`Visit.Purpose` values) that complete a task of this kind
    purposes: tuple[str, ...] = ()
    #: part of the routine visit cycle (see the module docstring)
    routine: bool = False
    #: stands for the household's visit cycle: late from the day its visit fell due (see the module docstring)
    cycle: bool = False
    #: the form a task of this kind is done with (`?household=<id>` is added), and its button's label
    url_name: str = "visit_create"
    action_label: str = ""


registry = Registry("visit task kinds")


def register_kind(kind):
    return registry.register(kind)


def kind_choices():
    """(key, label) of every registered kind, for forms and the admin."""
    return [(kind.key, kind.label) for kind in registry]


def action_of(key):
    """(url name, button label) of the form that does a task of this kind; the visit form for unknown keys."""
    kind = registry.get(key)
    if kind is None:
        return "visit_create", ""
    return kind.url_name, kind.action_label


def label_of(key):
    kind = registry.get(key)
    return kind.label if kind else key


def routine_keys():
    return [kind.key for kind in registry if kind.routine]


def cycle_keys():
    return [kind.key for kind in registry if kind.cycle]


def completed_by(purposes):
    """The keys of the kinds a visit with these purposes completes."""
    purposes = set(purposes)
    return [kind.key for kind in registry if purposes & set(kind.purposes)]


# Any visit of the ordinary cycle completes a routine task; a heating inspection or a dispute follow-up does not.
ROUTINE_PURPOSES = (
    Purpose.ROUTINE.value,
    Purpose.PRIORITY_CARE.value,
    Purpose.POLICY.value,
    Purpose.OTHER.value,
)

ROUTINE = register_kind(TaskKind("routine", _("例行走访"), ROUTINE_PURPOSES, routine=True, cycle=True)).key
PRIORITY_GROUP = register_kind(
    TaskKind("priority_group", _("重点人群走访"), ROUTINE_PURPOSES, routine=True, cycle=True)
).key
REVISIT = register_kind(TaskKind("revisit", _("未遇再访"), ROUTINE_PURPOSES, routine=True)).key
FOLLOW_UP = register_kind(TaskKind("follow_up", _("回访"), ROUTINE_PURPOSES, routine=True)).key
REQUEST_CHECK = register_kind(TaskKind("request_check", _("诉求核查"), ROUTINE_PURPOSES, routine=True)).key
