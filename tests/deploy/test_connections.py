"""Load beyond the web's bound waits its turn and never exhausts PostgreSQL.

gunicorn runs from the web unit with deploy/gunicorn.conf.py and more clients fire at once than it has threads.
Straight to PostgreSQL, the database never holds more connections than workers × threads; through PgBouncer in
transaction mode (deploy/pgbouncer/pgbouncer.ini), never more than PgBouncer's pool. Every request succeeds.
"""

import os
import pwd
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import free_port, manage, production_env_file, start_web, tool
from .units import DEPLOY
from .web import Browser, log_a_visit, wait_until

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("system_tools")]

WORKERS, THREADS = 2, 3
POOL_SIZE = 2
CLIENTS = 4 * WORKERS * THREADS  # all at once, well past the bound
ROUNDS = 1
USERS = ("grid01", "cadre", "leader")
PAGES = ("/", "/households/?q=wang", "/visits/tasks/", "/requests/", "/grids/coverage/")


class ConnectionWatch:
    """Samples PostgreSQL's connections to one database in the background; `peak` is the most it saw."""

    def __init__(self, server, database):
        self.server, self.database = server, database
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        connection = self.server.connect()
        try:
            with connection.cursor() as cursor:
                while not self._stop.is_set():
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
                        [self.database],
                    )
                    self.peak = max(self.peak, cursor.fetchone()[0])
                    time.sleep(0.01)
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def fire(base_url):
    """CLIENTS requests at once, ROUNDS times, as several signed-in users; the statuses they got."""
    browsers = []
    for username in USERS:
        browser = Browser(base_url)
        browser.sign_in(username)
        browsers.append(browser)
    jobs = [(browsers[n % len(browsers)], PAGES[n % len(PAGES)]) for n in range(CLIENTS * ROUNDS)]
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return Counter(pool.map(lambda job: job[0].get(job[1]).status, jobs))


def log_visit(base_url):
    browser = Browser(base_url)
    browser.sign_in("grid01")
    problem = f"经连接池记录的走访 {uuid.uuid4().hex[:8]}"
    saved = log_a_visit(browser, problem)
    assert saved.status == 302, saved.text[:2000]
    return problem in browser.get(saved.location).text


def web_env(directory, *, database_url, static_root, redis_url, port, **extra):
    return production_env_file(
        directory / "env",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url,
        DJANGO_STATIC_ROOT=static_root,
        DJANGO_HTTPS=0,  # plain HTTP on loopback: no nginx in these tests
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=WORKERS,
        GUNICORN_THREADS=THREADS,
        **extra,
    )


@pytest.fixture
def port():
    return free_port()


@pytest.fixture(scope="module")
def pgbouncer(database, postgres_server, services, workdir):
    """PgBouncer from deploy/pgbouncer/pgbouncer.ini on a free port, with a pool of POOL_SIZE for `database`."""
    directory = workdir / "pgbouncer"
    directory.mkdir()
    listen_port = free_port()
    userlist = directory / "userlist.txt"
    userlist.write_text(f'"{postgres_server.user}" "{postgres_server.password}"\n')
    text = (DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text()
    replacements = {
        "host=127.0.0.1 port=5432 dbname=jinjiajiayuan": (
            f"host={postgres_server.host} port={postgres_server.port} dbname={database}"
        ),
        "listen_port = 6432": f"listen_port = {listen_port}",
        "unix_socket_dir = /var/run/postgresql": "unix_socket_dir =",
        "auth_type = scram-sha-256": "auth_type = trust",  # the test server trusts loopback
        "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {userlist}",
        "default_pool_size = 40": f"default_pool_size = {POOL_SIZE}",
        "reserve_pool_size = 5": "reserve_pool_size = 0",
        "logfile = /var/log/postgresql/pgbouncer.log": f"logfile = {directory / 'pgbouncer.log'}",
        "pidfile = /var/run/postgresql/pgbouncer.pid": f"pidfile = {directory / 'pgbouncer.pid'}",
    }
    for old, new in replacements.items():
        assert old in text, f"the PgBouncer sample no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    ini = directory / "pgbouncer.ini"
    ini.write_text(text)
    argv = [tool("pgbouncer"), str(ini)]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        argv[1:1] = ["-u", "postgres"]
        postgres = pwd.getpwnam("postgres")
        for path in (directory, userlist, ini):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
    process = services("pgbouncer", argv)
    process.wait_for_log("process up")
    return listen_port


def test_gunicorn_holds_no_more_connections_than_workers_times_threads(
    database, postgres_server, redis_url, static_root, services, workdir, port
):
    directory = workdir / "bounded"
    directory.mkdir()
    env_file = web_env(
        directory,
        database_url=postgres_server.url(database),
        static_root=static_root,
        redis_url=redis_url,
        port=port,
    )
    web = start_web(services, env_file, home=directory, name="web-bounded")
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: Browser(base_url).get("/accounts/login/").status == 200, seconds=60, what="gunicorn")

    with ConnectionWatch(postgres_server, database) as watch:
        statuses = fire(base_url)
    web.stop()  # its connections would count in the next test

    assert statuses == Counter({200: CLIENTS * ROUNDS}), web.log()[-3000:]
    assert 1 <= watch.peak <= WORKERS * THREADS


def test_through_pgbouncer_postgresql_sees_only_the_pool(
    database, postgres_server, pgbouncer, redis_url, static_root, services, workdir, port
):
    directory = workdir / "pooled"
    directory.mkdir()
    env_file = web_env(
        directory,
        database_url=postgres_server.url("jinjiajiayuan", port=pgbouncer),
        static_root=static_root,
        redis_url=redis_url,
        port=port,
        DATABASE_TRANSACTION_POOLING=1,
    )
    web = start_web(services, env_file, home=directory, name="web-pooled")
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: Browser(base_url).get("/accounts/login/").status == 200, seconds=60, what="gunicorn")

    with ConnectionWatch(postgres_server, database) as watch:
        statuses = fire(base_url)
        visit_shown = log_visit(base_url)

    assert statuses == Counter({200: CLIENTS * ROUNDS}), web.log()[-3000:]
    assert visit_shown, web.log()[-3000:]
    assert 1 <= watch.peak <= POOL_SIZE


QUERIES = """
from django.db import connection
from households.models import Household
with connection.cursor() as cursor:
    cursor.execute("SHOW jit")
    print("jit", cursor.fetchone()[0])
    cursor.execute("SHOW random_page_cost")
    print("random_page_cost", cursor.fetchone()[0])
print("iterated", sum(1 for _ in Household.objects.order_by("pk").iterator(chunk_size=100)))
print("counted", Household.objects.count())
"""


def test_through_pgbouncer_queries_keep_jit_off_and_iterate_without_server_side_cursors(
    database, postgres_server, pgbouncer, redis_url, workdir
):
    directory = workdir / "pooled-queries"
    directory.mkdir()
    env_file = production_env_file(
        directory / "env",
        DATABASE_URL=postgres_server.url("jinjiajiayuan", port=pgbouncer),
        DATABASE_TRANSACTION_POOLING=1,
        CELERY_BROKER_URL=redis_url,
    )

    output = manage("shell", "-c", QUERIES, env_file=env_file, home=directory).stdout

    values = dict(
        line.split(" ", 1)
        for line in output.splitlines()
        if line.startswith(("jit", "random_page_cost", "iterated", "counted"))
    )
    assert values["jit"] == "off"
    assert values["random_page_cost"] == "1.1"
    assert values["iterated"] == values["counted"] != "0"
