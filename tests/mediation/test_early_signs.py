"""Early signs (矛盾苗头) on the visit form, the watch items two flags within 90 days raise, and the watch list:
the committee's mediators and managers see it, managers dismiss, everyone else gets 403 or 404."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mediation.early_signs import EarlySignForm, parse_room_code
from mediation.models import EarlySign, WatchItem
from mediation.watch_views import open_watch_items
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import VisitFactory
from tests.visits.test_visit_views import new_url, visit_data
from visits.models import Visit

WATCH_URL = "/mediation/watch/"


def early_sign(room="", dispute_type="", description=""):
    return {
        "early_signs-other_room": room,
        "early_signs-dispute_type": dispute_type,
        "early_signs-description": description,
    }


def section_form(data, household, user):
    return EarlySignForm(data, prefix="early_signs", household=household, user=user)


def flag(client, household, room, description="楼上漏水，双方争吵"):
    return client.post(new_url(household), visit_data(**early_sign(room, "neighbour", description)))


# --- The section ----------------------------------------------------------------------------------------


def test_the_visit_form_shows_the_section_to_a_grid_worker(client_for, grid_worker, household):
    response = client_for(grid_worker).get(new_url(household))
    assert "发现矛盾苗头" in response.text
    assert 'name="early_signs-other_room"' in response.text


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [("12-1-301", ("12", 1, "301")), ("12号楼1单元301室", ("12", 1, "301")), (" 12 1 301 ", ("12", 1, "301"))],
)
def test_a_room_code_may_be_typed_with_any_separator(typed, parsed):
    assert parse_room_code(typed) == parsed


@pytest.mark.parametrize("typed", ["12-301", "12-A-301", "", "12-1-3-01"])
def test_a_room_code_needs_three_parts_and_a_numeric_unit(typed):
    assert parse_room_code(typed) is None


def test_an_empty_section_is_valid_and_saves_nothing(household, grid_worker):
    form = section_form(early_sign(), household, grid_worker)
    assert form.is_valid()
    assert form.cleaned_data == {}


def test_a_partly_filled_section_names_each_missing_part(household, other_household, grid_worker):
    form = section_form(early_sign(room="12-1-301"), household, grid_worker)
    assert not form.is_valid()
    assert form.errors == {"dispute_type": ["请选择矛盾类型。"], "description": ["请简要说明矛盾情况。"]}

    form = section_form(early_sign(description="吵架"), household, grid_worker)
    assert not form.is_valid()
    assert form.errors["other_room"] == ["请填写对方户的房号（楼号-单元-房号）。"]


@pytest.mark.parametrize(
    ("room", "error"),
    [
        ("12-1-999", "本社区没有房号为 12-1-999 的居民户，请核对。"),
        ("3-2-501", "对方户不能是正在走访的这一户。"),
        ("12-301", "房号格式不对，请按“楼号-单元-房号”填写，如 12-1-301。"),
    ],
)
def test_the_other_household_must_exist_and_differ(household, other_household, grid_worker, room, error):
    form = section_form(early_sign(room, "neighbour", "吵架"), household, grid_worker)
    assert not form.is_valid()
    assert form.errors["other_room"] == [error]


def test_a_household_of_another_community_is_not_found(household, grid_worker, street):
    elsewhere = BuildingFactory(grid=GridFactory(community=CommunityFactory(street=street)), number="20")
    HouseholdFactory(building=elsewhere, unit=1, room="101")
    form = section_form(early_sign("20-1-101", "neighbour", "吵架"), household, grid_worker)
    assert not form.is_valid()
    assert "本社区没有房号为 20-1-101" in form.errors["other_room"][0]


def test_the_same_building_number_in_two_grids_prefers_the_visited_grid(household, other_household, grid_worker):
    # other_household is 12-1-301 in the other grid; the visited household's grid gets a 12号楼 too.
    same_grid = HouseholdFactory(
        building=BuildingFactory(grid=household.building.grid, number="12"), unit=1, room="301"
    )
    form = section_form(early_sign("12-1-301", "neighbour", "吵架"), household, grid_worker)
    assert form.is_valid()
    assert form.cleaned_data["other_household"] == same_grid


def test_a_user_without_the_permission_gets_no_section(household, mediator):
    form = section_form(early_sign("12-1-301", "neighbour", "吵架"), household, mediator)
    assert not form.enabled
    assert form.is_valid() and form.cleaned_data == {}


# --- Through the visit form -----------------------------------------------------------------------------


def test_a_flag_is_saved_with_the_visit(client_for, grid_worker, household, other_household):
    response = flag(client_for(grid_worker), household, "12-1-301")
    assert response.status_code == 302
    sign = EarlySign.objects.get()
    assert (sign.visit, sign.household, sign.other_household) == (Visit.objects.get(), household, other_household)
    assert (sign.dispute_type, sign.description, sign.flagged_by) == ("neighbour", "楼上漏水，双方争吵", grid_worker)
    assert not WatchItem.objects.exists()


def test_a_visit_with_an_empty_section_flags_nothing(client_for, grid_worker, household):
    response = client_for(grid_worker).post(new_url(household), visit_data(**early_sign()))
    assert response.status_code == 302
    assert not EarlySign.objects.exists()


def test_a_half_filled_section_saves_no_visit_and_shows_the_errors(client_for, grid_worker, household):
    response = client_for(grid_worker).post(new_url(household), visit_data(**early_sign("12-1-301")))
    assert response.status_code == 200
    assert "请选择矛盾类型。" in response.text
    assert '<details class="border rounded p-2 mb-3" open>' in response.text
    assert not Visit.objects.exists()


def test_a_second_flag_of_the_pair_within_90_days_raises_a_watch_item(
    client_for, grid_worker, other_grid_worker, household, other_household, community
):
    flag(client_for(grid_worker), household, "12-1-301")
    # The same pair flagged from the other side, by the other grid's worker.
    flag(client_for(other_grid_worker), other_household, "3-2-501", "又因漏水争吵")

    item = WatchItem.objects.get()
    a, b = sorted([household, other_household], key=lambda household: household.pk)
    assert (item.household_a, item.household_b, item.community, item.flags) == (a, b, community, 2)
    assert item.raised_on == timezone.localdate()


def flagged_days_ago(days, household, other_household, by):
    visit = VisitFactory(household=household, logged_by=by)
    return EarlySign.objects.create(
        visit=visit,
        household=household,
        other_household=other_household,
        dispute_type="neighbour",
        description="争吵",
        flagged_by=by,
        flagged_on=timezone.localdate() - datetime.timedelta(days=days),
    )


def test_a_flag_90_days_old_still_counts(client_for, grid_worker, household, other_household):
    flagged_days_ago(90, household, other_household, grid_worker)
    flag(client_for(grid_worker), household, "12-1-301")
    assert WatchItem.objects.count() == 1


def test_a_flag_91_days_old_does_not_count(client_for, grid_worker, household, other_household):
    flagged_days_ago(91, household, other_household, grid_worker)
    flag(client_for(grid_worker), household, "12-1-301")
    assert EarlySign.objects.count() == 2
    assert not WatchItem.objects.exists()


def test_a_third_flag_refreshes_the_open_item(client_for, grid_worker, household, other_household):
    client = client_for(grid_worker)
    for _i in range(3):
        flag(client, household, "12-1-301")
    item = WatchItem.objects.get()
    assert item.flags == 3


# --- The watch list -------------------------------------------------------------------------------------


@pytest.fixture
def watch_item(grid_worker, household, other_household):
    flagged_days_ago(10, household, other_household, grid_worker)
    flagged_days_ago(0, other_household, household, grid_worker)
    a, b = sorted([household.pk, other_household.pk])
    return WatchItem.objects.create(
        community=household.building.grid.community,
        household_a_id=a,
        household_b_id=b,
        raised_on=timezone.localdate(),
        last_flagged_on=timezone.localdate(),
    )


def test_a_mediator_of_the_committee_sees_the_pair_and_its_flags(client_for, roster, mediator, watch_item):
    response = client_for(mediator).get(WATCH_URL)
    assert response.status_code == 200
    for text in ("3-2-501（魏永凯）", "12-1-301（单雄信）", "邻里", "争吵", "共上报 2 次"):
        assert text in response.text
    assert response.text.count("<li>") >= 2
    assert f'href="{reverse("dispute_create")}?watch={watch_item.pk}"' in response.text
    assert "解除关注" not in response.text  # dismissing is the managers'
    assert open_watch_items(mediator) == 1


@pytest.mark.parametrize("persona", ["mediator", "cadre"])
def test_the_index_links_the_watch_list_with_its_open_items_for_mediators_and_managers(
    client_for, roster, watch_item, persona, request
):
    body = client_for(request.getfixturevalue(persona)).get(reverse("mediation_index")).text
    link = f'href="{WATCH_URL}" id="mediation-watch-link"'
    assert link in body
    assert body.split(link, 1)[1].split('id="mediation-watch-count">', 1)[1].startswith("1<")

    WatchItem.objects.filter(pk=watch_item.pk).update(dismissed_at=timezone.now())
    body = client_for(request.getfixturevalue(persona)).get(reverse("mediation_index")).text
    assert 'id="mediation-watch-count">0<' in body


def test_the_leader_sees_no_watch_list_link(client_for, leader, watch_item):
    body = client_for(leader).get(reverse("mediation_index")).text
    assert "mediation-watch-link" not in body
    assert WATCH_URL not in body


@pytest.mark.parametrize("persona", ["grid_worker", "leader"])
def test_grid_workers_and_leaders_get_403(client_for, watch_item, persona, request):
    user = request.getfixturevalue(persona)
    assert client_for(user).get(WATCH_URL).status_code == 403
    assert open_watch_items(user) == 0


def test_another_communitys_cadre_sees_nothing_and_gets_404_on_dismiss(client_for, other_community_cadre, watch_item):
    client = client_for(other_community_cadre)
    response = client.get(WATCH_URL)
    assert response.status_code == 200
    assert "3-2-501" not in response.text
    assert client.post(reverse("watch_dismiss", args=[watch_item.pk])).status_code == 404
    watch_item.refresh_from_db()
    assert watch_item.dismissed_at is None


def test_a_grid_worker_cannot_dismiss(client_for, grid_worker, watch_item):
    assert client_for(grid_worker).post(reverse("watch_dismiss", args=[watch_item.pk])).status_code == 404


def test_a_mediator_may_not_dismiss(client_for, roster, mediator, watch_item):
    assert client_for(mediator).post(reverse("watch_dismiss", args=[watch_item.pk])).status_code == 403


def test_the_manager_dismisses_the_item_once(client_for, cadre, watch_item):
    client = client_for(cadre)
    assert "解除关注" in client.get(WATCH_URL).text

    response = client.post(reverse("watch_dismiss", args=[watch_item.pk]), follow=True)
    assert "已解除关注：3-2-501 与 12-1-301。" in response.text or "已解除关注：12-1-301 与 3-2-501。" in response.text
    assert "暂无需要关注的矛盾苗头。" in response.text
    watch_item.refresh_from_db()
    dismissed_at = watch_item.dismissed_at
    assert dismissed_at is not None

    response = client.post(reverse("watch_dismiss", args=[watch_item.pk]), follow=True)
    assert "该关注事项已解除或已转为调解案件。" in response.text
    watch_item.refresh_from_db()
    assert watch_item.dismissed_at == dismissed_at


def watch_items(n, building, visit, by):
    for _i in range(n):
        pair = [HouseholdFactory(building=building) for _j in range(2)]
        for household in pair:
            ResidentFactory(household=household, name="孔令辉")
        for first, second in (pair, pair[::-1]):
            EarlySign.objects.create(
                visit=visit,
                household=first,
                other_household=second,
                dispute_type="property",
                description="占用楼道",
                flagged_by=by,
                flagged_on=timezone.localdate(),
            )
        a, b = sorted(household.pk for household in pair)
        WatchItem.objects.create(
            community=building.grid.community,
            household_a_id=a,
            household_b_id=b,
            raised_on=timezone.localdate(),
            last_flagged_on=timezone.localdate(),
        )


def test_the_watch_list_costs_the_same_queries_for_3_and_30_items(client_for, cadre, building, household, grid_worker):
    client = client_for(cadre)
    visit = VisitFactory(household=household, logged_by=grid_worker)
    watch_items(3, building, visit, grid_worker)
    client.get(WATCH_URL)
    with CaptureQueriesContext(connection) as three:
        response = client.get(WATCH_URL)
    assert response.text.count("占用楼道") == 6
    watch_items(27, building, visit, grid_worker)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(WATCH_URL)
    assert response.text.count("占用楼道") == 60
    assert len(thirty) == len(three)
