"""Template helpers every app uses: the portal's name, percentages, `<time datetime>` values and the navigation."""

import datetime

from django import template
from django.conf import settings

from core.navigation import entries_for
from core.numbers import percent_text

register = template.Library()


@register.simple_tag
def portal_name():
    """settings.PORTAL_NAME in the active language; needs no request, so the 500 page can use it too."""
    return settings.PORTAL_NAME


@register.filter
def percent(share, digits=1):
    """0.857 → "85.7%"; no share (nothing to count) → "—"."""
    return percent_text(share, digits)


@register.filter(expects_localtime=True)
def iso_datetime(value):
    """A datetime (in local time) as ISO 8601 to the second, for `<time datetime>`: `|date:'c'` keeps the
    microseconds, and HTML allows at most three digits of a second's fraction."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat() if isinstance(value, datetime.date) else ""


@register.simple_tag(takes_context=True)
def navigation_entries(context):
    """The main menu's entries for the signed-in user, as each app registered them: key, label and url (reversed
    once here — the menu reads each entry's url three times, on every page)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return [{"key": entry.key, "label": entry.label, "url": entry.url} for entry in entries_for(request.user)]


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current page's query string with `page` set to `number` (filters and search words kept)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
