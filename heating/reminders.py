"""Heating's parts of the reminders (`visits.reminders`): overdue tickets escalated once to the community's cadres,
and a line in each cadre's daily digest for the community's open and overdue tickets.

The company is the one that is late, so no portal user is excluded as "late": the recipients are the active
cadres assigned to the ticket's community (`grids.staffing.cadres_of`). Registered from `heating.apps`.
"""

from collections import defaultdict

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grids.staffing import cadres_of
from households.search import room_code
from visits.reminders import FIRST_FEW, ROOM_FIELDS, DigestPart, DigestSource, EscalationSource, Overdue

from .models import HeatingTicket

COMMUNITY = "household__building__grid__community"


def flag_overdue_tickets(now):
    """Stamp `escalated_at` on open tickets past their response deadline and not yet escalated (a conditional
    UPDATE: a second run stamps nothing; a failed re-check clears the stamp with a new deadline), and report
    them per community and company to the community's cadres. Four queries whatever the number of tickets."""
    if not HeatingTicket.objects.overdue(now).filter(escalated_at__isnull=True).update(escalated_at=now):
        return []
    flagged = HeatingTicket.objects.filter(escalated_at=now)
    counts = {
        (community_id, company): n
        for community_id, company, n in flagged.values_list(COMMUNITY, "company__name")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(COMMUNITY, "company__name", "n")
    }
    first = defaultdict(list)
    ranked = flagged.annotate(
        rank=Window(
            RowNumber(), partition_by=[F(COMMUNITY), F("company")], order_by=[F("deadline_at").asc(), F("pk").asc()]
        )
    ).filter(rank__lte=FIRST_FEW)
    for community_id, company, *room in ranked.values_list(COMMUNITY, "company__name", *ROOM_FIELDS):
        first[community_id, company].append(room_code(*room))
    cadres = cadres_of({community_id for community_id, _company in counts})
    return [
        Overdue(
            count=n,
            line=_("%(company)s：超时未响应报修 %(n)d 件（%(rooms)s）")
            % {"company": company, "n": n, "rooms": "、".join(first[community_id, company])},
            recipients=tuple(cadres[community_id]),
        )
        for (community_id, company), n in sorted(counts.items())
    ]


def ticket_digest_parts(today):
    """Each cadre's digest part: the open and overdue tickets of their community, per company. Two queries."""
    now = timezone.now()
    rows = (
        HeatingTicket.objects.open()
        .values_list(COMMUNITY, "company__name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=HeatingTicket.objects.overdue_q(now)))
        .order_by(COMMUNITY, "company__name")
    )
    by_community = defaultdict(list)
    for community_id, company, open_count, overdue_count in rows:
        by_community[community_id].append((company, open_count, overdue_count))
    if not by_community:
        return {}
    url = reverse("ticket_list")
    parts = {}
    for community_id, user_ids in cadres_of(set(by_community)).items():
        companies = by_community[community_id]
        part = DigestPart(
            summary=_("供热报修未结 %(open)d 件，超时 %(overdue)d 件")
            % {"open": sum(row[1] for row in companies), "overdue": sum(row[2] for row in companies)},
            lines=tuple(
                _("%(company)s：未结 %(open)d 件，超时 %(overdue)d 件")
                % {"company": company, "open": open_count, "overdue": overdue_count}
                for company, open_count, overdue_count in companies
            ),
            url=url,
        )
        for user_id in user_ids:
            parts[user_id] = part
    return parts


OVERDUE_TICKETS = EscalationSource(
    "heating_tickets",
    lambda n: ngettext("供热报修 %(n)d 件", "供热报修 %(n)d 件", n) % {"n": n},
    flag_overdue_tickets,
    "ticket_list",
)
TICKET_DIGEST = DigestSource("heating_tickets", ticket_digest_parts)
