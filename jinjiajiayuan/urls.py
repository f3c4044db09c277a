from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts import views as account_views
from accounts.urls import notification_urlpatterns
from core import offline
from core import views as core_views
from visits import urls as visits_urls

admin.site.site_header = format_lazy("{} · {}", settings.PORTAL_NAME, _("管理后台"))
admin.site.site_title = format_lazy("{} · {}", settings.PORTAL_NAME, _("管理后台"))
admin.site.index_title = _("网格与居民数据维护")

urlpatterns = [
    path("", account_views.workbench, name="workbench"),
    path("accounts/login/code/", account_views.login_code, name="login_code"),
    path("accounts/2fa/", account_views.second_factor_setup, name="second_factor_setup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("households/", include("households.urls")),
    path("grids/", include("grids.urls")),
    path("visits/", include("visits.urls")),
    path("requests/", include(visits_urls.request_urlpatterns)),
    path("heating/", include("heating.urls")),
    path("mediation/", include("mediation.urls")),
    path("reports/", include("reports.urls")),
    path("notifications/", include(notification_urlpatterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", core_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    # Working without signal (core/offline.py): the service worker must be served from the root to cover it.
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.web_manifest, name="web_manifest"),
    path("offline/", offline.offline_page, name="offline_page"),
    path("offline/session", offline.outbox_session, name="outbox_session"),
]
