"""Figures a list of households shows that come from apps further down the dependency chain.

households knows nothing of visits: visits registers the household's last visit from its `AppConfig.ready()`:

    listing.register(ListingAnnotation(key="last_visited_at", label=_("最近走访"),
                                       expression=lambda: F("visit_status__last_visited_at")))

`HouseholdQuerySet.listing()` annotates every registered expression under its key, so the figure is read in the
same query as the page (a join or an indexed subquery, never a query per row); `figures_for(household)` gives a
row's figures, in order, for the templates.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from core.registry import Registry

registry = Registry("household listing annotations")


@dataclass(frozen=True)
class ListingAnnotation:
    key: str
    label: str
    expression: Callable
    empty: str = "—"
    order: int = 100


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    text: str
    date: datetime.date | None = None


def register(annotation):
    return registry.register(annotation)


def annotations():
    return sorted(registry, key=lambda a: a.order)


def expressions():
    return {annotation.key: annotation.expression() for annotation in registry}


def figures_for(household):
    """The registered figures of one household annotated by `listing()`, as text (dates as local dates)."""
    figures = []
    for annotation in annotations():
        value = getattr(household, annotation.key, None)
        date = None
        if isinstance(value, datetime.datetime):
            date = timezone.localdate(value)
        elif isinstance(value, datetime.date):
            date = value
        text = annotation.empty if value is None else (date.isoformat() if date else str(value))
        figures.append(Figure(annotation.key, annotation.label, text, date))
    return figures
