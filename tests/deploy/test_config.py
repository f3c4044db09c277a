"""The production configuration, read without starting anything (these run in `make test`): gunicorn bounds the
database connections, the units start one worker per queue and one beat, the environment file names every
variable, the settings follow the environment, and the replica router sends only opted-in reads to the replica."""

import re
import runpy

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from core import db_router
from households.models import Household

from .units import DEPLOY, ENV_FILE, INSTALL_ROOT, SYSTEMD, example_environment, read_unit

BASE_DIR = settings.BASE_DIR
POSTGRES_MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3
MAINTENANCE = 5  # manage.py, psql, the nightly pg_dump
SERVICES = sorted(path.name for path in SYSTEMD.glob("*.service"))
# Read by the code but not set by an operator.
NOT_OPERATOR_SETTINGS = {"DJANGO_SETTINGS_MODULE"}
PRODUCT_SKIP = {".venv", "tests", "bench", "static", "var", "locale", "node_modules", "staticfiles", ".git"}


def _config(path, monkeypatch, names, env):
    for name in names:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, str(value))
    return runpy.run_path(str(path))


def gunicorn_config(monkeypatch, **env):
    names = ("WEB_CONCURRENCY", "GUNICORN_THREADS", "WEB_DB_CONNECTIONS", "GUNICORN_BIND")
    return _config(DEPLOY / "gunicorn.conf.py", monkeypatch, names, env)


def settings_with(monkeypatch, **env):
    """The settings module as a process with these variables would load it."""
    names = ("DATABASE_TRANSACTION_POOLING", "DATABASE_REPLICA_URL", "CACHE_URL", "DJANGO_STORAGE_BACKEND")
    names += ("DJANGO_STORAGE_OPTIONS", "DJANGO_CONN_MAX_AGE", "DJANGO_CONN_HEALTH_CHECKS")
    env.setdefault("DATABASE_URL", "postgres://portal@127.0.0.1:5432/portal")
    return _config(BASE_DIR / "jinjiajiayuan" / "settings.py", monkeypatch, names, env)


def worker_processes(unit):
    """Database connections a Celery unit may hold: its --concurrency children and the parent."""
    [exec_start] = read_unit(unit)["ExecStart"]
    concurrency = re.search(r"--concurrency=(\d+)", exec_start)
    return (int(concurrency.group(1)) if concurrency else 1) + 1


# --- gunicorn -----------------------------------------------------------------------------------------------


def test_gunicorn_runs_threads_within_the_database_connection_bound(monkeypatch):
    config = gunicorn_config(monkeypatch)

    assert config["worker_class"] == "gthread"
    assert config["workers"] * config["threads"] <= config["db_connections"]
    assert config["bind"] == example_environment()["GUNICORN_BIND"] == "127.0.0.1:8000"


def test_gunicorn_takes_workers_and_threads_from_the_environment(monkeypatch):
    config = gunicorn_config(monkeypatch, WEB_CONCURRENCY=3, GUNICORN_THREADS=5)

    assert (config["workers"], config["threads"]) == (3, 5)


def test_gunicorn_refuses_more_threads_than_database_connections(monkeypatch):
    with pytest.raises(RuntimeError, match="WEB_DB_CONNECTIONS"):
        gunicorn_config(monkeypatch, WEB_CONCURRENCY=12, GUNICORN_THREADS=4)


def test_connection_budget_fits_postgresql_default_max_connections(monkeypatch):
    """The arithmetic of deploy/gunicorn.conf.py, from the units as they are: the web's share counts twice (a
    reload overlaps old and new workers), then every Celery process, beat and the maintenance slack."""
    web = gunicorn_config(monkeypatch)["db_connections"]
    workers = [unit for unit in SERVICES if " worker " in read_unit(unit)["ExecStart"][0]]
    celery = sum(worker_processes(unit) for unit in workers) + 1  # + beat

    assert 2 * web + celery + MAINTENANCE + SUPERUSER_RESERVED <= POSTGRES_MAX_CONNECTIONS


def test_gunicorn_trusts_forwarded_headers_from_loopback_only(monkeypatch):
    config = gunicorn_config(monkeypatch)

    assert set(config["forwarded_allow_ips"].split(",")) == {"127.0.0.1", "::1"}


