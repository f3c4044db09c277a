"""`manage.py seed_demo [--households N] [--seed S]`: the demo street, its residents, visits and demo users.

The work is a list of steps, each a function in a `demo` module taking a `demo.context.DemoContext`, run in
dependency order inside one transaction. A later app's demo data is one more module here and one line in
STEPS.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.module_loading import import_string

from accounts.models import User
from demo.context import DemoContext
from grids.models import Building, Grid
from households.models import Household, LeadHousehold, PartyMember, Resident

STEPS = [
    "demo.street.seed_grid",
    "demo.street.seed_staff",
    "demo.households.seed_households",
    "demo.visits.seed_visits",
    "demo.heating.seed_heating",
    "demo.mediation.seed_mediation",
]

MAX_HOUSEHOLDS = 100_000


class Command(BaseCommand):
    help = "生成演示数据：黄屯街道、金色嘉苑社区与黄屯社区的网格、楼宇、居民户、党员中心户和演示账号（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=1200, help="居民户数量（默认 1200，最多 100000）")
        parser.add_argument("--seed", type=int, default=2018, help="随机种子：相同参数生成相同数据")

    def handle(self, *args, households, seed, **options):
        if not 1 <= households <= MAX_HOUSEHOLDS:
            raise CommandError(f"--households 应在 1 到 {MAX_HOUSEHOLDS} 之间。")
        started, cpu_started = time.monotonic(), time.process_time()

        def log(message):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] {message}")

        ctx = DemoContext(households=households, seed=seed, log=log)
        with transaction.atomic():
            for path in STEPS:
                log(f"{path} ……")
                import_string(path)(ctx)
        seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu_started
        self.stdout.write(self.style.SUCCESS(summary(ctx.state["street"], seconds, cpu_seconds)))


def summary(street, seconds, cpu_seconds):
    """One line with the time taken and what the street now holds."""
    households = Household.objects.filter(building__grid__community__street=street).aggregate(
        total=Count("pk"), linked=Count("pk", filter=Q(lead_household__isnull=False))
    )
    share = households["linked"] / households["total"] if households["total"] else 0
    return (
        f"完成（{seconds:.1f} 秒，本进程 CPU {cpu_seconds:.1f} 秒）：{street.name}，社区 {street.communities.count()}，"
        f"网格 {Grid.objects.filter(community__street=street).count()}，"
        f"楼宇 {Building.objects.filter(grid__community__street=street).count()}，"
        f"居民户 {households['total']}，居民 {Resident.objects.count()}，党员 {PartyMember.objects.count()}，"
        f"党员中心户 {LeadHousehold.objects.count()}（联系户覆盖 {share:.0%}），"
        f"工作人员 {User.objects.count()}"
    )
