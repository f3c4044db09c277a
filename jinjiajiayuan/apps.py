from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "jinjiajiayuan"
    verbose_name = "门户"
