"""Buttons on the household page, contributed by the apps further down the dependency chain.

households knows nothing of visits, heating or mediation: each registers its action from `AppConfig.ready()`:

    household_actions.register(HouseholdAction(key="heating_inspect", label=_("入户测温"),
                                               url_name="inspection_create", allowed=may_inspect, order=30))

The button links to `reverse(url_name)?household=<id>`; `allowed(user, household)` decides whether this user
sees it (it must not run a query per household: the page shows one household, a list page may show many).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from core.registry import Registry

registry = Registry("household actions")


@dataclass(frozen=True)
class HouseholdAction:
    key: str
    label: str
    url_name: str
    allowed: Callable
    icon: str = ""
    primary: bool = False
    order: int = 100

    def url(self, household):
        return f"{reverse(self.url_name)}?{urlencode({'household': household.pk})}"


@dataclass(frozen=True)
class BoundAction:
    action: HouseholdAction
    url: str


def register(action):
    return registry.register(action)


def actions_for(household, user):
    """The actions this user may take on this household, in order, with their links."""
    actions = sorted((a for a in registry if a.allowed(user, household)), key=lambda a: a.order)
    return [BoundAction(action, action.url(household)) for action in actions]
