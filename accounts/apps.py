from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号与角色")

    def ready(self):
        from core import navigation, refdata
        from core.navigation import NavEntry

        refdata.register("accounts.migrations.0004_beat_schedule.forwards")
        navigation.register(NavEntry(key="workbench", label=_("工作台"), url_name="workbench", order=10))
