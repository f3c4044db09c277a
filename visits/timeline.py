"""The visits app's contribution to the household timeline: its visits and resident requests.

Two queries per household page, each bounded by `LIMIT`. Each entry's `key` ("visit:<id>", "request:<id>")
lets another app's entry for the same event replace it (a heating inspection is saved as a visit: one line).
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
                detail=visit.summary[:120],
                url=reverse("visit_detail", args=[visit.pk]),
                icon="door-open",
                key=f"visit:{visit.pk}",
            )
        )
    for resident_request in ResidentRequest.objects.filter(household=household)[:LIMIT]:
        entries.append(
            TimelineEntry(
                at=resident_request.created_at,
                kind="request",
                title=_("诉求：%(category)s · %(state)s")
                % {"category": resident_request.get_category_display(), "state": resident_request.get_state_display()},
                detail=resident_request.description[:120],
                url=reverse("request_detail", args=[resident_request.pk]),
                icon="chat-left-text",
                key=f"request:{resident_request.pk}",
            )
        )
    return entries
