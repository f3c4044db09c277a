import socket

from django.db import connection
from django.db.models import Max
from django.http import HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from .broker import check_broker, worker_status


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links (the admin's pages link none)."""
    return HttpResponseRedirect(static("favicon.svg"))


@never_cache
def healthz(request):
    """Database, broker, worker and last beat run as JSON. 200 whenever the database answers (a broker outage
    only delays reminders), 503 when it does not.

    Anyone (a load balancer, a prober) reads each component's state and the number of workers; the names of the
    web host and of the workers (`celery@<host>`) are for staff only.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "down" to the prober
        database = {"ok": False, "error": exc.__class__.__name__}
    broker = check_broker()
    worker = worker_status() if broker["ok"] else {"ok": False, "workers": [], "error": "broker down"}
    worker = {**worker, "count": len(worker["workers"])}
    body = {"database": database, "broker": broker, "worker": worker, "beat": _beat() if database["ok"] else None}
    if request.user.is_staff:
        body["host"] = socket.gethostname()
    else:
        del worker["workers"]
    return JsonResponse(body, status=200 if database["ok"] else 503)


def _beat():
    from django_celery_beat.models import PeriodicTask

    last = PeriodicTask.objects.filter(enabled=True).aggregate(last_run_at=Max("last_run_at"))["last_run_at"]
    return {"last_run_at": last.isoformat() if last else None}
