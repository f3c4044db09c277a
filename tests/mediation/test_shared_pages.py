"""Mediation's pages in the shared page list (`tests.pages`), which the PII scan, the Nu HTML checker and axe go
over: every page a person opens is there, and over the list's world the mediator and the committee's manager
reach each of them, while the street leader reaches the figures only."""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse

from mediation import urls as mediation_urls
from tests.pages import PAGES, build_world

# Mediation's URLs that are not pages: forms' targets (POST only) and the Excel return.
NOT_PAGES = {
    "dispute_advance",
    "dispute_recuse",
    "dispute_assign",
    "dispute_extend",
    "dispute_from_request",
    "watch_dismiss",
    "mediation_return",
}


@pytest.fixture
def world(household, other_household, grid_worker, other_grid_worker, cadre, leader, mediator):
    return build_world(
        household=household,
        other_household=other_household,
        grid_worker=grid_worker,
        other_grid_worker=other_grid_worker,
        cadre=cadre,
        leader=leader,
        mediator=mediator,
    )


def mediation_pages(world):
    """{page name: url} of the shared list's mediation pages."""
    prefix = reverse("mediation_index")
    urls = {name: url_for(world) for name, url_for in PAGES.items()}
    return {name: url for name, url in urls.items() if url.startswith(prefix)}


def test_every_mediation_page_is_in_the_shared_list(world):
    listed = {resolve(urlsplit(url).path).url_name for url in mediation_pages(world).values()}
    pages = {pattern.name for pattern in mediation_urls.urlpatterns} - NOT_PAGES
    assert listed == pages


@pytest.mark.parametrize("persona", ["mediator", "cadre"])
def test_the_mediator_and_the_manager_reach_every_mediation_page(client_for, request, world, persona):
    client = client_for(request.getfixturevalue(persona))
    statuses = {name: client.get(url).status_code for name, url in mediation_pages(world).items()}
    assert statuses == dict.fromkeys(statuses, 200)


def test_the_leader_reaches_the_figures_only(client_for, leader, world):
    client = client_for(leader)
    statuses = {name: client.get(url).status_code for name, url in mediation_pages(world).items()}
    assert {name for name, status in statuses.items() if status == 200} == {"mediation", "mediation open disputes"}
    assert statuses["dispute in mediation"] == statuses["mediation agreement"] == 404
