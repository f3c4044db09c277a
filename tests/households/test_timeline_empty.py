"""An empty household timeline names only the kinds of record the installed apps keep."""

import pytest
from django.urls import reverse

from households import timeline

pytestmark = pytest.mark.django_db


def test_empty_timeline_names_visits_requests_and_disputes_only(client_for, grid_worker, household):
    html = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).content.decode()

    assert "暂无走访、诉求、调解记录。" in html
    assert "测温记录" not in html  # heating's inspections are visits; its button 入户测温 may be on the page


def test_a_later_app_adds_its_records_to_the_empty_sentence(client_for, grid_worker, household):
    def inspections(household, user):
        return []

    timeline.register(inspections, nouns=("测温",))
    try:
        html = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).content.decode()
    finally:
        timeline.registry.unregister(inspections)

    assert "暂无走访、诉求、调解、测温记录。" in html
