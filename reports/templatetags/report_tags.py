"""How the report shows a figure: a count as a number, a share as a percentage, nothing as a dash."""

from django import template

from core.numbers import percent_text

register = template.Library()


@register.filter
def figure(value, kind="count"):
    if value is None:
        return "—"
    if kind == "share":
        return percent_text(value)
    return value
