"""The household timeline, filled by the apps further down the dependency chain.

An app such as visits registers a provider at start-up (in its AppConfig.ready), naming the records it shows
for the sentence of an empty timeline ("暂无走访、诉求记录。"), so the page never mentions records no app keeps:

    timeline.register(visits_and_requests, nouns=(_("走访"), _("诉求")))

A provider takes the household and the user and returns `TimelineEntry` items it is allowed to show that user,
each costing a bounded number of queries. An entry has a `key` naming the record it stands for (e.g.
"visit:42"); an entry that tells the same event better names the one it stands in for in `replaces`, e.g. a
heating inspection, which is saved as a visit, gives `replaces=("visit:42",)` so the page shows one line.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from core.registry import Registry

registry = Registry("household timeline")
_nouns = {}


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


def register(provider, *, nouns=()):
    _nouns.setdefault(provider, tuple(nouns))
    return registry.register(provider)


def empty_text():
    """What an empty timeline says, naming the kinds of record the registered providers show."""
    nouns = [str(noun) for provider in registry for noun in _nouns.get(provider, ())]
    if not nouns:
        return _("暂无记录。")
    return _("暂无%(records)s记录。") % {"records": _("、").join(nouns)}


def timeline_for(household, user, limit=50):
    entries = [entry for provider in registry for entry in provider(household, user)]
    replaced = {key for entry in entries for key in entry.replaces}
    kept = [entry for entry in entries if not entry.key or entry.key not in replaced]
    return sorted(kept, key=lambda e: e.at, reverse=True)[:limit]
