"""Sections of the visit form that apps add, each saved inside `log_visit`'s transaction.

    form_sections.register(VisitFormSection(key="early_signs", form_class=EarlySignForm,
                                            template="mediation/_early_sign_section.html", save=save_early_sign))

The visit form builds each section's form as `form_class(data, files, prefix=<prefix>, household=..., user=...)`,
renders `template` with `form` (and `section`) in the context, validates it with the main form, and passes its
`cleaned_data` to `save(visit, cleaned_data)` inside `log_visit`'s atomic block: a section that fails rolls the
whole visit back. The raised-requests part of the form is visits' own section.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.registry import Registry


@dataclass(frozen=True)
class VisitFormSection:
    key: str
    form_class: type
    template: str
    save: Callable
    order: int = 100
    #: the form prefix, when it must differ from the key (posted field names start with it)
    prefix: str = ""


registry = Registry("visit form sections")


def register(section):
    return registry.register(section)


def bound_sections(data=None, files=None, *, household, user):
    """[(section, form)] in order, bound to the posted data when there is any."""
    sections = sorted(registry, key=lambda section: section.order)
    return [
        (
            section,
            section.form_class(data, files, prefix=section.prefix or section.key, household=household, user=user),
        )
        for section in sections
    ]
