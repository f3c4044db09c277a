"""Benchmarks over a large demo street (`make bench`); see bench/README.md.

Seeds N households (default 100,000) into a throwaway PostgreSQL database, then times the pages staff use
most through the Django test client, logged in as `grid01`, `cadre` and `leader`: the household search (pinyin
initials, full pinyin, phone last four, room code), a household page, `/grids/coverage/`, the workbench (the
overview for cadre and leader), the task list and backlog, requests, the browse pages and the printed sheet. Prints a table
and writes bench/results.md. The seed is also timed on a throwaway SQLite file unless --skip-sqlite. Then
bench/load.py measures the pages under load with gunicorn over the same street (unless --skip-load) and adds
its section to bench/results.md.
"""

import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from load import BENCH_ID_NUMBER_KEY

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/jinse_bench"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per page (the median is reported)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--skip-sqlite", action="store_true", help="do not time the seed on SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.md")
    parser.add_argument("--skip-load", action="store_true", help="do not run the load benchmark (bench/load.py)")
    parser.add_argument("--load-seconds", type=float, default=24, help="bench/load.py's measured seconds per page")
    args = parser.parse_args()
    # The seed and the in-process timings use the key the load benchmark reads the identity numbers with.
    os.environ.setdefault("ID_NUMBER_KEY", BENCH_ID_NUMBER_KEY)

    seeds = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="jinse-bench-") as folder:
            seeds.append(("SQLite", *seed(f"sqlite:///{folder}/bench.sqlite3", args.households)))
    recreate_database(args.database_url)
    try:
        seeds.insert(0, ("PostgreSQL", *seed(args.database_url, args.households)))
        pages = measure_pages(args.database_url, args.repeats)
        report = render(args, seeds, pages)
        print(report)
        args.output.write_text(report, encoding="utf-8")
        print(f"written to {args.output}")
        if not args.skip_load:
            # gunicorn and the load generator over the same street; adds its section to the report.
            load = [sys.executable, str(ROOT / "bench" / "load.py"), "--database-url", args.database_url]
            load += ["--seconds", str(args.load_seconds), "--output", str(args.output)]
            subprocess.run(load, cwd=ROOT, check=True)
    finally:
        if not args.keep:
            drop_database(args.database_url)


