"""How the portal computes and shows a share (a fraction from 0 to 1): as a number of percent for charts, as text
for pages."""


def share(numerator, denominator):
    """numerator / denominator; None when there is nothing to count (a zero denominator)."""
    return numerator / denominator if denominator else None


def percent_value(share, digits=1):
    """0.857 → 85.7 (for charts and exports); no share (nothing to count) → None."""
    if share is None:
        return None
    return round(share * 100, int(digits))


def percent_text(share, digits=1):
    """0.857 → "85.7%"; no share (nothing to count) → "—"."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(digits)}f}%"
