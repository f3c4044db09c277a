"""Figures counted over a whole scope, kept for a few minutes.

A supervisor's page counts tens of thousands of rows (a community's overdue tasks, its buildings' coverage at
each month's end). Those figures are read many times an hour and change slowly, so a page computes them once
and keeps them for `settings.FIGURES_CACHE_SECONDS` (5 minutes by default) in the "figures" cache, per scope:

    figures, counted_at = kept(("overview", scope.grid_ids), lambda: overview_figures(scope, today))

The page says when they were counted ("截至 14:05"). What a worker has just done shows on their own pages at
once (those are never kept); on a supervisor's page it shows within the minutes the page says. The key holds the
scope (the grid ids, so two users with the same grids share the figures), today's date and the language (kept
values may hold translated labels). With `CACHE_URL` the figures are shared by every web process; without it
each process keeps its own.
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone, translation

CACHE = "figures"


def _key(parts):
    text = repr((parts, timezone.localdate().isoformat(), translation.get_language()))
    return "figures:" + hashlib.sha256(text.encode()).hexdigest()


def kept(parts, compute):
    """(value, when it was counted): `compute()`'s result kept under `parts` (anything with a stable repr) for
    `FIGURES_CACHE_SECONDS`, counted afresh when missing."""
    cache = caches[CACHE]
    key = _key(parts)
    found = cache.get(key)
    if found is not None:
        return found
    found = (compute(), timezone.now())
    cache.set(key, found, settings.FIGURES_CACHE_SECONDS)
    return found
