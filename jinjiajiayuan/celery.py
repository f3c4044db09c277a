"""The Celery app: worker and beat both start from here (`celery -A jinjiajiayuan worker --beat`).

Configuration comes from the `CELERY_*` Django settings. Beat uses django-celery-beat's DatabaseScheduler, so
admins edit the schedule in the admin; each app's own
data migration creates its default entries (`core.beat`).
Tasks live in each app's `tasks.py`; those listed in a module-level `JOBS` are also `manage.py runjob NAME`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jinjiajiayuan.settings")

app = Celery("jinjiajiayuan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
