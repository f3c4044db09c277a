from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = _("居民户")

    def ready(self):
        from accounts import workbench
        from core import navigation, refdata
        from core.navigation import NavEntry

        from . import checks  # noqa: F401 (registers the deploy check of the identity-number key)
        from .workbench import browse_card

        refdata.register("households.migrations.0002_priority_groups_and_roles.forwards")
        refdata.register("households.migrations.0011_id_number_hash_unique_and_exports.forwards")
        navigation.register(NavEntry(key="households", label=_("居民户"), url_name="household_list", order=20))
        workbench.register(browse_card)
