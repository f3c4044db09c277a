"""Speed under load: gunicorn and a closed-loop load generator over a seeded street; see bench/README.md.

Against a database seeded by `bench/run.py --keep` (or `seed_demo --households 100000`), it

1. migrates the database, runs the nightly coverage snapshot (`runjob snapshot_coverage`), collects the static
   files and counts each page's SQL queries in-process (the Django test client, with the
   server's settings), failing when a page does not answer 200;
2. starts the portal under gunicorn with deploy/gunicorn.conf.py (debug off; bench/floor_settings.py, the
   portal's settings with the floor page bench/floor_urls.py mounted) and a bare Django project (bench/bare_settings.py) under the same configuration;
3. measures, in `--rounds` rounds, each page for `--seconds / --rounds` seconds with `--concurrency` sessions
   that each send a request as soon as the previous answer arrived (a new connection per request, as nginx
   opens them): throughput, and p50 / p95 of the response times. The floor and the bare page are measured at the
   start of every round, so each page's ratio compares figures taken minutes apart at most;
4. writes the table into the "Under load" section of `--output` (bench/results.md), keeping the rest.
"""

import argparse
import datetime
import http.client
import os
import platform
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/jinse_bench"
SECTION = "## Under load"
# The identity-number key of the benchmark's street: bench/run.py seeds with it and this script reads with it.
BENCH_ID_NUMBER_KEY = "VkWViNMblmk3Irx5ZR5Ee0mWa7kJmAfsHhD-q1XHOLs="

# Throughput relative to the floor before this benchmark's fixes (issue 11, measured the same way).
BEFORE = {
    "search_initials": 0.38,
    "household": 0.27,
    "tasks": 0.29,
    "requests": 0.16,
    "workbench": 0.10,
    "coverage": 0.12,
    "search_wang": 0.08,
    "leader_workbench": 0.026,
    "leader_coverage": 0.009,
    "admin_grids": 0.010,
    "admin_households": 0.048,
    "floor": 0.2,  # the floor against the bare page: "about 5× fewer requests"
}
# Budgets (issue 11): every page ≥ 0.30 of the floor, the floor ≥ 0.5 of the bare page, p95 ≤ 4 × the floor's.
MIN_RATIO, MIN_FLOOR_RATIO, MAX_P95_FACTOR = 0.30, 0.5, 4.0


@dataclass
class Page:
    key: str
    label: str
    user: str
    url: str
    queries: int | None = None
    bytes: int = 0
    rounds: list = field(default_factory=list)  # one Run per round


@dataclass
class Run:
    rate: float  # requests per second
    latencies: list
    errors: int


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--seconds", type=float, default=24, help="measured seconds per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent sessions")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--port", type=int, default=8731, help="the portal's port; the bare page uses the next")
    parser.add_argument("--only", default="", help="comma-separated page keys to measure (the floor and bare always)")
    parser.add_argument("--skip-migrate", action="store_true", help="do not migrate the database first")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jinse-load-") as folder:
        env = server_environment(args, Path(folder))
        os.environ.update(env)
        manage = [sys.executable, str(ROOT / "manage.py")]
        if not args.skip_migrate:
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        # What the nightly jobs would have counted by the morning (the coverage snapshot, grids.snapshots).
        subprocess.run([*manage, "runjob", "snapshot_coverage"], env=env, cwd=ROOT, check=True)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
        pages, sessions = prepare(args)
        portal = start_server(args.port, env, Path(folder) / "portal.log", args.workers)
        bare = start_server(
            args.port + 1,
            env | {"DJANGO_SETTINGS_MODULE": "bench.bare_settings"},
            Path(folder) / "bare.log",
            args.workers,
        )
        try:
            wait_until_up(args.port, "/bench/floor/", sessions["grid01"][0])
            wait_until_up(args.port + 1, "/bench/bare/", "")
            load = measure(args, pages, sessions)
        finally:
            for server in (portal, bare):
                server.terminate()
            for server in (portal, bare):
                server.wait(timeout=60)
    section = render(args, pages, load)
    print(section)
    write_section(args.output, section)
    print(f"written to {args.output}")


def server_environment(args, folder):
    """The production settings, on plain HTTP on loopback, with the floor page mounted (bench/floor_settings.py).

    The identity numbers are read with the key bench/run.py seeds them with (BENCH_ID_NUMBER_KEY)."""
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "bench.floor_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "ID_NUMBER_KEY": os.environ.get("ID_NUMBER_KEY", BENCH_ID_NUMBER_KEY),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "DJANGO_LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": str(args.workers),
    }


