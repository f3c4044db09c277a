"""Backups: deploy/backup.sh dumps the seeded street with its counts and keeps BACKUP_KEEP_DAYS days of dumps;
deploy/restore.sh brings back the same households, visits, heating tickets and disputes in a new database; the
restore drill says so, and says so loudly when a dump does not match its counts."""

import os
import time
from pathlib import Path

import pytest

from .conftest import BASE_DIR, run
from .units import DEPLOY, run_environment

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("system_tools")]

KEEP_DAYS = 7


@pytest.fixture(scope="module")
def backup_env(database, postgres_server, workdir):
    backup_dir = workdir / "backups"
    return run_environment(
        {
            "DATABASE_URL": postgres_server.url(database),
            "BACKUP_DIR": str(backup_dir),
            "BACKUP_KEEP_DAYS": str(KEEP_DAYS),
        }
    )


@pytest.fixture(scope="module")
def dump(backup_env):
    """deploy/backup.sh once: the path of the dump it printed."""
    result = run([str(DEPLOY / "backup.sh")], env=backup_env, cwd=BASE_DIR)
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture
def restored(dump, backup_env, postgres_server, database):
    name = f"{database}_restored"
    postgres_server.drop_database(name)
    run([str(DEPLOY / "restore.sh"), dump, name], env=backup_env)
    yield name
    postgres_server.drop_database(name)


def test_backup_writes_a_private_dump_with_the_counts_of_its_snapshot(dump, postgres_server, database):
    counts = dict(line.split("|") for line in Path(dump).with_suffix(".counts").read_text().splitlines())

    assert {name: int(count) for name, count in counts.items()} == postgres_server.counts(database)
    assert os.stat(dump).st_mode & 0o077 == 0


def test_restore_brings_back_the_same_households_visits_tickets_and_disputes(restored, postgres_server, database):
    live, copy = postgres_server.counts(database), postgres_server.counts(restored)

    assert copy == live
    for table in ("households", "visits", "heating_tickets", "disputes"):
        assert copy[table] > 0, f"the seeded street has no {table}: the comparison would prove nothing"


def test_restore_never_writes_over_an_existing_database(dump, backup_env, database):
    result = run([str(DEPLOY / "restore.sh"), dump, database], env=backup_env, check=False)

    assert result.returncode != 0
    assert "already exists" in result.stderr


def test_restore_drill_passes_on_a_good_dump(dump, backup_env):
    result = run([str(DEPLOY / "restore_drill.sh"), dump], env=backup_env)

    assert "passed" in result.stdout
    assert "|in the dump|restored" in result.stdout


def test_restore_drill_fails_when_the_dump_lost_rows(dump, backup_env, tmp_path):
    tampered = tmp_path / "jinjiajiayuan-tampered.dump"
    tampered.write_bytes(Path(dump).read_bytes())
    counts = Path(dump).with_suffix(".counts").read_text()
    (tmp_path / "jinjiajiayuan-tampered.counts").write_text(counts.replace("households|", "households|1"))

    result = run([str(DEPLOY / "restore_drill.sh"), str(tampered)], env=backup_env, check=False)

    assert result.returncode == 1
    assert "FAILED" in result.stderr


def test_backup_removes_dumps_older_than_the_retention(backup_env, dump):
    backup_dir = backup_env["BACKUP_DIR"]
    old, recent = f"{backup_dir}/jinjiajiayuan-20000101T000000Z.dump", f"{backup_dir}/jinjiajiayuan-recent.dump"
    for path, days in ((old, KEEP_DAYS + 2), (recent, KEEP_DAYS - 2)):
        open(path, "wb").close()
        stamp = time.time() - days * 86400
        os.utime(path, (stamp, stamp))

    run([str(DEPLOY / "backup.sh")], env=backup_env)

    assert not os.path.exists(old)
    assert os.path.exists(recent) and os.path.exists(dump)
