"""Annotation helpers shared by the visits models' querysets."""

from django.db.models import BooleanField, ExpressionWrapper


def flag(condition):
    """A boolean annotation that is true where `condition` holds."""
    return ExpressionWrapper(condition, output_field=BooleanField())
