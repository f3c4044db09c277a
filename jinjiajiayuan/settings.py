"""One environment-driven settings module.

With no variables set the portal runs on SQLite under var/ and a file-system Celery broker, so
`make run` works on a fresh machine. DATABASE_URL / CELERY_BROKER_URL switch to PostgreSQL / Redis.
"""

import base64
import binascii
import hashlib
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0.")
    SECRET_KEY = "insecure-development-key-only-for-debug"
# Residents' identity numbers are stored encrypted, with a keyed hash for lookups and uniqueness
# (households/encryption.py). The key is 32 random bytes in URL-safe base64 (`Fernet.generate_key()`); keep it
# with the database backups: without it the stored numbers cannot be read. Unset, one is derived from SECRET_KEY
# so development, tests and `collectstatic` need no setting; `check --deploy` warns until production sets its own
# (households/checks.py), since changing SECRET_KEY would then make the stored numbers unreadable.
ID_NUMBER_KEY = env.str("ID_NUMBER_KEY", default="")
ID_NUMBER_KEY_DERIVED = not ID_NUMBER_KEY
if ID_NUMBER_KEY_DERIVED:
    ID_NUMBER_KEY = base64.urlsafe_b64encode(hashlib.sha256(f"id-number-key:{SECRET_KEY}".encode()).digest()).decode()
try:
    _id_key_length = len(base64.urlsafe_b64decode(ID_NUMBER_KEY))
except (binascii.Error, ValueError):
    _id_key_length = 0
