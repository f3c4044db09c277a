from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号与角色")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core import broker, navigation, refdata
        from core.navigation import NavEntry

        from . import second_factor

        user_logged_in.connect(second_factor.require_code_after_password, dispatch_uid="accounts.second_factor")

        refdata.register("accounts.migrations.0004_beat_schedule.forwards")
        # Sends created while the broker was down go out as soon as a worker is connected again.
        broker.catch_ups.register(
            broker.CatchUp("deliveries", "accounts.tasks.deliver_notifications", {"older_than_minutes": 0})
        )
        navigation.register(NavEntry(key="workbench", label=_("工作台"), url_name="workbench", order=10))
