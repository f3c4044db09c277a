from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Database state (and, from the visits issue on, broker and beat). 503 when the database is down."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means "down" to the prober
        database = {"ok": False, "error": exc.__class__.__name__}
    return JsonResponse({"database": database}, status=200 if database["ok"] else 503)
