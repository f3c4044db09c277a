"""gunicorn for the portal: `gunicorn --config deploy/gunicorn.conf.py jinjiajiayuan.wsgi` (the web unit, `make serve`).

Threads, not processes, carry the concurrency (`gthread`): a request mostly waits on PostgreSQL. Each thread keeps
one database connection open for DJANGO_CONN_MAX_AGE seconds, so one web host holds at most

    WEB_CONCURRENCY (workers) × GUNICORN_THREADS (threads)  connections.

Size it within PostgreSQL's `max_connections` (100 by default), which every host and job shares:

      max_connections                                         100
    - superuser_reserved_connections                           3
    - Celery worker "celery": --concurrency 2, + 1 parent      3
    - Celery worker "reports": --concurrency 1, + 1 parent     2
    - Celery beat                                              1
    - manage.py, psql, the nightly pg_dump                     5
    = left for the web                                        86
    halved: a reload (HUP) runs the old and the new workers
    side by side for a moment                                  43  = WEB_DB_CONNECTIONS by default

The defaults, 4 workers × 4 threads = 16 connections per host, leave room for two web hosts on one PostgreSQL
straight (2 × 16 ≤ 43). More hosts go through PgBouncer in transaction mode (deploy/pgbouncer/): there
PostgreSQL sees at most PgBouncer's pool, and WEB_DB_CONNECTIONS bounds what each host asks PgBouncer for.

Beyond workers × threads, requests wait: each worker accepts up to `worker_connections` clients and hands them to
its threads in turn, and further connections wait in the listen `backlog`. nginx gives up after its
`proxy_read_timeout` and answers with its 503 page (deploy/nginx/busy.html). Nothing opens another connection.
This file refuses to start a server whose workers × threads exceed WEB_DB_CONNECTIONS.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 4))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
db_connections = int(os.environ.get("WEB_DB_CONNECTIONS", 43))
if workers * threads > db_connections:
    raise RuntimeError(
        f"WEB_CONCURRENCY × GUNICORN_THREADS = {workers} × {threads} = {workers * threads} database connections, "
        f"more than WEB_DB_CONNECTIONS = {db_connections} (see deploy/gunicorn.conf.py for the arithmetic)."
    )

# Waiting clients: per worker, then in the kernel's queue.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 200))
backlog = int(os.environ.get("GUNICORN_BACKLOG", 2048))

# A worker silent this long is restarted (with threads, a stuck worker, not one slow request: nginx stops waiting
# for an answer after 60 s and shows its busy page).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (one at a time, each with a different count) against slow memory growth.
max_requests = 2000
max_requests_jitter = 200

# nginx on the same host sets X-Forwarded-Proto and X-Forwarded-For; trust them from loopback only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
limit_request_line = 8190
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# systemd starts, reloads and stops the server; no control socket in the service user's home.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "jinjiajiayuan"
