"""Heating tickets made directly, in any state and with any deadline, for the ticket pages, reminders and export."""

import datetime

from django.utils import timezone

from heating.models import HeatingTicket, TicketEvent


def make_ticket(household, season, company, *, state=HeatingTicket.State.REPORTED, hours_left=24, **fields):
    now = timezone.now()
    fields.setdefault("problem", "主卧 16.5 ℃（标准 18.0 ℃）")
    if state == HeatingTicket.State.RECHECK_PASSED:
        fields.setdefault("closed_at", now)
        fields.setdefault("company_at_fault", True)
    ticket = HeatingTicket.objects.create(
        household=household,
        season=season,
        company=company,
        state=state,
        reported_at=now - datetime.timedelta(hours=2),
        deadline_at=now + datetime.timedelta(hours=hours_left),
        **fields,
    )
    TicketEvent.objects.create(ticket=ticket, from_state="", to_state=state, at=ticket.reported_at)
    return ticket
