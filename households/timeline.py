"""The household timeline, filled by the apps further down the dependency chain.

An app such as visits registers a provider at start-up (in its AppConfig.ready). A provider takes the
household and the user and returns `TimelineEntry` items it is allowed to show that user, each costing a
bounded number of queries.
"""

from dataclasses import dataclass
from datetime import datetime

_providers = []


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    icon: str = "circle"


def register(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def timeline_for(household, user, limit=50):
    entries = [entry for provider in _providers for entry in provider(household, user)]
    return sorted(entries, key=lambda e: e.at, reverse=True)[:limit]
