"""The Celery app: worker and beat both start from here (`celery -A jinjiajiayuan worker --beat`).

Configuration comes from the `CELERY_*` Django settings. Beat uses django-celery-beat's DatabaseScheduler, so
admins edit the schedule in the admin; each app's own
data migration creates its default entries (`core.beat`).
Tasks live in each app's `tasks.py`; those listed in a module-level `JOBS` are also `manage.py runjob NAME`.

After a crash: a job proven safe to run twice is `acks_late` with `reject_on_worker_lost` (set per task, never
here for all), so a worker killed mid-job leaves its message unacknowledged and Redis hands it to a worker again
after the visibility timeout (`CELERY_VISIBILITY_TIMEOUT`, 300 s). Sends are not `acks_late`: a send could
happen twice; they stay pending on their rows instead and are swept.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinjiajiayuan.settings")

app = Celery("jinjiajiayuan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each time a worker connects to the broker (start, or back after an outage) it sends the apps' catch-up sweeps,
# so what could not be sent while the broker was down goes out now, not at the next beat (core/broker.py).
app.steps["consumer"].add("core.broker:CatchUpOnConnect")
