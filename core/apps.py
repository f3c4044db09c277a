from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("公共")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import audit, middleware

        audit.connect_signals()
        user_logged_in.connect(middleware.start_session_clocks, dispatch_uid="core.start_session_clocks")
