"""Fixtures of the production tests: a seeded PostgreSQL database, copies of it per module, services started
from the systemd units, free ports.

The tests marked `deploy` need PostgreSQL's server tools, nginx and PgBouncer (`.ci/run` installs them) and
DATABASE_URL / CELERY_BROKER_URL pointing at PostgreSQL and Redis. `make smoke` runs them, after `make test` in
CI; `make test` leaves them out (`-m "not deploy"` in pyproject.toml). A missing tool fails them, never skips.
"""

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import environ
import psycopg2
import pytest
from django.conf import settings

from .units import (
    DEPLOY,
    example_environment,
    manage_command,
    run_environment,
    service_command,
    write_environment_file,
)

BASE_DIR = Path(settings.BASE_DIR)
TOOLS = ("psql", "createdb", "dropdb", "pg_dump", "pg_restore", "pg_basebackup", "pg_createcluster", "nginx")
TOOLS += ("pgbouncer", "openssl", "systemd-analyze", "logrotate")
# One identity-number key for the seeded street and every server that reads it, as the key travels with a backup.
ID_NUMBER_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()

# Two disputes, should the demo street have none (the backup test counts them).
DISPUTES = """
from accounts.models import User
from households.models import Resident
from mediation.models import Dispute, Party
from mediation.services import party_from_resident, register_dispute

if not Dispute.objects.exists():
    cadre = User.objects.get(username="cadre")
    residents = list(Resident.objects.select_related("household__building__grid__community").order_by("pk")[:4])
    for applicant, respondent in (residents[0:2], residents[2:4]):
        grid = applicant.household.building.grid
        register_dispute(
            community=grid.community,
            grid=grid,
            by=cadre,
            parties=[
                party_from_resident(applicant, side=Party.Side.APPLICANT),
                party_from_resident(respondent, side=Party.Side.RESPONDENT),
            ],
            dispute_type="neighbour",
            source=Dispute.Source.WALK_IN,
            risk=Dispute.Risk.YELLOW,
            title="楼上漏水致楼下受损",
            facts="卫生间漏水，楼下天花板受损。",
            matters="维修责任",
        )
print(Dispute.objects.count())
"""


def tool(name):
    """The path of a system tool, or a failure that says how to install it."""
    path = shutil.which(name, path=run_environment()["PATH"])
    if path is None:
        pytest.fail(f"{name} is missing: `apt-get install nginx pgbouncer postgresql` (.ci/run installs them)")
    return path


@pytest.fixture(scope="session")
def system_tools():
    return {name: tool(name) for name in TOOLS}


