"""Fetching mediation records by id from a request: the object, or 404 when out of scope.

Every mediation URL goes through one of these. Content (parties, facts, sessions, agreement, follow-ups) needs
`Dispute.objects.visible_to`; a 404 — never a 403 — for anyone else, so the existence of a confidential
dispute does not leak.
"""

from django.shortcuts import get_object_or_404

from .models import Dispute, FollowUp, WatchItem


def access_dispute(user, pk):
    """The dispute with this id if the user may read its content; otherwise Http404."""
    disputes = Dispute.objects.visible_to(user).select_related("community", "grid", "registered_by")
    return get_object_or_404(disputes, pk=pk)


def access_follow_up(user, pk):
    """The follow-up with this id if the user may read its dispute; otherwise Http404."""
    follow_ups = FollowUp.objects.filter(dispute__in=Dispute.objects.visible_to(user)).select_related(
        "dispute", "assignee"
    )
    return get_object_or_404(follow_ups, pk=pk)


def access_watch_item(user, pk):
    """The watch item with this id if it belongs to a committee the user mediates for or manages; else Http404."""
    items = WatchItem.objects.visible_to(user).select_related(
        "community", "household_a__building", "household_b__building"
    )
    return get_object_or_404(items, pk=pk)
