"""One heating company's open tickets as an Excel sheet, for the coordination meeting with the company.

Only the tickets the exporting user may see; the household's phone as `households.pii` shows it to that user;
cells through `core.spreadsheet.SafeXLSX` (formulas neutralised, numbers kept numbers).
"""

import tablib
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from households import pii
from households.models import Resident, head_name_of

from .models import HeatingInspection, HeatingTicket


def lowest_reading():
    """The lowest reading of the inspections linked to the outer ticket."""
    inspections = HeatingInspection.objects.filter(ticket=OuterRef("pk")).order_by().values("ticket")
    return Subquery(inspections.annotate(lowest=Min("lowest_celsius")).values("lowest")[:1])


def head_phone():
    head = Resident.objects.filter(household=OuterRef("household_id"), relation=Resident.Relation.HEAD)
    return Subquery(head.values("phone")[:1])


def open_tickets_of(company, user, now):
    """The company's open tickets visible to `user`, overdue first, with what the sheet shows, in one query."""
    return (
        HeatingTicket.objects.visible_to(user)
        .open()
        .filter(company=company)
        .with_overdue(now)
        .annotate(head_name=head_name_of("household_id"), head_phone=head_phone(), lowest_celsius=lowest_reading())
        .select_related("household__building__grid__community")
        .order_by("-is_overdue", "deadline_at", "pk")
    )


def local(moment):
    # Excel keeps no time zone: the local wall-clock time a cadre reads.
    return timezone.localtime(moment).replace(tzinfo=None)


def hours_late(ticket, now):
    return round((now - ticket.deadline_at).total_seconds() / 3600, 1) if ticket.is_overdue else None


def ticket_dataset(company, user, *, now=None):
    """`company`'s open tickets as `user` may see them, a row each."""
    now = now or timezone.now()
    dataset = tablib.Dataset(
        headers=[
            _("社区"),
            _("网格"),
            _("楼号"),
            _("单元"),
            _("房号"),
            _("户主"),
            _("联系电话"),
            _("问题"),
            _("最低室温（℃）"),
            _("状态"),
            _("报修时间"),
            _("响应时限"),
            _("超时（小时）"),
            _("来源"),
        ],
        title=str(_("未结报修单")),
    )
    for ticket in open_tickets_of(company, user, now):
        household = ticket.household
        grid = household.building.grid
        dataset.append(
            [
                grid.community.name,
                grid.name,
                household.building.number,
                household.unit,
                household.room,
                ticket.head_name or "",
                pii.phone_for(user, household.phone or ticket.head_phone or ""),
                ticket.problem,
                ticket.lowest_celsius,
                ticket.get_state_display(),
                local(ticket.reported_at),
                local(ticket.deadline_at),
                hours_late(ticket, now),
                ticket.get_source_display(),
            ]
        )
    return dataset
