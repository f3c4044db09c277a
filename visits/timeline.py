"""The visits app's contribution to the household timeline: its visits and resident requests.

Two queries per household page, each bounded by `LIMIT`.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from households.timeline import TimelineEntry

from .models import ResidentRequest, Visit

LIMIT = 20


def visits_and_requests(household, user):
    """Timeline entries for the household's latest visits and requests (the caller has checked access)."""
    entries = []
    for visit in Visit.objects.filter(household=household).select_related("logged_by")[:LIMIT]:
        entries.append(
            TimelineEntry(
                at=visit.visited_at,
                kind="visit",
                title=_("走访：%(outcome)s（%(by)s）")
                % {"outcome": visit.get_outcome_display(), "by": visit.logged_by},
                detail=visit.findings[:120],
                url=reverse("visit_detail", args=[visit.pk]),
                icon="door-open",
            )
        )
    for request in ResidentRequest.objects.filter(household=household)[:LIMIT]:
        entries.append(
            TimelineEntry(
                at=request.created_at,
                kind="request",
                title=_("诉求：%(category)s · %(state)s")
                % {"category": request.get_category_display(), "state": request.get_state_display()},
                detail=request.description[:120],
                url=reverse("request_detail", args=[request.pk]),
                icon="chat-left-text",
            )
        )
    return entries
