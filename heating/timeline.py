"""Heating's contribution to the household timeline: one line per inspection, standing in for the plain visit the
inspection was saved as (`replaces=("visit:<id>",)`). One query per household page, bounded by `LIMIT`."""

from django.urls import reverse
from django.utils.translation import gettext as _

from households.timeline import TimelineEntry

from .models import HeatingInspection

LIMIT = 20


def inspections(household, user):
    """Timeline entries for the household's latest inspections (the caller has checked access)."""
    entries = []
    for inspection in HeatingInspection.objects.filter(household=household).select_related("inspected_by")[:LIMIT]:
        state = _("低于标准") if inspection.below_standard else _("达标")
        if inspection.lowest_celsius is None:
            title = _("入户测温：%(state)s（%(by)s）") % {"state": state, "by": inspection.inspected_by}
        else:
            title = _("入户测温：最低 %(celsius)s ℃，%(state)s（%(by)s）") % {
                "celsius": inspection.lowest_celsius,
                "state": state,
                "by": inspection.inspected_by,
            }
        entries.append(
            TimelineEntry(
                at=inspection.inspected_at,
                kind="inspection",
                title=title,
                detail=inspection.advice[:120],
                url=reverse("inspection_detail", args=[inspection.pk]),
                icon="thermometer-half",
                key=f"inspection:{inspection.pk}",
                replaces=(f"visit:{inspection.visit_id}",),
            )
        )
    return entries
