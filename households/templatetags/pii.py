from django import template

from households.idcard import mask_phone

register = template.Library()


@register.filter
def phone_for(value, can_see):
    """The phone in full for roles that may see it, otherwise 138****5678."""
    return value if can_see else mask_phone(value)
