"""Sections of the workbench (`/`), contributed by the apps further down the dependency chain.

accounts knows nothing of visits or heating: each app registers a provider in its AppConfig.ready(). A
provider takes the request and returns a `WorkbenchSection` (or None to show nothing), running a bounded
number of queries.
"""

from dataclasses import dataclass, field

_providers = []


@dataclass(frozen=True)
class WorkbenchSection:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def register(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def sections_for(request):
    sections = [section for provider in _providers if (section := provider(request)) is not None]
    return sorted(sections, key=lambda s: s.order)