def prepare(args):
    """The pages to measure (their URLs looked up in the seeded street), each page's SQL queries through the test
    client, and `concurrency` sessions per user."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from accounts.models import User
    from households.models import Household

    setup_test_environment()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    grid01 = User.objects.get(username="grid01")
    wei = Household.objects.search("wyk").filter(residents__name="魏永凯").get()
    pages = [
        Page("floor", "地板页：门户布局 + 1 条查询", "grid01", "/bench/floor/"),
        Page("bare", "裸 Django 页：1 条查询", "", "/bench/bare/"),
        Page("search_initials", "搜索：拼音首字母 wyk", "grid01", "/households/?q=wyk"),
        Page("household", "居民户详情", "grid01", f"/households/{wei.pk}/"),
        Page("tasks", "走访任务", "grid01", "/visits/tasks/"),
        Page("requests", "民情诉求", "grid01", "/requests/"),
        Page("workbench", "工作台", "grid01", "/"),
        Page("coverage", "网格覆盖", "grid01", "/grids/coverage/"),
        Page("search_wang", "搜索：常见姓 wang", "grid01", "/households/?q=wang"),
        Page("cadre_tasks", "走访任务", "cadre", "/visits/tasks/"),
        Page("cadre_requests", "民情诉求", "cadre", "/requests/"),
        Page("cadre_workbench", "工作台", "cadre", "/"),
        Page("cadre_coverage", "网格覆盖", "cadre", "/grids/coverage/"),
        Page("cadre_heating", "供暖", "cadre", "/heating/"),
        Page("cadre_mediation", "调解", "cadre", "/mediation/"),
        Page("cadre_reports", "月报", "cadre", "/reports/"),
        Page("leader_search_wang", "搜索：常见姓 wang", "leader", "/households/?q=wang"),
        Page("leader_workbench", "工作台", "leader", "/"),
        Page("leader_coverage", "网格覆盖", "leader", "/grids/coverage/"),
        Page("leader_heating", "供暖", "leader", "/heating/"),
        Page("leader_mediation", "调解", "leader", "/mediation/"),
        Page("leader_reports", "月报", "leader", "/reports/"),
        Page("admin_grids", "管理后台：网格列表", "admin", "/admin/grids/grid/"),
        Page("admin_households", "管理后台：居民户列表", "admin", "/admin/households/household/"),
    ]
    if args.only:
        keep = {"floor", "bare", *args.only.split(",")}
        pages = [page for page in pages if page.key in keep]
    users = {page.user for page in pages if page.user}
    sessions = {}
    for username in sorted(users):
        user = grid01 if username == "grid01" else User.objects.get(username=username)
        sessions[username] = [signed_in_session(Client(), user) for _ in range(args.concurrency)]
    for page in pages:
        if page.key == "bare":
            continue
        client = Client()
        client.cookies.load(sessions[page.user][0])
        client.get(page.url)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.url)
        if response.status_code != 200:
            raise SystemExit(f"{page.user} {page.url}: {response.status_code}, not 200")
        page.queries, page.bytes = len(queries), len(response.content)
        print(f"{page.user:>7} {page.url:<40} {page.queries:3} queries {page.bytes:>9,} bytes")
    connection.close()
    return pages, sessions


def signed_in_session(client, user):
    """The cookies of a browser where `user` signed in ("sessionid=…; csrftoken=…"); a superuser's session has
    passed the second step (the admin asks for it with debug off), with an authenticator device made for the
    benchmark."""
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if user.is_superuser:
        device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    client.get(reverse("login"))  # the CSRF cookie a browser keeps
    return "; ".join(f"{name}={client.cookies[name].value}" for name in ("sessionid", "csrftoken"))


def start_server(port, env, log, workers):
    """gunicorn with the production configuration; --max-requests 0, so no worker restarts mid-measurement."""
    command = [
        str(BIN / "gunicorn"),
        "--config",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--max-requests",
        "0",
        "jinjiajiayuan.wsgi:application",
    ]
    with log.open("w") as output:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)


def wait_until_up(port, path, session, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, _size = fetch(port, path, session)
            if status == 200:
                return
            raise SystemExit(f"{path} on port {port} answered {status}")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def fetch(port, path, session):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Connection": "close", "Accept-Language": "zh-CN"}
        if session:
            headers["Cookie"] = session
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def hammer(port, path, sessions, seconds):
    """`len(sessions)` closed-loop clients for `seconds`; the rate sums each client's requests per second up to
    its last answer, so the slowest page's last requests count fully."""
    started = time.monotonic()
    deadline = started + seconds
    results = [None] * len(sessions)

    def client(index):
        latencies, errors = [], 0
        finished = started
        while True:
            sent = time.monotonic()
            try:
                status, _size = fetch(port, path, sessions[index])
            except OSError:
                status = 0
            finished = time.monotonic()
            latencies.append(finished - sent)
            errors += status != 200
            if finished >= deadline:
                break
        results[index] = (latencies, errors, finished - started)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = sum(len(latencies) / elapsed for latencies, _errors, elapsed in results if elapsed > 0)
    return Run(rate, [x for latencies, *_rest in results for x in latencies], sum(e for _l, e, _s in results))


