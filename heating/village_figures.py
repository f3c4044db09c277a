"""Heating complaints by origin village (原村) for the monthly report (`core.reports.VillageFigure`): tickets to
the heating company reported in the month, by the origin village of the household."""

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.reports import VillageFigure

from .models import HeatingTicket
from .report_tables import _ticket_rows
from .sections import may_view


def _tickets(grids, start, end):
    return HeatingTicket.objects.filter(
        household__building__grid__in=grids, reported_at__gte=start, reported_at__lt=end
    )


def tickets_by_village(user, grids, start, end):
    """{village name: tickets reported in the month} (one grouped query); None for users without heating."""
    if not may_view(user):
        return None
    rows = _tickets(grids, start, end).order_by().values("household__origin_village__name").annotate(n=Count("pk"))
    return {row["household__origin_village__name"] or "": row["n"] for row in rows}


def ticket_rows_of_village(user, grids, start, end, village):
    if not may_view(user):
        return None
    tickets = _tickets(grids, start, end)
    if village is None:
        return _ticket_rows(tickets, _("本月供暖报修"))
    if village:
        tickets = tickets.filter(household__origin_village__name=village)
    else:
        tickets = tickets.filter(household__origin_village__isnull=True)
    return _ticket_rows(tickets, _("本月供暖报修（原村：%(village)s）") % {"village": village or _("未登记")})


HEATING_COMPLAINTS = VillageFigure(
    key="heating",
    label=gettext_lazy("供暖报修"),
    counts=tickets_by_village,
    rows=ticket_rows_of_village,
    order=20,
)
