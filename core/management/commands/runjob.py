"""`manage.py runjob NAME` runs one background job once, in the foreground, exactly as beat runs it."""

from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule


def registered_jobs():
    """{name: task} from the `JOBS` mapping of every installed app's `tasks` module."""
    jobs = {}
    for app_config in apps.get_app_configs():
        if module_has_submodule(app_config.module, "tasks"):
            jobs.update(getattr(import_module(f"{app_config.name}.tasks"), "JOBS", {}))
    return jobs


class Command(BaseCommand):
    help = "Run one background job once in the foreground, as Celery beat would (runjob --list lists them)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the job to run")
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args, name=None, list=False, **options):
        jobs = registered_jobs()
        if list:
            for job_name, task in sorted(jobs.items()):
                summary = (task.__doc__ or "").strip().splitlines()[0] if task.__doc__ else ""
                self.stdout.write(f"{job_name:<24} {task.name:<40} {summary}")
            return
        if name not in jobs:
            raise CommandError(f"Unknown job {name!r}; runjob --list shows the jobs: {', '.join(sorted(jobs))}.")
        # The same task body the worker runs when beat sends it, executed here in this process.
        result = jobs[name].apply(throw=True)
        self.stdout.write(self.style.SUCCESS(f"{name}: {result.result}"))
