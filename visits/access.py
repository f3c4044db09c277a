"""Fetching visits, visit tasks and resident requests by id from a request: the object, or 404 when out of scope.

Writing is a separate check (`accounts.access.require_write`): street leaders see everything and change nothing.
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from households.models import Household

from .models import ResidentRequest, Visit, VisitTask


def access_visit(user, pk):
    """The visit with this id if its household lies under the user's grid nodes; otherwise Http404."""
    visits = Visit.objects.filter(household__in=Household.objects.visible_to(user)).select_related(
        "household__building__grid", "logged_by"
    )
    return get_object_or_404(visits, pk=pk)


def access_task(user, pk):
    """The visit task with this id if its household is visible to the user; otherwise Http404."""
    return get_object_or_404(VisitTask.objects.visible_to(user).select_related("household__building"), pk=pk)


def access_request(user, pk):
    """The resident request with this id (annotated `is_overdue` now) if its household is visible to the user;
    otherwise Http404."""
    resident_requests = (
        ResidentRequest.objects.visible_to(user)
        .with_overdue(timezone.now())
        .select_related("household__building__grid", "assignee", "created_by", "raised_in")
    )
    return get_object_or_404(resident_requests, pk=pk)
