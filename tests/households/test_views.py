import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import IdentityReveal
from households.services import reindex_households
from tests.factories import HouseholdFactory, PartyMemberFactory, ResidentFactory


def detail(household):
    return reverse("household_detail", args=[household.pk])


def test_anonymous_user_is_sent_to_login(client, household):
    response = client.get(detail(household))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["grid_worker", "cadre", "leader"])
def test_staff_in_scope_see_the_household(persona, request, client_for, household):
    response = client_for(request.getfixturevalue(persona)).get(detail(household))
    assert response.status_code == 200
    assert "魏永凯" in response.content.decode()


@pytest.mark.parametrize("persona", ["other_grid_worker", "mediator"])
def test_staff_out_of_scope_get_404(persona, request, client_for, household):
    assert client_for(request.getfixturevalue(persona)).get(detail(household)).status_code == 404


def test_grid_worker_of_other_grid_gets_404(client_for, other_grid_worker, household):
    assert client_for(other_grid_worker).get(detail(household)).status_code == 404


def test_search_only_lists_households_in_scope(client_for, grid_worker, household, other_household):
    client = client_for(grid_worker)
    assert "魏永凯" in client.get(reverse("household_list"), {"q": "wyk"}).content.decode()
    assert "单雄信" not in client.get(reverse("household_list"), {"q": "sxx"}).content.decode()


def test_search_fragment_for_htmx(client_for, grid_worker, household):
    response = client_for(grid_worker).get(reverse("household_list"), {"q": "wyk"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "魏永凯" in body
    assert "<html" not in body


def test_id_number_is_masked_on_the_page(client_for, grid_worker, household):
    resident = household.residents.get()
    body = client_for(grid_worker).get(detail(household)).content.decode()
    assert resident.id_number not in body
    assert resident.masked_id_number in body


def test_phone_is_masked_for_leader_and_full_for_grid_worker(client_for, grid_worker, leader, household):
    phone = household.residents.get().phone
    assert phone in client_for(grid_worker).get(detail(household)).content.decode()
    assert phone not in client_for(leader).get(detail(household)).content.decode()


def test_cadre_reveal_shows_number_and_is_recorded(client_for, cadre, household):
    resident = household.residents.get()
    response = client_for(cadre).post(reverse("resident_reveal_id", args=[resident.pk]))
    assert response.status_code == 200
    assert resident.id_number in response.content.decode()
    assert IdentityReveal.objects.filter(user=cadre, resident=resident).count() == 1


def test_grid_worker_may_not_reveal(client_for, grid_worker, household):
    resident = household.residents.get()
    assert client_for(grid_worker).post(reverse("resident_reveal_id", args=[resident.pk])).status_code == 403
    assert not IdentityReveal.objects.exists()


def test_cadre_of_other_community_cannot_reveal(client_for, cadre, community, household):
    from grids.models import StaffAssignment

    StaffAssignment.objects.filter(user=cadre).delete()
    resident = household.residents.get()
    assert client_for(cadre).post(reverse("resident_reveal_id", args=[resident.pk])).status_code == 404


def test_reveal_needs_post(client_for, cadre, household):
    resident = household.residents.get()
    assert client_for(cadre).get(reverse("resident_reveal_id", args=[resident.pk])).status_code == 405


def make_households(building, n, start=0):
    ids = []
    for i in range(start, start + n):
        household = HouseholdFactory(building=building, unit=1, room=f"{i + 100}")
        ResidentFactory(household=household, name="王芳")
        ids.append(household.pk)
    reindex_households(ids)


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_search_page_queries_do_not_grow_with_rows(client_for, grid_worker, building):
    client = client_for(grid_worker)
    make_households(building, 3)
    few = count_queries(client, reverse("household_list"), {"q": "wf"})
    make_households(building, 27, start=3)
    assert count_queries(client, reverse("household_list"), {"q": "wf"}) == few


def test_search_stops_counting_at_the_cap(client_for, grid_worker, building, monkeypatch):
    """A common surname is counted up to a cap ("1000 多户"), not through every match."""
    from core import paging

    client = client_for(grid_worker)
    make_households(building, 5)
    monkeypatch.setattr(paging, "COUNT_CAP", 3)

    text = client.get(reverse("household_list"), {"q": "wf"}).content.decode()
    assert "找到 3 多户" in text

    monkeypatch.setattr(paging, "COUNT_CAP", 5)
    text = client.get(reverse("household_list"), {"q": "wf"}).content.decode()
    assert "找到 5 户" in text
    assert "多户" not in text


def test_detail_page_queries_do_not_grow_with_members(client_for, cadre, building):
    client = client_for(cadre)
    household = HouseholdFactory(building=building)
    for _ in range(3):
        PartyMemberFactory(resident=ResidentFactory(household=household, relation="child"))
    few = count_queries(client, detail(household))
    for _ in range(27):
        PartyMemberFactory(resident=ResidentFactory(household=household, relation="child"))
    assert count_queries(client, detail(household)) == few
