"""The replica router against a real PostgreSQL streaming replica.

Two clusters made with `pg_createcluster` on free ports: a primary holding a copy of the seeded street (restored
from a deploy/backup.sh dump) and a hot standby made from it with `pg_basebackup -R`, streaming. The portal runs
with DATABASE_URL on the primary and DATABASE_REPLICA_URL on the standby: reads inside `replica_reads()` reach
the standby (and see the primary's writes once streamed), writes and reads inside a transaction stay on the
primary. Needs root (or the postgres user) for pg_createcluster, as CI runs.
"""

import json
import os
import subprocess
import time

import pytest

from .conftest import BASE_DIR, PostgresServer, free_port, manage, production_env_file, run, tool
from .units import DEPLOY, run_environment

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("system_tools")]

PRIMARY, STANDBY = "portal_test_primary", "portal_test_standby"

ROUTING = """
import json, time
from django.contrib.auth.models import Group
from django.db import connections, transaction
from core.db_router import replica_reads
from households.models import Household

def server_of(queryset):
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return {"alias": queryset.db, "standby": cursor.fetchone()[0]}

result = {"outside": server_of(Household.objects.all())}
with replica_reads():
    result["inside"] = server_of(Household.objects.all())
    result["households"] = [Household.objects.count(), Household.objects.using("default").count()]
    group = Group.objects.create(name="replica-probe")  # a write inside the block
    result["write_alias"] = group._state.db
    deadline = time.monotonic() + 20
    while not Group.objects.filter(name="replica-probe").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    result["streamed"] = Group.objects.filter(name="replica-probe").exists()
    with transaction.atomic():
        result["in_transaction"] = server_of(Household.objects.all())
print("RESULT " + json.dumps(result))
"""


def _cluster(*args, check=True):
    return run([tool(args[0]), *args[1:]], check=check, timeout=180)


def _drop_clusters(version):
    for name in (STANDBY, PRIMARY):
        if os.path.isdir(f"/etc/postgresql/{version}/{name}"):
            _cluster("pg_dropcluster", "--stop", version, name)


@pytest.fixture(scope="module")
def clusters(postgres_server, database, workdir):
    """(primary port, standby port), the standby streaming from the primary, both with the seeded database."""
    if os.geteuid() != 0:
        pytest.fail("pg_createcluster needs root (CI runs as root)")
    [(version_num,)] = postgres_server.query("SHOW server_version_num")
    version = str(int(version_num) // 10000)
    primary_port, standby_port = free_port(), free_port()
    _drop_clusters(version)

    # initdb's --auth=trust writes a pg_hba.conf that also lets replication in over loopback.
    _cluster("pg_createcluster", version, PRIMARY, "-p", str(primary_port), "--start", "--", "--auth=trust")
    try:
        backup_dir = workdir / "replica-dump"
        env = run_environment({"DATABASE_URL": postgres_server.url(database), "BACKUP_DIR": str(backup_dir)})
        dump = run([str(DEPLOY / "backup.sh")], env=env).stdout.strip().splitlines()[-1]
        primary_env = run_environment({"DATABASE_URL": f"postgres://postgres@127.0.0.1:{primary_port}/postgres"})
        run([str(DEPLOY / "restore.sh"), dump, database], env=primary_env)

        _cluster("pg_createcluster", version, STANDBY, "-p", str(standby_port), "--", "--auth=trust")
        data = f"/var/lib/postgresql/{version}/{STANDBY}"
        run(["find", data, "-mindepth", "1", "-delete"])
        basebackup = [tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres", "-D", data]
        basebackup += ["--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast"]
        run(["runuser", "-u", "postgres", "--", *basebackup], timeout=180)
        _cluster("pg_ctlcluster", version, STANDBY, "start")
        _wait_for_streaming(PostgresServer("127.0.0.1", primary_port, "postgres", "", database))
        yield primary_port, standby_port
    finally:
        _drop_clusters(version)


def _wait_for_streaming(primary):
    deadline = time.monotonic() + 60
    while not primary.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'"):
        assert time.monotonic() < deadline, "the standby never started streaming"
        time.sleep(0.5)


def test_reads_in_replica_reads_go_to_the_streaming_standby(clusters, postgres_server, database, redis_url, workdir):
    primary_port, standby_port = clusters
    directory = workdir / "replica"
    directory.mkdir()
    env_file = production_env_file(
        directory / "env",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary_port}/{database}",
        DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{standby_port}/{database}",
        CELERY_BROKER_URL=redis_url,
    )

    output = manage("shell", "-c", ROUTING, env_file=env_file, home=directory).stdout
    result = json.loads(output.split("RESULT ", 1)[1])

    assert result["outside"] == {"alias": "default", "standby": False}
    assert result["inside"] == {"alias": "replica", "standby": True}
    assert result["households"][0] == result["households"][1] > 0
    assert result["write_alias"] == "default"
    assert result["streamed"] is True
    assert result["in_transaction"] == {"alias": "default", "standby": False}


def test_the_standby_refuses_writes(clusters, database):
    _, standby_port = clusters

    insert = "INSERT INTO auth_group (name) VALUES ('written-on-the-standby')"
    psql = [tool("psql"), "-h", "127.0.0.1", "-p", str(standby_port), "-U", "postgres", "-d", database, "-c", insert]

    result = subprocess.run(psql, capture_output=True, text=True, cwd=BASE_DIR)

    assert result.returncode != 0
    assert "read-only transaction" in result.stderr
