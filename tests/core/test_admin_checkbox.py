"""The admin's row checkbox, written out by `ScopedAdminMixin`, is the markup Django's own widget renders."""

from django.contrib import admin as django_admin
from django.contrib.admin import ModelAdmin

from households.models import Household


def test_the_row_checkbox_is_djangos_own(household):
    ours = django_admin.site._registry[Household]

    assert ours.action_checkbox(household) == ModelAdmin.action_checkbox(ours, household)
    assert 'class="action-select"' in ours.action_checkbox(household)
