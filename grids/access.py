"""Fetching grid nodes by id from a request: the object, or 404 when out of the user's scope."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Building, Grid


def access_grid(user, pk):
    """The grid with this id if the user is assigned to it or to a node above it; otherwise Http404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Grid.objects.visible_to(user).select_related("community__street"), pk=pk)


def access_building(user, pk):
    """The building with this id if it lies under the user's grid nodes; otherwise Http404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(Building.objects.visible_to(user).select_related("grid"), pk=pk)