# --- systemd units ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", SERVICES)
def test_every_unit_runs_the_checkout_with_the_environment_file(unit):
    entries = read_unit(unit)

    assert entries["EnvironmentFile"] == [ENV_FILE]
    assert entries["WorkingDirectory"] == [INSTALL_ROOT]
    assert entries["User"] == ["jinjiajiayuan"]
    assert entries["ExecStart"][0].startswith(f"{INSTALL_ROOT}/")


def test_exactly_one_beat_and_one_worker_per_queue():
    commands = [read_unit(unit)["ExecStart"][0] for unit in SERVICES]
    beats = [command for command in commands if " beat" in command]
    workers = [command for command in commands if " worker " in command]
    queues = sorted(re.search(r"--queues=(\S+)", command).group(1) for command in workers)
    example = example_environment()

    assert len(beats) == 1
    assert not any(re.search(r"\s(-B|--beat)\b", command) for command in workers)
    assert queues == sorted([example["CELERY_QUEUE"], example["CELERY_REPORTS_QUEUE"]]) == ["celery", "reports"]
    assert settings.CELERY_TASK_ROUTES["reports.tasks.*"] == {"queue": settings.CELERY_REPORTS_QUEUE}


def test_backup_timer_starts_the_backup_unit_nightly():
    timer = read_unit("jinjiajiayuan-backup.timer")
    backup = read_unit("jinjiajiayuan-backup.service")

    assert timer["OnCalendar"] and timer["Persistent"] == ["true"]
    assert backup["ExecStart"] == [f"{INSTALL_ROOT}/deploy/backup.sh"]


# --- nginx and PgBouncer ------------------------------------------------------------------------------------


def _directive(text, name):
    return re.findall(rf"^\s*{name}\s+([^;{{]+);", text, flags=re.MULTILINE)


def _megabytes(value):
    return int(value.rstrip("m")) * 1024 * 1024


