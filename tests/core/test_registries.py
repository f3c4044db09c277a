"""The extension points later apps plug into, exercised with stand-ins for those apps."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import navigation, refdata
from core.beat import BeatEntry, ensure_beat_entries
from core.navigation import NavEntry
from core.registry import Registry
from grids import sections as coverage_sections
from grids.sections import CoverageSection
from households import actions as household_actions
from households import timeline
from households.actions import HouseholdAction
from households.timeline import TimelineEntry


@pytest.fixture
def contribute():
    """Register items into a registry for one test and take them out afterwards."""
    added = []

    def add(registry, item):
        registry.register(item)
        added.append((registry, getattr(item, "key", item)))
        return item

    yield add
    for registry, key in added:
        registry.unregister(key)


def test_registering_twice_under_one_key_keeps_the_first():
    registry = Registry("test")
    registry.register("a", key="k")
    registry.register("b", key="k")
    assert list(registry) == ["a"]
    assert "k" in registry


def test_every_app_registers_its_reference_data():
    assert set(refdata.registry.keys()) >= {
        "accounts.migrations.0004_beat_schedule.forwards",
        "households.migrations.0002_priority_groups_and_roles.forwards",
        "visits.migrations.0002_default_policies_and_roles.forwards",
        "visits.migrations.0004_beat_schedule.forwards",
    }


@pytest.mark.django_db
def test_each_app_creates_its_own_beat_entries():
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "visits.tasks.schedule_visits",
        "visits.tasks.daily_digest",
        "visits.tasks.escalate_overdue",
        "visits.tasks.lead_household_digest",
        "accounts.tasks.deliver_notifications",
    } <= tasks


@pytest.mark.django_db
def test_beat_entries_never_undo_an_admins_edit():
    from django.apps import apps

    entry = BeatEntry("测试任务", "tests.fake", minute="5", hour="2")
    ensure_beat_entries(apps, [entry])
    PeriodicTask.objects.filter(name="测试任务").update(enabled=False)
    ensure_beat_entries(apps, [entry])
    task = PeriodicTask.objects.get(name="测试任务")
    assert task.enabled is False
    assert (task.crontab.minute, task.crontab.hour) == ("5", "2")


def test_navigation_shows_registered_entries_in_order(client_for, grid_worker, contribute):
    contribute(
        navigation.registry, NavEntry(key="test_hidden", label="隐藏项", url_name="coverage", visible=lambda u: False)
    )
    contribute(navigation.registry, NavEntry(key="test_first", label="最前面的入口", url_name="coverage", order=1))
    html = client_for(grid_worker).get(reverse("workbench")).content.decode()
    assert "隐藏项" not in html
    positions = [
        html.index(label) for label in ("最前面的入口", "工作台", "居民户", "走访任务", "民情诉求", "网格覆盖")
    ]
    assert positions == sorted(positions)


def test_household_page_shows_the_actions_each_app_registered(client_for, grid_worker, household, contribute):
    contribute(
        household_actions.registry,
        HouseholdAction(key="test_inspect", label="入户测温（测试）", url_name="coverage", allowed=lambda u, h: True),
    )
    html = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).content.decode()
    assert f"{reverse('visit_create')}?household={household.pk}" in html
    assert f"{reverse('request_create')}?household={household.pk}" in html
    assert f"{reverse('coverage')}?household={household.pk}" in html


def test_read_only_leader_gets_no_writing_actions(client_for, leader, household):
    html = client_for(leader).get(reverse("household_detail", args=[household.pk])).content.decode()
    assert reverse("visit_create") not in html
    assert reverse("request_create") not in html


def test_a_timeline_entry_replaces_the_entry_it_stands_in_for(household, grid_worker, contribute):
    at = timezone.now()

    def plain(household, user):
        return [
            TimelineEntry(at=at, kind="visit", title="走访", key="visit:1"),
            TimelineEntry(at=at - datetime.timedelta(days=1), kind="visit", title="另一次走访", key="visit:2"),
        ]

    def better(household, user):
        return [TimelineEntry(at=at, kind="heating", title="测温", key="inspection:7", replaces=("visit:1",))]

    contribute(timeline.registry, plain)
    contribute(timeline.registry, better)
    titles = [entry.title for entry in timeline.timeline_for(household, grid_worker)]
    assert "走访" not in titles
    assert titles[:2] == ["测温", "另一次走访"]


def test_coverage_page_renders_registered_sections_in_scope(
    client_for, grid_worker, grid, other_grid, contribute, settings
):
    templates = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**templates, "DIRS": [*templates["DIRS"], Path(__file__).parent.parent / "templates"]}]
    seen = {}

    def build(user, grids):
        seen["grids"] = set(grids.values_list("pk", flat=True))
        return {"title": "测试板块"}

    contribute(
        coverage_sections.registry,
        CoverageSection(key="test_section", template="grids/_test_section.html", build=build),
    )
    contribute(
        coverage_sections.registry,
        CoverageSection(key="test_empty", template="grids/_test_section.html", build=lambda user, grids: None),
    )
    response = client_for(grid_worker).get(reverse("coverage"))
    assert response.status_code == 200
    assert response.content.decode().count("测试板块") == 1
    assert seen["grids"] == {grid.pk}
