"""Mediation's contribution to the household timeline: that the household is a party to a dispute, and its state
— never the facts or the other party (人民调解法 art. 15). A link to the dispute only for those who may read it.
One query per household page, bounded by `LIMIT`."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext as _

from households.timeline import TimelineEntry

from .models import Dispute

LIMIT = 20


def disputes(household, user):
    """Timeline entries for the disputes the household is a party to (the caller has checked access)."""
    readable = Dispute.objects.visible_to(user).filter(pk=OuterRef("pk"))
    rows = (
        Dispute.objects.counted_for(user)
        .filter(pk__in=Dispute.objects.filter(parties__household=household).values("pk"))
        .annotate(readable=Exists(readable))
        .only("pk", "state", "registered_at")[:LIMIT]
    )
    return [
        TimelineEntry(
            at=dispute.registered_at,
            kind="dispute",
            title=_("调解案件 · %(state)s") % {"state": dispute.get_state_display()},
            url=reverse("dispute_detail", args=[dispute.pk]) if dispute.readable else "",
            icon="people",
            key=f"dispute:{dispute.pk}",
        )
        for dispute in rows
    ]
