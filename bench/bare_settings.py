"""A bare Django project for the load benchmark's reference page (bench/bare_urls.py): no apps, no middleware,
one query. bench/load.py serves it with the portal's gunicorn configuration, in the same run as the portal, to
show what Django itself costs on this machine.

    DJANGO_SETTINGS_MODULE=bench.bare_settings gunicorn --config deploy/gunicorn.conf.py django.core.wsgi:...
"""

import environ

env = environ.Env()

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="bench-bare-settings-not-a-secret")
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = "bench.bare_urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": False}]
DATABASES = {"default": env.db_url("DATABASE_URL")}
# As the portal keeps them (jinjiajiayuan/settings.py).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DJANGO_CONN_HEALTH_CHECKS", default=True)
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
USE_TZ = True
