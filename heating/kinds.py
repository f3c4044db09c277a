"""The visit task kinds heating registers with `visits.kinds` (completed by a visit with the heating purpose)."""

# A re-inspection within 48 hours of a cold inspection or a ticket the company marked handled.
RECHECK = "heating_recheck"
# The pre-season sweep: valves and pipes checked in every household of the chosen buildings.
SEASON_CHECK = "heating_season_check"

RECHECK_HOURS = 48
