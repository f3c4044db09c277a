"""A node's report figures for one month, counted once and kept (`MonthFigures`): the report page reads the rows of
the three months it shows instead of building every section three times.

What a row holds: each registered section's tables for (node, month), as its `build` and `tables` give them (None
when `build` says the month has nothing), or a section without tables its rendered template. Rows are kept per
audience — the language and the permissions they were counted for: a node is open only to users who see all of
it (`grids.nodes.access_node`), so users differ only in the sections and figures their permissions show.

When figures are counted, and what makes kept ones out of date, written down:

- a past month's figures are counted once, by the nightly job (`reports.services.refresh_figures`: last month,
  the month before and the same month last year, for each audience of the users with reports and each street,
  community and grid one of them may open) or else by the first page that needs them, and then read;
- the nightly job counts last month again every night, so a visit back-entered for last month (or a request
  closed late) is on the report the next morning; earlier months stay as counted, unless someone regenerates the
  report file of that node and month ("重新生成"), which drops that month's kept figures of the node so the next
  read counts them again;
- a row counted before its month ended, under another `VERSION`, or without every registered section is out of
  date and counted again when read: bump `VERSION` when a section's definition changes;
- the current month is counted live and kept `CURRENT_FOR`; the page says "截至 HH:MM".

Counting a month costs what the sections' `build`s cost (a fixed number of grouped queries each); reading kept
figures costs one query for the three months.
"""

import datetime
import hashlib
import logging
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core import reports as registry
from core.db_router import replica_reads
from core.reports import Column, Link, Row, Table
from grids.nodes import node_key

from . import months
from .models import MonthFigures

logger = logging.getLogger(__name__)

#: bump when a section's definition of a figure changes: rows counted under another version are counted again
VERSION = 1
#: how long the current month's figures are kept before they are counted again
CURRENT_FOR = datetime.timedelta(minutes=10)


# An audience: who figures are counted for -------------------------------------------------------------------


class AudienceViewer:
    """Everything under a node, read with one set of permissions: whom the jobs count figures for."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    is_read_only = True
    sees_everything = True
    supervises = True
    pk = None

    def __init__(self, perms):
        self.perms = frozenset(perms)

    def has_perm(self, perm, obj=None):
        return perm in self.perms

    def get_all_permissions(self, obj=None):
        return set(self.perms)

    def __str__(self):
        return "report figures"


def audience(user):
    """The key of the figures `user` sees: the active language and a digest of their permissions."""
    perms = "\n".join(sorted(user.get_all_permissions()))
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"{language}:{hashlib.sha256(perms.encode()).hexdigest()[:24]}"


def all_permissions():
    """Every permission as "app_label.codename"."""
    return {
        f"{app}.{codename}" for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }


# One section's figures, as JSON and back ----------------------------------------------------------------------


def _number(value):
    return float(value) if isinstance(value, Decimal) else value


def _link_text(link):
    """A link as one string, "figure node params" (node may be empty; params URL-encoded)."""
    return f"{link.figure} {link.node} {urlencode(link.params)}"


def _link_of(text):
    figure, node, params = text.split(" ", 2)
    return Link(figure, node, tuple(parse_qsl(params, keep_blank_values=True)) if params else ())


def _table_json(table):
    """A table as kept: its columns, and each row as [key, label, node, total, values, links], values and links
    in the order of the columns (a figure the row lacks kept as null). Compact, because a community's tables have
    a row per grid and a page reads three months of them."""
    return {
        "key": table.key,
        "title": str(table.title),
        "head": str(table.head),
        "columns": [[column.key, str(column.label), column.kind, column.chart] for column in table.columns],
        "rows": [
            [
                str(row.key),
                str(row.label),
                row.node,
                row.total,
                [_number(row.values.get(column.key)) for column in table.columns],
                [_link_text(row.links[column.key]) if column.key in row.links else None for column in table.columns],
            ]
            for row in table.rows
        ],
    }


def values_by_row(kept):
    """{(table key, row key): {column key: value}} of one section's kept figures, or None (no data that month)."""
    if kept is None:
        return None
    by_row = {}
    for table in kept.get("tables", ()):
        keys = [column[0] for column in table["columns"]]
        for row in table["rows"]:
            by_row[(table["key"], row[0])] = dict(zip(keys, row[4], strict=True))
    return by_row