def test_nginx_site_passes_proxy_headers_and_limits_uploads_above_django():
    site = (DEPLOY / "nginx" / "jinjiajiayuan.conf").read_text()
    headers = " ".join(_directive(site, "proxy_set_header"))

    assert "X-Forwarded-Proto $scheme" in headers and "X-Forwarded-For" in headers and "Host" in headers
    assert _megabytes(_directive(site, "client_max_body_size")[0]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert any("443 ssl" in listen for listen in _directive(site, "listen"))
    assert "return 301 https://$host$request_uri" in site


def test_nginx_serves_the_static_root_and_proxies_to_the_gunicorn_bind(monkeypatch):
    site = (DEPLOY / "nginx" / "jinjiajiayuan.conf").read_text()
    example = example_environment()

    assert _directive(site, "alias") == [example["DJANGO_STATIC_ROOT"] + "/"]
    assert _directive(site, "server") == [example["GUNICORN_BIND"]]
    assert int(_directive(site, "proxy_read_timeout")[0].rstrip("s")) >= gunicorn_config(monkeypatch)["timeout"]


def test_pgbouncer_sample_pools_transactions_within_postgresql():
    ini = (DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text()
    value = dict(re.findall(r"^(\w+)\s*=\s*(.*)$", ini, flags=re.MULTILINE))

    assert value["pool_mode"] == "transaction"
    assert int(value["default_pool_size"]) + int(value["reserve_pool_size"]) <= (
        POSTGRES_MAX_CONNECTIONS - SUPERUSER_RESERVED - MAINTENANCE - 1
    )
    assert "connect_query='SET jit = off; SET random_page_cost = 1.1'" in value["jinjiajiayuan"]


# --- the environment file -----------------------------------------------------------------------------------


def _product_files():
    for path in sorted(BASE_DIR.rglob("*.py")):
        if not PRODUCT_SKIP & set(path.relative_to(BASE_DIR).parts):
            yield path
    yield from sorted(DEPLOY.glob("*.sh"))


def variables_the_code_reads():
    python = re.compile(
        r"""(?:\benv(?:\.\w+)?\(|os\.environ(?:\.get|\.setdefault)?[(\[]|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    shell = re.compile(r"\$\{([A-Z][A-Z0-9_]+)[:}\-]")
    names = set()
    for path in _product_files():
        text = path.read_text(encoding="utf-8")
        names.update((shell if path.suffix == ".sh" else python).findall(text))
    return names - NOT_OPERATOR_SETTINGS


def example_blocks():
    """{variable: the lines of its paragraph} of deploy/.env.example, commented-out variables included."""
    blocks, current = {}, []
    for line in [*(DEPLOY / ".env.example").read_text(encoding="utf-8").splitlines(), ""]:
        if line.strip():
            current.append(line)
            continue
        for entry in current:
            if match := re.match(r"^#?\s?([A-Z][A-Z0-9_]+)=", entry):
                blocks[match.group(1)] = current
        current = []
    return blocks


def test_env_example_lists_every_variable_the_code_reads():
    missing = variables_the_code_reads() - set(example_blocks())

    assert missing == set(), f"add these to deploy/.env.example, each with a comment: {sorted(missing)}"


def test_env_example_lists_nothing_the_code_does_not_read():
    assert set(example_blocks()) - variables_the_code_reads() == set()


def test_every_variable_in_env_example_has_a_comment():
    def described(lines):
        return any(line.startswith("# ") and not re.match(r"^# [A-Z][A-Z0-9_]+=", line) for line in lines)

    assert [name for name, lines in example_blocks().items() if not described(lines)] == []


def test_env_example_is_a_systemd_environment_file_without_expansions():
    values = example_environment()

    assert values["DJANGO_DEBUG"] == "0"
    assert not any("$" in value for value in values.values())


# --- settings from the environment --------------------------------------------------------------------------


def test_postgresql_without_a_pooler_keeps_connections_and_turns_jit_off(monkeypatch):
    config = settings_with(monkeypatch, DJANGO_CONN_MAX_AGE=120, DJANGO_CONN_HEALTH_CHECKS=0)
    database = config["DATABASES"]["default"]

    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (120, False)
    assert database["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1"
    assert "DISABLE_SERVER_SIDE_CURSORS" not in database


def test_transaction_pooling_turns_off_server_side_cursors_and_startup_options(monkeypatch):
    config = settings_with(monkeypatch, DATABASE_TRANSACTION_POOLING=1)
    database = config["DATABASES"]["default"]

    assert database["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in database.get("OPTIONS", {})


def test_replica_url_adds_a_replica_alias_that_tests_read_from_the_default_database(monkeypatch):
    config = settings_with(
        monkeypatch, DATABASE_REPLICA_URL="postgres://portal@10.0.0.12:5432/portal", DATABASE_TRANSACTION_POOLING=0
    )
    replica = config["DATABASES"]["replica"]

    assert (replica["HOST"], replica["NAME"]) == ("10.0.0.12", "portal")
    assert replica["TEST"] == {"MIRROR": "default"}
    assert replica["OPTIONS"]["options"] == "-c jit=off -c random_page_cost=1.1"
    assert config["DATABASE_ROUTERS"] == ["core.db_router.ReplicaRouter"]


def test_sessions_live_in_the_database_unless_a_shared_cache_holds_them_too(monkeypatch):
    assert settings_with(monkeypatch)["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"

    shared = settings_with(monkeypatch, CACHE_URL="redis://127.0.0.1:6379/1")

    assert shared["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert shared["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_upload_storage_comes_from_the_environment(monkeypatch):
    config = settings_with(
        monkeypatch,
        DJANGO_STORAGE_BACKEND="storages.backends.s3.S3Storage",
        DJANGO_STORAGE_OPTIONS='{"bucket_name": "portal-media"}',
    )

    assert config["STORAGES"]["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "portal-media"},
    }


# --- the replica router -------------------------------------------------------------------------------------


@pytest.fixture
def replica(monkeypatch):
    """As if DATABASE_REPLICA_URL were set (routing only: nothing here connects)."""
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_reads_go_to_the_default_database_outside_replica_reads(replica):
    assert Household.objects.all().db == DEFAULT_DB_ALIAS


def test_reads_inside_replica_reads_go_to_the_replica(replica):
    with db_router.replica_reads():
        assert Household.objects.all().db == db_router.REPLICA
    assert Household.objects.all().db == DEFAULT_DB_ALIAS


@pytest.mark.django_db
def test_reads_inside_a_transaction_stay_on_the_primary(replica):
    with db_router.replica_reads():
        assert Household.objects.all().db == DEFAULT_DB_ALIAS


def test_without_a_replica_replica_reads_changes_nothing():
    with db_router.replica_reads():
        assert Household.objects.all().db == DEFAULT_DB_ALIAS


def test_writes_and_migrations_go_to_the_primary(replica):
    router = db_router.ReplicaRouter()

    with db_router.replica_reads():
        assert router.db_for_write(Household) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "households") is True
    assert router.allow_migrate(db_router.REPLICA, "households") is False
