"""Template filters for residents' phones and identity numbers; the rule is `households.pii`.

{{ resident.phone|phone_for:user }}      full or 138****5678
{{ resident.id_number|id_number_for:user }}   always masked on a page (the reveal button records a reveal)
{% if user|may_see_phone %}<a href="tel:…">{% endif %}
"""

from django import template

from households import pii

register = template.Library()


@register.filter
def phone_for(value, user):
    return pii.phone_for(user, value)


@register.filter
def id_number_for(value, user):
    return pii.id_number_for(user, value)


@register.filter
def may_see_phone(user):
    return pii.may_see_phone(user)