def measure(args, pages, sessions):
    def sessions_of(page):
        return sessions[page.user] if page.user else [""] * args.concurrency

    def port_of(page):
        return args.port + 1 if page.key == "bare" else args.port

    print(f"warming up ({len(pages)} pages) …")
    for page in pages:  # every worker loads its templates and fills its caches; a request per session
        hammer(port_of(page), page.url, sessions_of(page), 0)
    load_before = os.getloadavg()
    slice_ = args.seconds / args.rounds
    started = time.monotonic()
    for number in range(args.rounds):
        order = pages[:2] + random.sample(pages[2:], len(pages) - 2)  # floor and bare first, the rest shuffled
        for page in order:
            run = hammer(port_of(page), page.url, sessions_of(page), slice_)
            page.rounds.append(run)
            print(
                f"round {number + 1}/{args.rounds} {page.user or '-':>7} {page.url:<40} {run.rate:7.1f} req/s "
                f"p50 {percentile(run.latencies, 50) * 1000:7.1f} ms errors {run.errors}"
            )
    return {"load_before": load_before, "minutes": (time.monotonic() - started) / 60}


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def render(args, pages, load):
    by_key = {page.key: page for page in pages}
    floor, bare = by_key["floor"], by_key["bare"]

    def ratios(page, reference):
        return [run.rate / base.rate for run, base in zip(page.rounds, reference.rounds, strict=True)]

    def spread(values, digits):
        return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"

    def p95(page):
        return percentile([x for run in page.rounds for x in run.latencies], 95)

    floor_p95 = p95(floor)
    floor_ratio = ratios(floor, bare)
    lines = [
        SECTION,
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `bench/load.py` on {platform.node()} "
        f"({os.cpu_count()} CPU, load average before the measurement "
        f"{' / '.join(f'{x:.1f}' for x in load['load_before'])}): gunicorn with deploy/gunicorn.conf.py "
        f"({args.workers} workers × its threads, debug off, `--max-requests 0`), {args.concurrency} concurrent "
        f"sessions in a closed loop, a new connection per request, {args.rounds} rounds of "
        f"{args.seconds / args.rounds:.0f} s per page ({args.seconds:.0f} s per page, {load['minutes']:.0f} minutes "
        "in all). Each round measures the floor first; a page's ratio is its throughput over the floor's in the "
        "same round: the median of the rounds, the lowest and highest in brackets. p50 and p95 are over all "
        "rounds. Queries: one request through the test client with the same settings. Budgets: every page "
        f"≥ {MIN_RATIO:.2f} of the floor, the floor ≥ {MIN_FLOOR_RATIO} of the bare page, p95 ≤ "
        f"{MAX_P95_FACTOR:.0f} × the floor's.",
        "",
        f"**Floor / bare Django: {spread(floor_ratio, 2)}** (before: about {BEFORE['floor']:.1f}; budget "
        f"≥ {MIN_FLOOR_RATIO}) — floor {spread([r.rate for r in floor.rounds], 0)} req/s, bare "
        f"{spread([r.rate for r in bare.rounds], 0)} req/s.",
        "",
        "| user | page | before (× floor) | after (× floor) | req/s | p50 ms | p95 ms | p95 / floor p95 "
        "| SQL queries | bytes | errors | budget |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page in pages:
        rates = [run.rate for run in page.rounds]
        latencies = [x for run in page.rounds for x in run.latencies]
        errors = sum(run.errors for run in page.rounds)
        if page.key == "bare":
            ratio_text, met = "—", ""
        elif page.key == "floor":
            ratio_text, met = "1", ("✓" if statistics.median(floor_ratio) >= MIN_FLOOR_RATIO else "✗")
        else:
            page_ratios = ratios(page, floor)
            ratio_text = spread(page_ratios, 2)
            ok = statistics.median(page_ratios) >= MIN_RATIO and p95(page) <= MAX_P95_FACTOR * floor_p95
            met = "✓" if ok and not errors else "✗"
        before = 1 if page.key == "floor" else BEFORE.get(page.key)
        lines.append(
            f"| {page.user or '—'} | {page.label} `{page.url}` | {'' if before is None else before} | {ratio_text} "
            f"| {spread(rates, 0)} | {percentile(latencies, 50) * 1000:.0f} | {p95(page) * 1000:.0f} "
            f"| {p95(page) / floor_p95:.1f} | {'' if page.queries is None else page.queries} | {page.bytes:,} "
            f"| {errors} | {met} |"
        )
    return "\n".join(lines) + "\n"


def write_section(path, section):
    """Replace the "Under load" section of `path` (up to the next "## " heading), or append it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text):
        text = pattern.sub(lambda _match: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
