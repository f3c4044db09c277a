"""The household timeline, filled by the apps further down the dependency chain.

An app such as visits registers a provider at start-up (in its AppConfig.ready):

    timeline.register(visits_and_requests)

A provider takes the household and the user and returns `TimelineEntry` items it is allowed to show that user,
each costing a bounded number of queries. An entry has a `key` naming the record it stands for (e.g.
"visit:42"); an entry that tells the same event better names the one it stands in for in `replaces`, e.g. a
heating inspection, which is saved as a visit, gives `replaces=("visit:42",)` so the page shows one line.
"""

from dataclasses import dataclass
from datetime import datetime

from core.registry import Registry

registry = Registry("household timeline")


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    icon: str = "circle"
    key: str = ""
    replaces: tuple[str, ...] = ()


def register(provider):
    return registry.register(provider)


def timeline_for(household, user, limit=50):
    entries = [entry for provider in registry for entry in provider(household, user)]
    replaced = {key for entry in entries for key in entry.replaces}
    kept = [entry for entry in entries if not entry.key or entry.key not in replaced]
    return sorted(kept, key=lambda e: e.at, reverse=True)[:limit]
