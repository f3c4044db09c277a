"""Sections of the coverage page (`/grids/coverage/`) that later apps add below the coverage tree.

A coverage measure (`grids.coverage.register_measure`) is a share every node is held to, all year. A section
is for figures that are not a target every node must meet — reports' month-by-month matrix, for example —
and is registered from the contributing app's `AppConfig.ready()`:

    coverage_sections.register(CoverageSection(key="matrix", template="reports/_coverage_matrix.html",
                                               build=matrix_context, order=20))

`build(user, grids)` gets the user and the Grid queryset in their scope and returns the template's context
(in a bounded number of queries), or None to show nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.registry import Registry

registry = Registry("coverage page sections")


@dataclass(frozen=True)
class CoverageSection:
    key: str
    template: str
    build: Callable
    order: int = 100


@dataclass(frozen=True)
class RenderedSection:
    template: str
    context: dict


def register(section):
    return registry.register(section)


def sections_for(user, grids):
    """The sections that have something to show this user, in order, with their context."""
    rendered = []
    for section in sorted(registry, key=lambda s: s.order):
        context = section.build(user, grids)
        if context is not None:
            rendered.append(RenderedSection(section.template, context))
    return rendered
