"""Template helpers every app uses: percentages and the portal's navigation."""

from django import template

from core.navigation import entries_for

register = template.Library()


@register.filter
def percent(share, digits=1):
    """0.857 → "85.7%"; no share (nothing to count) → "—"."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(digits)}f}%"


@register.simple_tag(takes_context=True)
def navigation_entries(context):
    """The main menu's entries for the signed-in user, as each app registered them."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return entries_for(request.user)
