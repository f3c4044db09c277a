#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh into a NEW database on the same PostgreSQL server:
#
#     deploy/restore.sh /var/backups/jinjiajiayuan/jinjiajiayuan-20260301T183000Z.dump jinjiajiayuan_restored
#
# It never writes over an existing database (createdb fails first). To serve from the copy, stop the portal's
# units, point DATABASE_URL at it (or rename the databases in psql), run `manage.py migrate` if the code is newer
# than the dump, and start the units again. The server is the one BACKUP_DATABASE_URL (default DATABASE_URL)
# reaches; its role needs CREATEDB.
set -euo pipefail

dump=${1:?usage: restore.sh DUMP NEW_DATABASE}
target=${2:?usage: restore.sh DUMP NEW_DATABASE}
url=${BACKUP_DATABASE_URL:-${DATABASE_URL:?DATABASE_URL is not set}}
[[ $target =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "restore.sh: $target is not a plain database name" >&2; exit 2; }
[[ -r $dump ]] || { echo "restore.sh: cannot read $dump" >&2; exit 2; }

# The same server and options, another database: postgres://user:pass@host:port/NAME?options
base=${url%%\?*}
options=${url#"$base"}
target_url="${base%/*}/$target$options"

createdb --maintenance-db="$url" "$target"
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$target_url" "$dump"
echo "restore.sh: $dump restored into database $target"
