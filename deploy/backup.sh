#!/usr/bin/env bash
# One dump of the portal's database, kept BACKUP_KEEP_DAYS days: run nightly by jinjiajiayuan-backup.timer, or
# by hand. Writes BACKUP_DIR/jinjiajiayuan-<UTC time>.dump (pg_dump's custom format, compressed, restored with
# deploy/restore.sh) and beside it a .counts file: the rows of deploy/backup-counts.sql in the same snapshot,
# which deploy/restore_drill.sh checks a restore against. Prints the dump's path.
#
# BACKUP_DATABASE_URL (default DATABASE_URL) must reach PostgreSQL itself, not PgBouncer in transaction mode.
set -euo pipefail
umask 077  # the dumps hold personal data

url=${BACKUP_DATABASE_URL:-${DATABASE_URL:?DATABASE_URL is not set}}
backup_dir=${BACKUP_DIR:-/var/backups/jinjiajiayuan}
keep_days=${BACKUP_KEEP_DAYS:-30}
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$backup_dir"
name="$backup_dir/jinjiajiayuan-$(date -u +%Y%m%dT%H%M%SZ)"

# One read-only snapshot for the dump and the counts: a session exports it and stays open until both are done.
coproc psql_session { psql -X -q -A -t -v ON_ERROR_STOP=1 "$url"; }
snapshot_pid=$psql_session_PID
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${psql_session[1]}"
read -r snapshot <&"${psql_session[0]}"

pg_dump --format=custom --no-owner --no-privileges --snapshot="$snapshot" --file="$name.dump.partial" "$url"
{ echo "\\i '$here/backup-counts.sql'"; echo '\echo --end--'; } >&"${psql_session[1]}"
: >"$name.counts.partial"
while read -r line <&"${psql_session[0]}" && [[ $line != --end-- ]]; do
  echo "$line" >>"$name.counts.partial"
done
{ echo 'COMMIT;'; echo '\q'; } >&"${psql_session[1]}"
wait "$snapshot_pid"

pg_restore --list "$name.dump.partial" >/dev/null  # the archive reads back whole
mv "$name.counts.partial" "$name.counts"
mv "$name.dump.partial" "$name.dump"

find "$backup_dir" -maxdepth 1 -name 'jinjiajiayuan-*' -type f -mtime +"$keep_days" -delete
echo "$name.dump"
