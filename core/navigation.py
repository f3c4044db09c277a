"""The entries of the portal's main navigation, contributed by each app from its `AppConfig.ready()`.

    navigation.register(NavEntry(key="heating", label=_("供暖"), url_name="heating_dashboard", order=50))

`entries_for(user)` is what the menu shows: the entries whose `visible(user)` is true, in `order`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from .registry import Registry

registry = Registry("navigation")


def _signed_in(user):
    return user.is_authenticated


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    order: int = 100
    visible: Callable = _signed_in

    @property
    def url(self):
        return reverse(self.url_name)


def register(entry):
    return registry.register(entry)


def entries_for(user):
    return sorted((entry for entry in registry if entry.visible(user)), key=lambda entry: entry.order)
