from django import template

from households.timeline import empty_text

register = template.Library()


@register.simple_tag
def timeline_empty_text():
    """ "暂无走访、诉求记录。": only the kinds of record the installed apps keep."""
    return empty_text()
