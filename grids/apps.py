from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("五级网格")

    def ready(self):
        from core import navigation, refdata
        from core.navigation import NavEntry

        refdata.register("grids.migrations.0003_export_permissions.forwards")
        refdata.register("grids.migrations.0004_coverage_snapshot.forwards")
        navigation.register(NavEntry(key="coverage", label=_("网格覆盖"), url_name="coverage", order=60))
