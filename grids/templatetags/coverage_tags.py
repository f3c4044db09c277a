from django import template

from core.numbers import percent_text, percent_value
from grids.coverage import is_below, target

register = template.Library()


@register.filter
def percent(share):
    """0.857 → "85.7%"; no share (nothing to count) → "—"."""
    return percent_text(share)


@register.filter
def below_target(share):
    return is_below(share)


@register.simple_tag
def coverage_target_percent():
    return percent_text(target(), 0)


@register.inclusion_tag("grids/_coverage_bar.html")
def coverage_bar(node, measure):
    """One figure of an annotated node: label, "n / total", share and a progress bar, red below target."""
    share = getattr(node, measure.share)
    return {
        "label": measure.label,
        "numerator": getattr(node, measure.numerator),
        "denominator": getattr(node, measure.denominator),
        "share": share,
        "width": percent_value(share or 0, 0),
        "below": is_below(share),
    }
