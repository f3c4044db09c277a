"""Buttons on a resident request's page that apps add, e.g. heating's "turn this 供暖 request into an inspection
task" or mediation's "open a dispute from this 邻里矛盾 request":

    request_actions.register(RequestAction(key="heating_inspection", label=_("安排入户测温"),
                                           url_name="heating_request_inspection", categories=("heating",),
                                           permission="heating.add_heatinginspection"))

Each action is a POST to `url_name` with the request's pk; the view there checks access and permission again.
Shown when the request's category is among `categories` (any when empty), its state among `states` (any open
state when empty), and the user may write `permission`.
"""

from dataclasses import dataclass

from django.urls import reverse

from accounts.access import can_write
from core.registry import Registry


@dataclass(frozen=True)
class RequestAction:
    key: str
    label: str
    url_name: str
    categories: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    permission: str = ""
    icon: str = "arrow-right-circle"
    order: int = 100

    def applies(self, resident_request, user):
        if self.categories and resident_request.category not in self.categories:
            return False
        if self.states:
            if resident_request.state not in self.states:
                return False
        elif resident_request.state == resident_request.State.CLOSED:
            return False
        return not self.permission or can_write(user, self.permission)

    def url(self, resident_request):
        return reverse(self.url_name, args=[resident_request.pk])


registry = Registry("request-page actions")


def register(action):
    return registry.register(action)


def actions_for(resident_request, user):
    """The actions to show on this request's page to this user, in order."""
    return sorted(
        (action for action in registry if action.applies(resident_request, user)), key=lambda action: action.order
    )
