"""Fetching households and residents by id from a request: the object, or 404 when out of scope."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from core.parsing import parse_id

from .models import Household, Resident


def access_household(user, pk):
    """The household with this id if it lies under the user's grid nodes; otherwise Http404."""
    households = Household.objects.visible_to(user).select_related(
        "building__grid__community__street",
        "origin_village",
        "lead_household__household__building",
        "lead_household__party_member__resident",
    )
    return get_object_or_404(households, pk=pk)


def access_resident(user, pk):
    """The resident with this id if their household is visible to the user; otherwise Http404."""
    return get_object_or_404(
        Resident.objects.filter(household__in=Household.objects.visible_to(user)).select_related("household"), pk=pk
    )


def household_from_query(request):
    """The household named by ?household=<id>, scoped to the user; None when the parameter is absent (the form's
    view then shows `households.views.household_search`, each result linking back to the form)."""
    raw = request.GET.get("household", "").strip()
    if not raw:
        return None
    pk = parse_id(raw)
    if pk is None:
        raise Http404
    return access_household(request.user, pk)