def seed(database_url, households):
    """Migrate and run seed_demo in a fresh process; (wall seconds, the command's own summary line)."""
    env = {**os.environ, "DATABASE_URL": database_url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    done = subprocess.run(
        [*manage, "seed_demo", "--households", str(households)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    lines = done.stdout.strip().splitlines()
    print("\n".join(lines))
    return seconds, lines[-1] if lines else "", step_times(lines)


def step_times(lines):
    """Seconds per seed step, from the command's time-stamped progress lines."""
    starts = [(float(m[1]), m[2]) for line in lines if (m := re.match(r"^\[\s*([\d.]+)s\] ([\w.]+) ……$", line))]
    end = re.search(r"完成（([\d.]+) 秒", lines[-1] if lines else "")
    marks = [t for t, _step in starts[1:]] + [float(end[1]) if end else starts[-1][0]]
    return [(step, finish - start) for (start, step), finish in zip(starts, marks, strict=True)]


def _maintenance(database_url):
    import psycopg2

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing an unusual database name: {name!r}")
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    return connection, name


def recreate_database(database_url):
    connection, name = _maintenance(database_url)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name}")
    connection.close()


def drop_database(database_url):
    from django.db import connections

    connections.close_all()
    connection, name = _maintenance(database_url)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
    connection.close()


def measure_pages(database_url, repeats):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinjiajiayuan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from accounts.models import User
    from heating.models import HeatingInspection, HeatingTicket
    from households.models import Household, LeadHousehold

    setup_test_environment()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    call_command("runjob", "snapshot_coverage")  # as the nightly beat would have by morning (grids.snapshots)

    grid01, leader = User.objects.get(username="grid01"), User.objects.get(username="leader")
    cadre = User.objects.get(username="cadre")
    wei = Household.objects.search("wyk").filter(residents__name="魏永凯").get()
    own = Household.objects.visible_to(grid01).exclude(phone="").order_by("pk").first()
    lead = LeadHousehold.objects.filter(household__building__grid__assignments__user=grid01).first()
    searches = [
        ("拼音首字母 wyk", "wyk"),
        ("全拼 weiyongkai", "weiyongkai"),
        (f"手机尾号 {own.phone[-4:]}", own.phone[-4:]),
        ("楼-单元-房号 3-2-501", "3-2-501"),
        ("常见姓 wang（结果很多）", "wang"),
    ]

    # The company with the most open tickets, for the export a coordination meeting takes.
    heating_company = (
        HeatingTicket.objects.open()
        .values("company")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("company", flat=True)
        .first()
    )
    rows = []
    own_building = own.building
    for user in (grid01, cadre, leader):
        client = Client(raise_request_exception=False)  # a failing page is reported, not fatal
        client.force_login(user)

        def page(label, url, client=client, user=user):
            client.get(url)  # warm-up
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            context = response.context
            found = ""
            if context and "page" in context and hasattr(context["page"], "paginator"):
                found = context["page"].paginator.count
            rows.append(
                {
                    "user": user.username,
                    "page": label,
                    "url": url,
                    "status": response.status_code,
                    "median_ms": statistics.median(times) * 1000,
                    "max_ms": max(times) * 1000,
                    "queries": len(queries),
                    "found": found,
                    "bytes": len(response.content),
                }
            )

        for label, query in searches:
            page(f"搜索：{label}", f"/households/?q={query}")
        page("居民户详情（魏永凯）", f"/households/{wei.pk}/")
        if lead:
            page("居民户详情（党员中心户）", f"/households/{lead.household_id}/")
        page("网格覆盖 /grids/coverage/", "/grids/coverage/")
        page("工作台 /", "/")
        page("走访任务 /visits/tasks/", "/visits/tasks/")
        page("积压任务 /visits/tasks/?view=backlog", "/visits/tasks/?view=backlog")
        page("民情诉求 /requests/", "/requests/")
        page("按楼浏览：网格 /households/grids/", "/households/grids/")
        page("按楼浏览：楼宇", f"/households/buildings/{own_building.pk}/")
        page("按楼浏览：单元", f"/households/buildings/{own_building.pk}/units/{own.unit}/")
        page("本周走访表（打印）", f"/visits/sheet/?building={own_building.pk}")
        page("供暖 /heating/", "/heating/")
        page("供暖：一个网格的楼宇", f"/heating/?grid={own_building.grid_id}")
        if heating_company and user.has_perm("heating.export_heatingticket"):
            page("供热公司未结报修单导出", f"/heating/tickets/export/?company={heating_company}")
        page("月度报表 /reports/（上月）", "/reports/")
        page("月度报表：一个网格", f"/reports/?node=grid:{own_building.grid_id}")
        page(
            "月度报表：一栋楼未按期走访明细", f"/reports/rows/visit_coverage/unvisited/?node=building:{own_building.pk}"
        )
        page("月度报表：打印页", "/reports/print/")

    workbooks = time_workbooks()

    started = time.perf_counter()
    from households.services import reindex_households

    sample = list(Household.objects.order_by("pk").values_list("pk", flat=True)[:10_000])
    reindex_households(sample)
    reindex_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "heating": {
            "inspections": HeatingInspection.objects.count(),
            "inspected": HeatingInspection.objects.order_by().values("household", "season").distinct().count(),
            "tickets": HeatingTicket.objects.count(),
            "open_tickets": HeatingTicket.objects.open().count(),
        },
        "households": Household.objects.count(),
        "reindex": (len(sample), reindex_seconds),
        "workbooks": workbooks,
    }


def time_workbooks():
    """The monthly job's work for last month, timed per node: the street and its first community (workbook and
    printed page written to a temporary storage folder). [(node, seconds, workbook bytes, SQL queries)]"""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grids.models import Community, Street
    from reports import months, services

    timings = []
    with tempfile.TemporaryDirectory(prefix="jinse-bench-media-") as folder:
        settings.MEDIA_ROOT = folder
        month = months.last_month()
        for node in (Street.objects.order_by("name").first(), Community.objects.order_by("name").first()):
            report = services.stored_report_row(node, month)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                stored = services.generate_report(report.pk)
            timings.append((str(node), time.perf_counter() - started, stored.workbook.size, len(queries)))
    return timings


def render(args, seeds, pages):
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by `bench/run.py` "
        f"(`--households {args.households} --repeats {args.repeats}`) on {platform.node()}: "
        f"{os.cpu_count()} CPU, Python {platform.python_version()}, "
        f"load average before the page timings {' / '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
        "## Seeding",
        "",
        "| database | households | wall time | seed_demo summary |",
        "|---|---|---|---|",
    ]
    for database, seconds, summary, _steps in seeds:
        lines.append(f"| {database} | {args.households:,} | {seconds:.1f} s | {summary} |")
    lines += ["", "Seconds per step (wall time inside the command):", ""]
    lines += ["| step | " + " | ".join(database for database, *_rest in seeds) + " |"]
    lines += ["|---|" + "---|" * len(seeds)]
    for index, (step, _seconds) in enumerate(seeds[0][3]):
        lines.append(f"| `{step}` | " + " | ".join(f"{s[3][index][1]:.1f}" for s in seeds) + " |")
    count, seconds = pages["reindex"]
    lines += [
        "",
        f"`households.services.reindex_households` on {count:,} of the seeded households (PostgreSQL): "
        f"{seconds:.1f} s, i.e. about {seconds * 100_000 / max(count, 1):.0f} s per 100,000.",
        "",
        f"## Pages (PostgreSQL, {pages['households']:,} households, median of {args.repeats} after a warm-up)",
        "",
        "| user | page | status | median ms | max ms | SQL queries | results | bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in pages["rows"]:
        lines.append(
            f"| {row['user']} | {row['page']} | {row['status']} | {row['median_ms']:.1f} | {row['max_ms']:.1f} "
            f"| {row['queries']} | {row['found']} | {row['bytes']:,} |"
        )
    heating = pages["heating"]
    lines += [
        "",
        "## Heating",
        "",
        f"Seeded by `demo.heating.seed_heating`: {heating['inspections']:,} inspections "
        f"({heating['inspected']:,} household-seasons), {heating['tickets']:,} tickets "
        f"({heating['open_tickets']:,} open). The dashboard's queries do not grow with grids, buildings or "
        "households (tests/heating/test_dashboard.py); the figures are in the table above:",
        "",
        "| user | page | median ms | max ms | SQL queries | bytes |",
        "|---|---|---|---|---|---|",
    ]
    for row in pages["rows"]:
        if row["url"].startswith("/heating/"):
            lines.append(
                f"| {row['user']} | {row['page']} | {row['median_ms']:.1f} | {row['max_ms']:.1f} "
                f"| {row['queries']} | {row['bytes']:,} |"
            )
    lines += [
        "",
        "## Monthly report",
        "",
        "The pages are in the table above (`/reports/`). The monthly job's work for one node — every section for "
        "the month, the month before and the same month last year, the workbook and the printed page — timed "
        "by `reports.services.generate_report`:",
        "",
        "| node | seconds | workbook bytes | SQL queries |",
        "|---|---|---|---|",
    ]
    for node, seconds, size, queries in pages["workbooks"]:
        lines.append(f"| {node} | {seconds:.1f} | {size:,} | {queries} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
