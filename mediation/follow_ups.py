"""Follow-ups (回访) on the mediator's task list, through `visits.task_sources` (registered from `mediation.apps`).

A party may have no household in the portal, so a follow-up is mediation's own record, not a visit task. Each
row names the dispute by its number and its parties by name: the assignee is one of the dispute's mediators, who
may read its content.
"""

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from visits.task_sources import TaskListSource, TaskRow

from .models import Dispute, FollowUp, Party


def follow_up_rows(user, today, limit):
    """The user's open follow-ups as task rows, due first, at most `limit` of them. Two queries."""
    follow_ups = (
        FollowUp.objects.open()
        .filter(assignee=user, dispute__in=Dispute.objects.visible_to(user))
        .select_related("dispute")
        .prefetch_related(Prefetch("dispute__parties", queryset=Party.objects.only("dispute_id", "name")))
        .order_by("due_on", "pk")[:limit]
    )
    return [
        TaskRow(
            due_on=follow_up.due_on,
            title=_("回访 · %(number)s") % {"number": follow_up.dispute.number},
            url=reverse("followup_record", args=[follow_up.pk]),
            detail="、".join(party.name for party in follow_up.dispute.parties.all()),
            kind_label=_("调解回访"),
            is_overdue=follow_up.due_on < today,
        )
        for follow_up in follow_ups
    ]


FOLLOW_UPS = TaskListSource(key="mediation_follow_ups", rows=follow_up_rows)
