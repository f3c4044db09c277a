-- What a restore must bring back: backup.sh counts these rows in the very snapshot it dumps (the .counts file
-- beside each dump) and restore_drill.sh counts them again in the restored copy. One row per line: name, count.
-- When identity numbers are stored encrypted with a keyed hash, add their count here (and keep the key, which is
-- in the env file and not in the dump, backed up with it: a dump without its key cannot show a number).
SELECT 'households', count(*) FROM households_household
UNION ALL SELECT 'residents', count(*) FROM households_resident
UNION ALL SELECT 'visits', count(*) FROM visits_visit
UNION ALL SELECT 'requests', count(*) FROM visits_residentrequest
UNION ALL SELECT 'heating_tickets', count(*) FROM heating_heatingticket
UNION ALL SELECT 'disputes', count(*) FROM mediation_dispute
UNION ALL SELECT 'users', count(*) FROM accounts_user
ORDER BY 1;