def table_of(data):
    """The `core.reports.Table` a kept table stands for."""
    columns = tuple(Column(key, label, kind, chart) for key, label, kind, chart in data["columns"])
    keys = [column.key for column in columns]
    return Table(
        data["key"],
        data["title"],
        data["head"],
        columns,
        tuple(
            Row(
                key=key,
                label=label,
                values=dict(zip(keys, values, strict=True)),
                links={column: _link_of(text) for column, text in zip(keys, links, strict=True) if text is not None},
                node=node,
                total=total,
            )
            for key, label, node, total, values, links in data["rows"]
        ),
    )


def count_section(section, node, month, user):
    """One section's figures for (node, month) as `user` sees them, as kept: None, {"tables"} or {"html"}."""
    data = section.build(node, month, user)
    if data is None:
        return None
    tables = section.tables(data) if section.tables else []
    if not tables and section.template:
        return {"html": render_to_string(section.template, {"section": data})}
    return {"tables": [_table_json(table) for table in tables]}


def count_month(node, month, user, *, progress=None):
    """Every registered section's figures for (node, month): {section key: figures}."""
    sections = registry.sections()
    counted = {}
    for done, section in enumerate(sections, start=1):
        counted[section.key] = count_section(section, node, month, user)
        if progress:
            progress(done, len(sections))
    return counted


# Kept figures -------------------------------------------------------------------------------------------------


def is_current(row, now=None):
    """Whether a kept row can be read as it is (see the module docstring)."""
    now = now or timezone.now()
    if row.version != VERSION or set(row.sections) != {section.key for section in registry.sections()}:
        return False
    month_end = months.bounds(row.month)[1]
    return row.computed_at >= month_end or row.computed_at > now - CURRENT_FOR


def store(node, month, audience_key, sections, computed_at):
    """Keep the figures (one upsert: two pages counting the same month at once both succeed)."""
    MonthFigures.objects.bulk_create(
        [
            MonthFigures(
                node=node_key(node),
                month=month,
                audience=audience_key,
                version=VERSION,
                sections=sections,
                computed_at=computed_at,
            )
        ],
        update_conflicts=True,
        unique_fields=["node", "month", "audience"],
        update_fields=["version", "sections", "computed_at"],
    )


def kept(node, wanted, audience_key):
    """The kept rows of `node` for the months `wanted`, by month (one query, on the primary)."""
    rows = MonthFigures.objects.filter(node=node_key(node), audience=audience_key, month__in=wanted)
    return {row.month: row for row in rows}


def figures_for(node, wanted, user, *, count=None):
    """{month: (sections' figures, counted at)} for each month of `wanted`, as `user` sees them: kept rows that
    are current are read; the others are counted (by `count(month)`, default `count_month` as `user`, on the
    replica when there is one) and kept."""
    audience_key = audience(user)
    now = timezone.now()
    rows = kept(node, wanted, audience_key)
    result = {}
    for month in wanted:
        row = rows.get(month)
        if row is not None and is_current(row, now):
            result[month] = (row.sections, row.computed_at)
            continue
        counted_at = timezone.now()
        with replica_reads():
            sections = count(month) if count else count_month(node, month, user)
        with transaction.atomic():
            store(node, month, audience_key, sections, counted_at)
        result[month] = (sections, counted_at)
    return result


def forget(node, month):
    """Drop the kept figures of (node, month) for every audience: the next read counts them again."""
    return MonthFigures.objects.filter(node=node_key(node), month=month).delete()[0]
