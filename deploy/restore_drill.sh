#!/usr/bin/env bash
# The restore drill: restore a dump (default: the newest in BACKUP_DIR) into a scratch database, count the rows of
# deploy/backup-counts.sql there and compare them with the .counts file that backup.sh wrote from the dump's own
# snapshot. Exit 0 only when every count matches; the scratch database is dropped afterwards either way.
# Run it monthly, and after any change to PostgreSQL or to backup.sh:  deploy/restore_drill.sh [DUMP]
set -euo pipefail

url=${BACKUP_DATABASE_URL:-${DATABASE_URL:?DATABASE_URL is not set}}
backup_dir=${BACKUP_DIR:-/var/backups/jinjiajiayuan}
here=$(cd "$(dirname "$0")" && pwd)
dump=${1:-$(find "$backup_dir" -maxdepth 1 -name 'jinjiajiayuan-*.dump' | sort | tail -n 1)}
[[ -n $dump ]] || { echo "restore_drill.sh: no dump in $backup_dir" >&2; exit 1; }
expected=${dump%.dump}.counts
[[ -r $expected ]] || { echo "restore_drill.sh: no $expected beside the dump" >&2; exit 1; }

scratch=jinjiajiayuan_drill_$$
base=${url%%\?*}
options=${url#"$base"}
scratch_url="${base%/*}/$scratch$options"
trap 'dropdb --maintenance-db="$url" --if-exists "$scratch"' EXIT

"$here/restore.sh" "$dump" "$scratch" >/dev/null
restored=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -f "$here/backup-counts.sql" "$scratch_url")

echo "table|in the dump|restored"
LC_ALL=C join -t '|' -a 1 -a 2 -e missing -o 0,1.2,2.2 <(LC_ALL=C sort "$expected") <(LC_ALL=C sort <<<"$restored")
if [[ $restored != "$(cat "$expected")" ]]; then
  echo "restore_drill.sh: FAILED, the restored copy of $dump differs from its counts" >&2
  exit 1
fi
echo "restore_drill.sh: passed, $dump restores whole"
