"""Heating's figures, counted in SQL: the one home of "below standard now" and of a household's heating state.
Each grid's figures are counted with these rules and stored (`heating.grid_figures`) for the dashboard
(`heating.dashboard`) and the workbench card (`heating.sections`); a grid's own list of households below
standard is read live.

For a set of seasons (one per community at most), a household is

- **inspected** when it has at least one inspection of those seasons;
- **below standard now** when the latest inspection of those seasons was below the standard
  (`HeatingInspection.below_standard`), or when it has an open ticket of those seasons;
- in exactly one **state**: `ticket` (an open ticket), else `cold` (latest inspection below standard), else
  `warm` (inspected, latest inspection at or above standard), else `none` (no inspection this season).

Readings are the bedroom and living-room readings (`TemperatureReading.STANDARD_ROOMS`, the rooms the standard
applies to) of the seasons' inspections: their average and the lowest.
"""

from django.db.models import Avg, Count, Exists, Min, OuterRef, Q, Sum

from .models import HeatingInspection, HeatingTicket, TemperatureReading

STATES = ("ticket", "cold", "warm", "none")


def season_inspections(season_ids):
    """The inspections of these seasons of the outer household row (a subquery)."""
    return HeatingInspection.objects.filter(household=OuterRef("pk"), season__in=season_ids)


def later_inspections():
    """Inspections of the outer inspection's household and season made after it (a subquery)."""
    return HeatingInspection.objects.filter(household=OuterRef("household"), season=OuterRef("season")).filter(
        Q(inspected_at__gt=OuterRef("inspected_at")) | Q(inspected_at=OuterRef("inspected_at"), pk__gt=OuterRef("pk"))
    )


def latest_below_inspections(season_ids):
    """Inspections of these seasons that were below standard and are their household's latest of the season."""
    return HeatingInspection.objects.filter(season__in=season_ids, below_standard=True).exclude(
        Exists(later_inspections())
    )


def open_tickets(season_ids):
    return HeatingTicket.objects.open().filter(season__in=season_ids)


def below_now(households, season_ids):
    """`households` narrowed to those below standard now (an open ticket, or the latest inspection below
    standard); the tickets and inspections looked at are those of `households` only."""
    tickets = open_tickets(season_ids).filter(household__in=households).order_by().values("household")
    latest_below = latest_below_inspections(season_ids).filter(household__in=households).order_by().values("household")
    # One UNION, not `pk IN (…) OR pk IN (…)`: PostgreSQL joins the few ids to the households by primary key
    # instead of scanning every household of the street for the two hashed lists.
    return households.filter(pk__in=tickets.union(latest_below))


def with_ticket_open(households, season_ids):
    return households.annotate(heating_ticket_open=Exists(open_tickets(season_ids).filter(household=OuterRef("pk"))))


def household_counts(households, season_ids, *group_by):
    """Per group of `households` (`group_by` are household fields, the first one the key): households,
    inspected, below standard now, and the households in each state — three grouped queries, each over the
    season's inspections or tickets or the households alone (no subquery per household)."""
    key = group_by[0]
    inspections = HeatingInspection.objects.filter(season__in=season_ids, household__in=households)
    on_inspections = f"household__{key}"
    ticket_open = open_tickets(season_ids).filter(household=OuterRef("household"))
    inspected = {
        row[on_inspections]: row
        for row in inspections.annotate(superseded=Exists(later_inspections()), ticket_open=Exists(ticket_open))
        .order_by()
        .values(on_inspections)
        .annotate(
            inspected=Count("household", distinct=True),
            cold=Count("household", distinct=True, filter=Q(below_standard=True, superseded=False, ticket_open=False)),
        )
    }
    tickets = {
        row[on_inspections]: row
        for row in open_tickets(season_ids)
        .filter(household__in=households)
        .annotate(
            inspected=Exists(HeatingInspection.objects.filter(household=OuterRef("household"), season__in=season_ids))
        )
        .order_by()
        .values(on_inspections)
        .annotate(
            ticket=Count("household", distinct=True),
            uninspected=Count("household", distinct=True, filter=Q(inspected=False)),
        )
    }
    rows = list(households.order_by().values(*group_by).annotate(households=Count("pk")))
    for row in rows:
        seen = inspected.get(row[key], {})
        ticketed = tickets.get(row[key], {})
        row["inspected"] = seen.get("inspected", 0)
        row["cold"] = seen.get("cold", 0)
        row["ticket"] = ticketed.get("ticket", 0)
        uninspected = ticketed.get("uninspected", 0)
        row["below"] = row["ticket"] + row["cold"]
        row["warm"] = row["inspected"] - row["cold"] - (row["ticket"] - uninspected)
        row["none"] = row["households"] - row["inspected"] - uninspected
    return rows


def reading_figures(readings, *group_by):
    """Per group: the number, sum, average and lowest of the standard rooms' readings — one query."""
    figures = {
        "readings": Count("pk"),
        "reading_sum": Sum("celsius"),
        "average": Avg("celsius"),
        "lowest": Min("celsius"),
    }
    readings = readings.filter(room_type__in=TemperatureReading.STANDARD_ROOMS).order_by()
    if not group_by:
        return readings.aggregate(**figures)
    return list(readings.values(*group_by).annotate(**figures))


def season_readings(season_ids):
    return TemperatureReading.objects.filter(inspection__season__in=season_ids)
