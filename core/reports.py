"""Sections of the monthly report, contributed by each app (reports sits above them all and imports none).

An app registers a `ReportSection` from its `AppConfig.ready()`:

    reports.register(ReportSection(key="heating", title=_("供暖"), order=30, build=heating_section))

`build(node, month, user)` returns the section's figures (a dict the section's template reads) in a bounded
number of queries, or None when the section has nothing to say for that month (heating out of season).
"""

from collections.abc import Callable
from dataclasses import dataclass

from .registry import Registry

registry = Registry("report sections")


@dataclass(frozen=True)
class ReportSection:
    key: str
    title: str
    build: Callable
    template: str = ""
    order: int = 100


def register(section):
    return registry.register(section)


def sections():
    return sorted(registry, key=lambda section: section.order)
