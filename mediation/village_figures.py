"""Disputes by origin village (原村) for the monthly report (`core.reports.VillageFigure`): the disputes accepted
in the month, by the origin village of their parties' households, and by pair of villages facing each other —
the seams of a community merged from several villages.

- **disputes by village**: a dispute counts once for each village of its parties' households under the report's
  grids ("" for a household with no recorded village); a party who is not a resident of those grids counts
  nowhere;
- **disputes by pair**: a dispute counts once for each pair of different villages with an applicant's household
  in one and a respondent's in the other (parties on the same side are not at odds), the two names in sorted
  order.

Within `Dispute.objects.counted_for(user)`, for users with the mediation pages (None for grid workers): counts,
never content — the lists behind them name each dispute and the village (or pair) it is counted under, never its
parties or facts. One grouped query per figure; the total's list has a line per dispute and village (or pair), as
many as the villages' figures add up to.
"""

from django.db.models import Count, F, FilteredRelation, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.reports import VillageFigure

from .models import Dispute, Party
from .report_tables import dispute_rows
from .sections import may_view

PAIR_SEPARATOR = "|"


def _received(user, start, end):
    return Dispute.objects.counted_for(user).filter(
        accepted_on__gte=timezone.localdate(start), accepted_on__lt=timezone.localdate(end)
    )


def _village_of(party):
    return Coalesce(f"{party}__household__origin_village__name", Value(""))


def _by_village(user, grids, start, end):
    """The month's disputes, a row per (dispute, village of a party's household under `grids`): `village`."""
    return (
        _received(user, start, end)
        .filter(parties__household__building__grid__in=grids)
        .annotate(village=_village_of("parties"))
    )


def _by_pair(user, grids, start, end):
    """The month's disputes, a row per (dispute, applicant's village, respondent's village) of households under
    `grids` in two different villages: `low` and `high`, the two names in the database's collation order."""
    return (
        _received(user, start, end)
        .annotate(
            applicant=FilteredRelation("parties", condition=Q(parties__side=Party.Side.APPLICANT)),
            respondent=FilteredRelation("parties", condition=Q(parties__side=Party.Side.RESPONDENT)),
        )
        .filter(applicant__household__building__grid__in=grids, respondent__household__building__grid__in=grids)
        .alias(applicant_village=_village_of("applicant"), respondent_village=_village_of("respondent"))
        .exclude(applicant_village=F("respondent_village"))
        .annotate(
            low=Least("applicant_village", "respondent_village"),
            high=Greatest("applicant_village", "respondent_village"),
        )
    )


def disputes_by_village(user, grids, start, end):
    """{village name: disputes accepted in the month} (one grouped query); None for users without mediation."""
    if not may_view(user):
        return None
    rows = _by_village(user, grids, start, end).order_by().values("village").annotate(n=Count("pk", distinct=True))
    return {row["village"]: row["n"] for row in rows}


def disputes_by_pair(user, grids, start, end):
    """{(village, village): disputes accepted in the month between them} (one grouped query); None for users
    without mediation."""
    if not may_view(user):
        return None
    rows = _by_pair(user, grids, start, end).order_by().values("low", "high").annotate(n=Count("pk", distinct=True))
    # The database's collation may order the names otherwise than Python does: the keys are sorted here.
    return {tuple(sorted((row["low"], row["high"]))): row["n"] for row in rows}


def _village_label(village):
    return village or _("未登记原村")


def _rows(disputes, title, user, column, *then):
    return dispute_rows(
        disputes.distinct(), title, user, date_label=_("受理日期"), date_field="accepted_on", extra=(column,), then=then
    )


def dispute_rows_of_village(user, grids, start, end, village):
    """The disputes behind one village's figure (each once), or for None a line per dispute and village."""
    if not may_view(user):
        return None
    disputes = _by_village(user, grids, start, end)
    column = (_("原村"), lambda d: _village_label(d.village))
    if village is None:
        return _rows(disputes, _("本月受理的纠纷（按原村）"), user, column, "village")
    title = _("本月受理的纠纷（原村：%(village)s）") % {"village": village or _("未登记")}
    return _rows(disputes.filter(village=village), title, user, column)


def dispute_rows_of_pair(user, grids, start, end, village):
    """The disputes behind one pair's figure (`village` "a|b"; each dispute once), or for None a line per dispute
    and pair."""
    if not may_view(user):
        return None
    disputes = _by_pair(user, grids, start, end)
    column = (_("原村组合"), lambda d: " — ".join(_village_label(v) for v in sorted((d.low, d.high))))
    if village is None:
        return _rows(disputes, _("本月受理的跨村纠纷"), user, column, "low", "high")
    first, separator, second = village.partition(PAIR_SEPARATOR)
    if not separator:
        return None
    names = {"low": _village_label(min(first, second)), "high": _village_label(max(first, second))}
    pair = Q(low=first, high=second) | Q(low=second, high=first)
    return _rows(disputes.filter(pair), _("本月受理的跨村纠纷（%(low)s — %(high)s）") % names, user, column)


DISPUTES = VillageFigure(
    key="disputes",
    label=gettext_lazy("纠纷"),
    counts=disputes_by_village,
    rows=dispute_rows_of_village,
    order=30,
)
DISPUTE_PAIRS = VillageFigure(
    key="dispute_pairs",
    label=gettext_lazy("跨村纠纷"),
    counts=disputes_by_pair,
    rows=dispute_rows_of_pair,
    pairs=True,
    order=40,
)
