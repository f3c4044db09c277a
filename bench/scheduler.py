"""Benchmark of the visit jobs over a district-sized street (default 100,000 households) on PostgreSQL.

    .venv/bin/python bench/scheduler.py [--households 100000] [--database-url postgres://.../jinse_sched_bench]

Uses a throwaway database of its own (created if missing, `BENCH_DATABASE_URL` or --database-url), fills it
once with bulk inserts (households, one resident each, ~15% in a priority group, ~70% visited in the last
400 days, two grid workers per grid), then times `schedule_visits` from empty (wall time, queries, peak Python
memory with tracemalloc in a second, separate run), its idempotent re-run, and `daily_digest` and
`escalate_overdue` over the tasks it made.
"""

import argparse
import datetime
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/jinse_sched_bench"
HOUSEHOLDS_PER_BUILDING = 72  # 2 units x 6 floors x 6 rooms
BUILDINGS_PER_GRID = 20


def ensure_database(url):
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password, dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def populate(n):
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from grids.models import Building, Community, Grid, StaffAssignment, Street
    from households.models import Household, PriorityGroup, Resident
    from visits.models import Visit

    if Household.objects.count() >= n:
        return
    rng = random.Random(2026)
    started = time.monotonic()
    with transaction.atomic():
        street, _ = Street.objects.get_or_create(name="基准街道")
        community, _ = Community.objects.get_or_create(street=street, name="基准社区")
        community.responsible, _ = User.objects.get_or_create(username="bench-cadre", defaults={"role": "cadre"})
        community.save()
        groups = list(PriorityGroup.objects.all())
        buildings_needed = -(-n // HOUSEHOLDS_PER_BUILDING)
        grids_needed = -(-buildings_needed // BUILDINGS_PER_GRID)
        grids = [Grid.objects.get_or_create(community=community, name=f"第{g + 1}网格")[0] for g in range(grids_needed)]
        for grid in grids:
            for w in range(2):
                user, created = User.objects.get_or_create(
                    username=f"bench-{grid.pk}-{w}", defaults={"role": User.Role.GRID_WORKER}
                )
                if created:
                    StaffAssignment.objects.create(user=user, grid=grid)
        Building.objects.bulk_create(
            [
                Building(grid=grids[b // BUILDINGS_PER_GRID], number=str(b + 1), units=2, floors=6)
                for b in range(buildings_needed)
            ],
            ignore_conflicts=True,
        )
        buildings = list(Building.objects.filter(grid__in=grids).order_by("pk"))
        households = []
        for i in range(n):
            index = i % HOUSEHOLDS_PER_BUILDING
            unit, floor, room = index // 36 + 1, index % 36 // 6 + 1, index % 6 + 1
            households.append(
                Household(
                    building=buildings[i // HOUSEHOLDS_PER_BUILDING],
                    unit=unit,
                    floor=floor,
                    room=f"{floor}{room:02d}",
                    phone=f"138{i:08d}",
                )
            )
        Household.objects.bulk_create(households, batch_size=5000)
        household_ids = list(Household.objects.order_by("pk").values_list("pk", flat=True))
        Resident.objects.bulk_create(
            [Resident(household_id=pk, name="居民", gender="male", relation="head") for pk in household_ids],
            batch_size=5000,
        )
        through = Resident.priority_groups.through
        resident_ids = Resident.objects.values_list("pk", flat=True)
        through.objects.bulk_create(
            [
                through(resident_id=pk, prioritygroup_id=rng.choice(groups).pk)
                for pk in resident_ids
                if rng.random() < 0.15
            ],
            batch_size=5000,
        )
        logger = User.objects.filter(role=User.Role.GRID_WORKER).first()
        now = timezone.now()
        Visit.objects.bulk_create(
            [
                Visit(
                    household_id=pk,
                    logged_by=logger,
                    visited_at=now - datetime.timedelta(days=rng.randint(1, 400), hours=rng.randint(0, 23)),
                    outcome="met",
                    purposes=["routine"],
                )
                for pk in household_ids
                if rng.random() < 0.7
            ],
            batch_size=5000,
        )
    print(f"populated {n} households in {time.monotonic() - started:.1f}s")


def measure(label, func, *, trace_memory=False):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if trace_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        result = func()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak = None
    if trace_memory:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = f"{label:<32} result={result!s:<48} wall={elapsed:6.2f}s python-cpu={cpu:6.2f}s queries={len(queries):4d}"
    figures += f" max-rss-growth={(rss_after - rss_before) / 1024:6.1f}MiB"
    if peak is not None:
        figures += f" python-peak={peak / 2**20:6.1f}MiB"
    print(figures)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    if not os.environ.get("CELERY_BROKER_URL"):  # keep any enqueued message out of var/broker
        os.environ.setdefault("CELERY_BROKER_DIR", tempfile.mkdtemp(prefix="bench-broker-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinjiajiayuan.settings")
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from households.models import Household
    from visits import reminders, scheduling
    from visits.models import VisitTask

    call_command("migrate", verbosity=0, skip_checks=True)
    populate(args.households)
    with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum keeps them in production
        cursor.execute("ANALYZE")
    print(f"households={Household.objects.count()} on {args.database_url}")

    VisitTask.objects.all().delete()
    created = measure("schedule_visits (from empty)", scheduling.schedule_visits)
    measure("schedule_visits (again)", scheduling.schedule_visits)
    VisitTask.objects.all().delete()
    measure("schedule_visits (tracemalloc)", scheduling.schedule_visits, trace_memory=True)
    measure("daily_digest", reminders.daily_digest)
    later = timezone.now() + datetime.timedelta(days=30)
    measure("escalate_overdue (+30 days)", lambda: reminders.escalate_overdue(now=later))
    measure("escalate_overdue (again)", lambda: reminders.escalate_overdue(now=later + datetime.timedelta(minutes=30)))
    print(f"open tasks: {VisitTask.objects.open().count()} (first run created {created})")


if __name__ == "__main__":
    main()
