"""Fetching heating records by id from a request: the object, or 404 when out of scope."""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import HeatingInspection, HeatingTicket


def access_inspection(user, pk):
    """The inspection with this id if its household is visible to the user; otherwise Http404."""
    inspections = HeatingInspection.objects.visible_to(user).select_related(
        "household__building__grid", "season", "visit", "inspected_by", "ticket__company"
    )
    return get_object_or_404(inspections, pk=pk)


def access_ticket(user, pk):
    """The heating ticket with this id (annotated `is_overdue` now) if its household is visible to the user;
    otherwise Http404."""
    tickets = (
        HeatingTicket.objects.visible_to(user)
        .with_overdue(timezone.now())
        .select_related("household__building__grid__community", "company", "season", "created_by")
    )
    return get_object_or_404(tickets, pk=pk)
