"""The origin-village section (原村): each app's records of the month counted by the origin village of the
households concerned, and disputes by pair of villages — the seams of a community merged from several villages.

The figures are the apps' `core.reports.VillageFigure`s; this module only lays them side by side. One bounded
query per figure.
"""

from django.utils.translation import gettext as _

from core import reports
from core.reports import Column, Link, Row, Table
from grids.nodes import grids_under

from . import months

PAIR_SEPARATOR = "|"


def _name(village):
    return village or _("未登记原村")


def villages_section(node, month, user):
    """{"single": [(figure, counts)], "pairs": [(figure, counts)]} for the figures `user` may see, or None when
    none has anything for the month."""
    grids = grids_under(node, user)
    start, end = months.bounds(month)
    single, pairs = [], []
    for figure in reports.village_figures():
        counts = figure.counts(user, grids, start, end)
        if counts is None:
            continue
        (pairs if figure.pairs else single).append((figure, counts))
    if not any(counts for _figure, counts in single + pairs):
        return None
    return {"month": month, "single": single, "pairs": pairs}


def _table(key, title, head, figures, keys, label, param):
    columns = tuple(Column(figure.key, figure.label, chart=True) for figure, _counts in figures)
    rows = []
    for village in keys:
        values = {figure.key: counts.get(village, 0) for figure, counts in figures}
        links = {
            figure.key: Link(figure.key, params=(("village", param(village)),))
            for figure, _counts in figures
            if figure.rows
        }
        rows.append(Row(key=param(village), label=label(village), values=values, links=links))
    totals = {figure.key: sum(counts.values()) for figure, counts in figures}
    links = {figure.key: Link(figure.key) for figure, _counts in figures if figure.rows}
    rows.append(Row(key="total", label=_("合计"), values=totals, links=links, total=True))
    return Table(key, title, head, columns, tuple(rows))


def village_tables(data):
    tables = []
    if any(counts for _figure, counts in data["single"]):
        keys = sorted({village for _f, counts in data["single"] for village in counts}, key=lambda v: (not v, v))
        tables.append(
            _table("villages", _("按原村统计"), _("原村"), data["single"], keys, _name, lambda village: village)
        )
    if any(counts for _figure, counts in data["pairs"]):
        keys = sorted({pair for _f, counts in data["pairs"] for pair in counts})
        tables.append(
            _table(
                "village_pairs",
                _("跨原村纠纷（按当事双方原村）"),
                _("原村组合"),
                data["pairs"],
                keys,
                lambda pair: " — ".join(_name(village) for village in pair),
                PAIR_SEPARATOR.join,
            )
        )
    return tables


def village_rows(figure_key, node, month, user, params):
    """The records behind one village's (or pair's) figure."""
    figure = next((f for f in reports.village_figures() if f.key == figure_key), None)
    if figure is None or figure.rows is None:
        return None
    start, end = months.bounds(month)
    return figure.rows(user, grids_under(node, user), start, end, params.get("village"))