def run(argv, *, env=None, cwd=BASE_DIR, timeout=120, check=True, **kwargs):
    result = subprocess.run(
        argv, cwd=cwd, env=env or run_environment(), capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check:
        assert result.returncode == 0, f"{argv[:3]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class PostgresServer:
    """The PostgreSQL server of DATABASE_URL, where the tests create and drop their own databases."""

    host: str
    port: int
    user: str
    password: str
    base_name: str

    def url(self, database, *, port=None):
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgres://{auth}@{self.host}:{port or self.port}/{database}"

    def connect(self, database="postgres", *, port=None):
        connection = psycopg2.connect(
            host=self.host, port=port or self.port, user=self.user, password=self.password, dbname=database
        )
        connection.autocommit = True
        return connection

    def query(self, sql, params=None, *, database="postgres", port=None):
        connection = self.connect(database, port=port)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else None
        finally:
            connection.close()

    def create_database(self, name, *, template=None):
        self.drop_database(name)
        self.query(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def drop_database(self, name):
        self.query(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def connections(self, database):
        """Client connections PostgreSQL holds for `database` right now."""
        [(count,)] = self.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            [database],
        )
        return count

    def counts(self, database, *, port=None):
        """The rows deploy/backup-counts.sql counts: what a restore must bring back."""
        sql = "\n".join(
            line for line in (DEPLOY / "backup-counts.sql").read_text().splitlines() if not line.startswith("--")
        )
        return dict(self.query(sql, database=database, port=port))


@pytest.fixture(scope="session")
def postgres_server():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.fail("the production tests need DATABASE_URL=postgres://… (CI sets it; see .ci/run)")
    config = environ.Env.db_url_config(url)
    return PostgresServer(
        host=config["HOST"] or "127.0.0.1",
        port=int(config["PORT"] or 5432),
        user=config["USER"] or "postgres",
        password=config["PASSWORD"] or "",
        base_name=config["NAME"],
    )


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.fail("the production tests need CELERY_BROKER_URL=redis://… (CI sets it; see .ci/run)")
    return url


@pytest.fixture(scope="session")
def workdir():
    """A folder for configs, logs and sockets that nginx's and PgBouncer's unprivileged users can read too."""
    path = Path(tempfile.mkdtemp(prefix="jj-deploy-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def seed_database(postgres_server):
    """A migrated database with the demo street (and two disputes), never used directly: modules copy it."""
    name = f"{postgres_server.base_name}_deploy_seed"
    postgres_server.create_database(name)
    env = run_environment({"DATABASE_URL": postgres_server.url(name), "ID_NUMBER_KEY": ID_NUMBER_KEY})
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput", "-v", "0"], env=env, timeout=300)
    run([*manage, "seed_demo"], env=env)
    run([*manage, "shell", "-c", DISPUTES], env=env)
    yield name
    postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def database(request, postgres_server, seed_database):
    """This module's own copy of the seeded database, so connection counts see only its own clients."""
    name = f"{postgres_server.base_name}_deploy_{request.module.__name__.rsplit('.', 1)[-1].removeprefix('test_')}"
    postgres_server.create_database(name, template=seed_database)
    yield name
    postgres_server.drop_database(name)


class Service:
    """A long-running process with its output in a log file."""

    def __init__(self, name, argv, *, cwd, env, log_path):
        self.name = name
        self.log_path = log_path
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self):
        return self.log_path.read_text(errors="replace")

    def running(self):
        return self.process.poll() is None

    def wait_for_log(self, text, *, seconds=60):
        deadline = time.monotonic() + seconds
        while text not in self.log():
            assert self.running(), f"{self.name} exited {self.process.returncode}:\n{self.log()[-3000:]}"
            assert time.monotonic() < deadline, (
                f"{self.name} did not log {text!r} in {seconds} s:\n{self.log()[-3000:]}"
            )
            time.sleep(0.2)

    def terminate(self):
        if self.running():
            self.process.send_signal(signal.SIGTERM)

    def stop(self):
        """SIGTERM (the services' own graceful stop), then SIGKILL for the whole group after 20 s."""
        if self.process.returncode is None:
            self.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def services(workdir):
    """start(name, argv, cwd=, env=) → Service; every one is stopped, last started first, when the module ends."""
    started = []

    def start(name, argv, *, cwd=BASE_DIR, env=None):
        service = Service(name, argv, cwd=cwd, env=env or run_environment(), log_path=workdir / f"{name}.log")
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        service.terminate()
    for service in reversed(started):
        service.stop()


def production_env_file(path, **overrides):
    """deploy/.env.example as an operator fills it in, with the test's own values: a systemd EnvironmentFile."""
    values = example_environment()
    values.update(
        {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ID_NUMBER_KEY": ID_NUMBER_KEY,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_MEDIA_ROOT": str(path.parent / "media"),
            "AUDIT_LOG_DIR": str(path.parent / "log"),
        }
    )
    values.update({name: str(value) for name, value in overrides.items()})
    return write_environment_file(path, values)


@pytest.fixture(scope="session")
def static_root(workdir):
    """`collectstatic` with debug off, once for every server here (it compresses each file, which takes a while)."""
    root = workdir / "static"
    env_file = production_env_file(workdir / "collectstatic.env", DJANGO_STATIC_ROOT=root)
    manage("collectstatic", "--noinput", "-v", "0", env_file=env_file, home=workdir, timeout=300)
    return root


def start_web(services, env_file, *, home, name="web"):
    """gunicorn as jinjiajiayuan-web.service starts it, serving once a request gets an answer."""
    argv, cwd, env = service_command("jinjiajiayuan-web.service", root=BASE_DIR, env_file=env_file, home=home)
    web = services(name, argv, cwd=cwd, env=env)
    web.wait_for_log("Booting worker")
    return web


def manage(*args, env_file, home, timeout=120):
    argv, cwd, environment = manage_command(*args, root=BASE_DIR, env_file=env_file, home=home)
    return run(argv, cwd=cwd, env=environment, timeout=timeout)
