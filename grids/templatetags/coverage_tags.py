from django import template

from grids.coverage import is_below, target

register = template.Library()


@register.filter
def percent(share):
    """0.857 → "85.7%"; no share (nothing to count) → "—"."""
    if share is None:
        return "—"
    return f"{share * 100:.1f}%"


@register.filter
def below_target(share):
    return is_below(share)


@register.simple_tag
def coverage_target_percent():
    return f"{target() * 100:.0f}%"


@register.inclusion_tag("grids/_coverage_bar.html")
def coverage_bar(node, measure):
    """One figure of an annotated node: label, "n / total", share and a progress bar, red below target."""
    share = getattr(node, measure.share)
    return {
        "label": measure.label,
        "numerator": getattr(node, measure.numerator),
        "denominator": getattr(node, measure.denominator),
        "share": share,
        "width": round((share or 0) * 100),
        "below": is_below(share),
    }