if _id_key_length != 32:
    raise ImproperlyConfigured("ID_NUMBER_KEY must be 32 bytes in URL-safe base64, as Fernet.generate_key() makes.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_htmx",
    "simple_history",
    "import_export",
    "core.axes.AxesConfig",
    "django_celery_beat",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "accounts",
    "grids",
    "households",
    "visits",
    "heating",
    "mediation",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.csp.PortalCSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.chinese_first",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.private_pages",
    "core.middleware.reject_nul_bytes",
    "django_otp.middleware.OTPMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "core.audit.DenialLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.middleware.session_timeouts",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jinjiajiayuan.urls"
WSGI_APPLICATION = "jinjiajiayuan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.portal_status",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
# A streaming replica for read-only report queries (core/db_router.py); tests read it from the default database.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL") | {"TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
# DATABASE_URL points at PgBouncer in transaction mode: a server connection is lent for one transaction only, so
# no server-side cursors (they outlive it) and no startup options (PgBouncer refuses them; its connect_query in
# deploy/pgbouncer/pgbouncer.ini turns JIT off instead).
TRANSACTION_POOLING = env.bool("DATABASE_TRANSACTION_POOLING", default=False)
for _database in DATABASES.values():
    # Every gunicorn thread and Celery process keeps one connection this long: deploy/gunicorn.conf.py sizes
    # workers × threads within PostgreSQL's max_connections.
    _database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
    _database["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["CONN_MAX_AGE"] = 0
        _database["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    elif TRANSACTION_POOLING:
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif _database["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT is for long analytic queries; on the coverage queries (correlated subqueries with
        # inflated cost estimates) it spent 6.5 s compiling a 0.3 s query. The tables a page reads are in memory
        # (or on SSD): a random read costs about as much as a sequential one, so the planner probes indexes
        # instead of hashing whole tables (a cadre's task list: 64 → 29 ms of SQL at 100,000 households).
        _database.setdefault("OPTIONS", {})["options"] = "-c jit=off -c random_page_cost=1.1"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with a user's permissions read in one query (every page's menu asks for them).
    "accounts.backends.PortalBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "login"

# Two-step sign-in (django-otp; accounts/second_factor.py): admins and cadres may enrol an authenticator app at
# /accounts/2fa/, and once they have, every sign-in asks for its code after the password. Superusers must have
# enrolled and entered a code before the admin opens for them whenever this is on (by default: debug off).
OTP_REQUIRED_FOR_SUPERUSERS = env.bool("OTP_REQUIRED_FOR_SUPERUSERS", default=not DEBUG)
OTP_TOTP_ISSUER = "金色嘉苑社区服务门户"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Login throttling (django-axes): five failures lock the username from that address for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The username axes records, cut to its column (a longer one typed at either sign-in page was a 500).
AXES_USERNAME_CALLABLE = "core.axes.username_of"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
# Uploaded photos and generated workbooks: on several hosts, DJANGO_MEDIA_ROOT on one shared mount (NFS) or another
# storage class (DJANGO_STORAGE_BACKEND, with DJANGO_STORAGE_OPTIONS as JSON) that every web and worker host reaches.
STORAGES = {
    "default": {
        "BACKEND": env.str("DJANGO_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("DJANGO_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# CACHE_URL=redis://… gives every web host one cache; the default lives in each process's memory.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Sessions are rows in the database, so any web host serves any user; with a shared cache they are read from it
# first. Never a per-process cache: a sign-out on one host would not reach the others.
SHARED_CACHE = CACHES["default"]["BACKEND"] != "django.core.cache.backends.locmem.LocMemCache"
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if SHARED_CACHE else 'db'}"
# Figures counted over a supervisor's whole scope are kept this long (core.figures), in a cache of their own.
CACHES["figures"] = (
    {**CACHES["default"], "KEY_PREFIX": "figures"}
    if SHARED_CACHE
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "figures"}
)
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=300)
# A session ends after DJANGO_SESSION_IDLE_MINUTES without a request, and DJANGO_SESSION_MAX_HOURS after signing
# in whatever happens in between (core.middleware.session_timeouts); the cookie lives no longer than that.
SESSION_IDLE_TIMEOUT = env.int("DJANGO_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_ABSOLUTE_TIMEOUT = env.int("DJANGO_SESSION_MAX_HOURS", default=12) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Admin import/export: every import runs in one transaction. Exports escape formulas through the portal's own
# formats (core.spreadsheet.SafeXLSX / SafeCSV), which keep numbers as numbers.
IMPORT_EXPORT_USE_TRANSACTIONS = True

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="金色嘉苑社区 <noreply@localhost>")
# Dotted path of the SMS backend (see accounts/delivery.py); the default only writes messages to the log.
SMS_BACKEND = env.str("SMS_BACKEND", default="accounts.delivery.LoggingSmsBackend")

# Celery: Redis in production; with no variable, kombu's file-system transport under var/.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # CELERY_BROKER_DIR moves the file-system broker's folder (the Celery integration test uses a temporary one).
    _broker_dir = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
    _broker_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir),
    }
else:
    # A message a worker took but never acknowledged (the worker was killed mid-job: kill -9, out of memory, power)
    # goes back to its queue this many seconds after delivery, so the `acks_late` jobs (each proven safe to repeat)
    # run again within minutes. A job running longer is handed to a second worker while the first still runs,
    # which those jobs tolerate (unique constraints, row locks); no countdown may be longer (accounts/tasks.py
    # keeps retries below it), or Redis would hand the waiting message out again before it is due.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300)}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# CELERY_QUEUE names the queue tasks go to and workers read, so two portals (or a test) can share one Redis.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
# Monthly reports run on a queue of their own (CELERY_REPORTS_QUEUE), so a big report never delays a reminder;
# a worker serves both queues (`make run`, `make worker`: -Q celery,reports).
CELERY_REPORTS_QUEUE = env.str("CELERY_REPORTS_QUEUE", default="reports")
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": CELERY_REPORTS_QUEUE}}

# Share of buildings / households / grids a node must cover before it stops showing as "below target".
COVERAGE_TARGET = env.float("COVERAGE_TARGET", default=0.9)

# HTTPS-only settings are on whenever debug is off; DJANGO_HTTPS=0 turns them off (plain HTTP behind
# a trusted proxy on loopback, for example).
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Content-Security-Policy (django-csp): everything from this origin, no inline script or style anywhere (chart
# data travels in `json_script`, htmx's indicator style lives in portal.css); `data:` images for the SVG icons
# inside Bootstrap's CSS. core/csp.py holds the one narrow exception (django-import-export's export form).
# tests/test_csp.py and tests/browser/test_csp.py keep it so.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],  # the service worker, /sw.js (core/offline.py)
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The audit log (core/audit.py): sign-ins, failed sign-ins and lock-outs, second-step codes, denials (403 and 404
# to signed-in users), identity-number reveals and exports, one JSON object per line in AUDIT_LOG_DIR/audit.jsonl.
# A new file each midnight, kept 190 days: at least six months.
AUDIT_LOG_DIR = Path(env.str("AUDIT_LOG_DIR", default=str(VAR_DIR / "log")))
AUDIT_LOG_DIR.mkdir(parents=True, exist_ok=True)
AUDIT_LOG_DAYS = 190

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"audit": {"()": "core.audit.JsonLinesFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "audit": {
            "class": "core.audit.AuditFileHandler",
            "filename": str(AUDIT_LOG_DIR / "audit.jsonl"),
            "when": "midnight",
            "backupCount": AUDIT_LOG_DAYS,
            "encoding": "utf-8",
            "delay": True,
            "formatter": "audit",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each rendering step of every PDF at INFO; its warnings and errors still come through.
    "loggers": {
        "weasyprint.progress": {"level": "WARNING"},
        "portal.audit": {"handlers": ["audit"], "level": "INFO", "propagate": False},
    },
}

PORTAL_NAME = _("金色嘉苑社区服务门户")
