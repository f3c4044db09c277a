"""Registering a dispute: the form with its parties (residents found with the committee's read-only search,
outside persons, organisations), its Chinese errors that save nothing, the double submit, the pre-filled forms
(?household=, ?watch=, ?applicant=), the household page's button, and a 邻里矛盾 request turned into a dispute
in one tap."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from households.services import reindex_households
from mediation.models import Dispute, EarlySign, Party, WatchItem
from tests.factories import BuildingFactory, GridFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory
from visits.models import ResidentRequest

NEW = reverse("dispute_create")
SEARCH = reverse("dispute_party_search")


def side(prefix, *blocks):
    """The management form and the fields of one side's party blocks."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(blocks)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, block in enumerate(blocks):
        data.update({f"{prefix}-{index}-{name}": value for name, value in block.items()})
    return data


def resident_block(resident, claims=""):
    return {"kind": "resident", "resident": str(resident.pk), "claims": claims}


def registration(community, applicants, respondents, **fields):
    return {
        "token": str(uuid.uuid4()),
        "community": str(community.pk),
        "dispute_type": "neighbour",
        "source": "walk_in",
        "risk": "yellow",
        "title": "楼上漏水致楼下受损",
        "facts": "卫生间漏水，楼下天花板受损。",
        "matters": "维修责任",
        "grid": "",
        **side("applicant", *applicants),
        **side("respondent", *respondents),
        **fields,
    }


@pytest.fixture
def residents(household, other_household):
    return household.residents.get(), other_household.residents.get()


@pytest.fixture
def elsewhere(other_community_cadre):
    """A household of another community, with a resident whose name starts like the personas' residents'."""
    community = other_community_cadre.assignments.get().community
    household = HouseholdFactory(building=BuildingFactory(grid=GridFactory(community=community)), unit=1, room="101")
    ResidentFactory(household=household, name="魏永福")
    reindex_households([household.pk])
    return household


def neighbour_data(community, residents):
    applicant, respondent = residents
    return registration(
        community, [resident_block(applicant, "赔偿损失 2000 元")], [resident_block(respondent, "只同意修好防水")]
    )


# --- Who may register ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("mediator", 200), ("cadre", 200), ("grid_worker", 403), ("leader", 403)]
)
def test_who_may_open_the_registration(persona, status, request, client_for, grid, roster):
    assert client_for(request.getfixturevalue(persona)).get(NEW).status_code == status


@pytest.mark.parametrize("persona", ["grid_worker", "leader"])
def test_who_may_not_register_changes_nothing_by_posting(persona, request, client_for, community, residents, roster):
    response = client_for(request.getfixturevalue(persona)).post(NEW, neighbour_data(community, residents))
    assert response.status_code == 403 and not Dispute.objects.exists()


def test_a_mediator_without_a_roster_entry_may_not_register(client_for, mediator):
    assert client_for(mediator).get(NEW).status_code == 403


# --- Registering -----------------------------------------------------------------------------------------------


def test_a_mediator_registers_a_dispute_between_two_residents_and_mediates_it(
    client_for, mediator, community, grid, residents, roster
):
    client = client_for(mediator)
    response = client.post(NEW, neighbour_data(community, residents), follow=True)

    dispute = Dispute.objects.get()
    assert response.redirect_chain[-1][0] == reverse("dispute_detail", args=[dispute.pk])
    assert f"已登记 和调〔{timezone.localdate().year}〕第001号" in response.content.decode()
    assert (dispute.community, dispute.grid, dispute.registered_by) == (community, grid, mediator)
    applicant, respondent = dispute.parties.order_by("side")
    assert (applicant.side, applicant.name, applicant.claims) == ("applicant", "魏永凯", "赔偿损失 2000 元")
    assert applicant.address.endswith("3号楼2单元501室") and applicant.household == residents[0].household
    assert (respondent.side, respondent.name) == ("respondent", "单雄信")
    assert [a.mediator for a in dispute.assignments.all()] == [roster["mediator"]]


def test_outside_persons_and_organisations_are_registered_with_their_particulars(
    client_for, mediator, community, roster
):
    person = {
        "kind": "person",
        "name": "孟庆芳",
        "gender": "female",
        "age": "46",
        "occupation": "个体户",
        "address": "济宁市任城区",
        "phone": "13800001111",
        "claims": "退还押金",
    }
    organisation = {"kind": "organisation", "name": "嘉苑物业服务有限公司", "representative": "刘经理"}
    data = registration(community, [person], [organisation], dispute_type="contract")

    assert client_for(mediator).post(NEW, data).status_code == 302
    applicant = Party.objects.get(side="applicant")
    assert (applicant.kind, applicant.gender, applicant.age, applicant.occupation) == ("person", "female", 46, "个体户")
    respondent = Party.objects.get(side="respondent")
    assert (respondent.kind, respondent.representative) == ("organisation", "刘经理")


def test_a_double_submit_registers_one_dispute(client_for, mediator, community, residents, roster):
    client = client_for(mediator)
    data = neighbour_data(community, residents)

    first = client.post(NEW, data)
    second = client.post(NEW, data)

    dispute = Dispute.objects.get()
    assert first["Location"] == second["Location"] == reverse("dispute_detail", args=[dispute.pk])


def test_a_manager_assigns_mediators_at_registration_the_first_leads(client_for, cadre, community, residents, roster):
    data = neighbour_data(community, residents)
    data["mediators"] = [str(roster["teacher"].pk), str(roster["veteran"].pk)]

    assert client_for(cadre).post(NEW, data).status_code == 302
    dispute = Dispute.objects.get()
    assert {a.mediator for a in dispute.assignments.all()} == {roster["teacher"], roster["veteran"]}
    assert dispute.assignments.filter(is_lead=True).count() == 1


def test_only_managers_are_offered_mediators_to_assign(client_for, cadre, mediator, grid, roster):
    assert 'name="mediators"' in client_for(cadre).get(NEW).content.decode()
    assert 'name="mediators"' not in client_for(mediator).get(NEW).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"applicant-0-resident": "", "applicant-0-claims": ""}, "请至少登记一名申请人"),
        ({"respondent-0-resident": "", "respondent-0-claims": ""}, "请至少登记一名被申请人"),
        ({"applicant-0-resident": ""}, "请查找并选择一位本社区居民"),
        ({"title": "", "facts": ""}, "这个字段是必填项"),
        ({"dispute_type": "spaceship"}, "选择一个有效的选项"),
        ({"respondent-0-kind": "organisation", "respondent-0-name": "嘉苑物业"}, "请填写法定代表人或代理人"),
        ({"respondent-0-kind": "person", "respondent-0-age": "-3", "respondent-0-name": "某人"}, "年龄不能为负数"),
        ({"respondent-0-kind": "person", "respondent-0-phone": "call me", "respondent-0-name": "某人"}, "联系电话"),
        ({"applicant-TOTAL_FORMS": "50"}, "请最多提交 10 个表单"),
    ],
)
def test_invalid_input_shows_a_chinese_message_and_saves_nothing(
    client_for, mediator, community, residents, roster, change, message
):
    data = {**neighbour_data(community, residents), **change}
    response = client_for(mediator).post(NEW, data)

    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "未登记，请核对下面标红的内容" in body
    assert not Dispute.objects.exists() and not Party.objects.exists()


def test_the_same_resident_cannot_be_on_both_sides(client_for, mediator, community, residents, roster):
    applicant, _respondent = residents
    data = registration(community, [resident_block(applicant)], [resident_block(applicant)])
    response = client_for(mediator).post(NEW, data)
    assert "同一位居民不能既是申请人又是被申请人" in response.content.decode() and not Dispute.objects.exists()


def test_a_resident_of_another_community_cannot_be_a_party(
    client_for, mediator, community, residents, elsewhere, roster
):
    data = registration(community, [resident_block(elsewhere.residents.get())], [resident_block(residents[1])])
    response = client_for(mediator).post(NEW, data)
    assert "所选居民不在本调解委员会所在社区" in response.content.decode() and not Dispute.objects.exists()


def test_a_committee_of_someone_else_cannot_be_chosen(client_for, mediator, residents, other_community_cadre, roster):
    other = other_community_cadre.assignments.get().community
    response = client_for(mediator).post(NEW, neighbour_data(other, residents))
    assert response.status_code == 200 and not Dispute.objects.exists()


# --- Party search ----------------------------------------------------------------------------------------------


def test_a_mediator_finds_residents_of_the_committees_community_only(
    client_for, mediator, household, elsewhere, roster
):
    body = (
        client_for(mediator)
        .get(SEARCH, {"q": "魏永", "party": "respondent-1"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )

    resident = household.residents.get()
    assert f'name="respondent-1-resident" value="{resident.pk}"' in body
    assert "魏永凯" in body and "3-2-501" in body
    assert "魏永福" not in body and f'value="{elsewhere.residents.get().pk}"' not in body


def test_the_search_shows_no_identity_numbers_or_phones(client_for, mediator, household, roster):
    resident = household.residents.get()
    resident.id_number, resident.phone = "370811196005170011", "13905378888"
    resident.save()
    body = client_for(mediator).get(SEARCH, {"q": "魏永凯"}, HTTP_HX_REQUEST="true").content.decode()
    assert "魏永凯" in body and "370811" not in body and "8888" not in body


def test_the_search_without_javascript_is_a_page_whose_results_open_the_registration(
    client_for, mediator, household, roster
):
    resident = household.residents.get()
    body = client_for(mediator).get(SEARCH, {"q": "wyk"}).content.decode()
    assert "<html" in body and f"{NEW}?applicant={resident.pk}" in body

    response = client_for(mediator).get(NEW, {"applicant": resident.pk})
    assert f'value="{resident.pk}" id="applicant-0-resident-chosen" checked' in response.content.decode()


@pytest.mark.parametrize("persona", ["grid_worker", "leader"])
def test_who_may_not_register_may_not_search(persona, request, client_for, household):
    assert client_for(request.getfixturevalue(persona)).get(SEARCH, {"q": "魏"}).status_code == 403


def test_the_search_button_without_javascript_shows_results_in_the_block_and_keeps_what_was_typed(
    client_for, mediator, community, residents, roster
):
    data = neighbour_data(community, residents)
    data.update({"respondent-0-resident": "", "respondent-0-query": "单雄", "search": "respondent-0"})
    response = client_for(mediator).post(NEW, data)

    body = response.content.decode()
    assert response.status_code == 200 and not Dispute.objects.exists()
    assert (
        f'name="respondent-0-resident" value="{residents[1].pk}" id="respondent-0-resident-{residents[1].pk}"' in body
    )
    assert "卫生间漏水，楼下天花板受损。" in body and "赔偿损失 2000 元" in body
    assert "未登记" not in body and "这个字段是必填项" not in body
    assert f'name="token" value="{data["token"]}"' in body


def test_another_party_block_is_added_without_javascript(client_for, mediator, community, residents, roster):
    data = {**neighbour_data(community, residents), "add": "applicant"}
    body = client_for(mediator).post(NEW, data).content.decode()
    assert 'name="applicant-TOTAL_FORMS" value="2"' in body and 'name="applicant-1-kind"' in body
    assert not Dispute.objects.exists()


def test_a_second_applicant_block_is_registered_and_a_blank_one_skipped(
    client_for, mediator, community, residents, roster
):
    applicant, respondent = residents
    spouse = ResidentFactory(household=applicant.household, name="刘桂兰", relation="spouse")
    data = registration(
        community,
        [resident_block(applicant), resident_block(spouse), {"kind": "resident"}],
        [resident_block(respondent)],
    )
    assert client_for(mediator).post(NEW, data).status_code == 302
    assert list(Party.objects.filter(side="applicant").values_list("name", flat=True)) == ["魏永凯", "刘桂兰"]


# --- Pre-filled forms ------------------------------------------------------------------------------------------


def test_household_prefills_the_applicant_from_its_head(client_for, cadre, household, roster):
    body = client_for(cadre).get(NEW, {"household": household.pk}).content.decode()
    resident = household.residents.get()
    assert f'value="{resident.pk}" id="applicant-0-resident-chosen" checked' in body
    assert f'<option value="{household.building.grid_id}" selected>' in body


@pytest.mark.parametrize("household_id", ["elsewhere", "x1"])
def test_a_household_outside_the_committees_is_404(client_for, mediator, elsewhere, roster, household_id):
    raw = elsewhere.pk if household_id == "elsewhere" else household_id
    assert client_for(mediator).get(NEW, {"household": raw}).status_code == 404


@pytest.fixture
def watch_item(community, household, other_household, grid_worker):
    for day in (10, 3):
        visit = VisitFactory(household=household, logged_by=grid_worker)
        EarlySign.objects.create(
            visit=visit,
            household=household,
            other_household=other_household,
            dispute_type="neighbour",
            description=f"因漏水争吵（{day} 天前）",
            flagged_by=grid_worker,
            flagged_on=timezone.localdate() - datetime.timedelta(days=day),
        )
    a, b = sorted([household, other_household], key=lambda h: h.pk)
    return WatchItem.objects.create(
        community=community,
        household_a=a,
        household_b=b,
        raised_on=timezone.localdate(),
        last_flagged_on=timezone.localdate(),
    )


def test_a_watch_item_prefills_the_parties_and_facts_and_is_linked_to_the_dispute(
    client_for, mediator, community, residents, watch_item, roster
):
    client = client_for(mediator)
    url = f"{NEW}?watch={watch_item.pk}"
    body = client.get(url).content.decode()
    assert "因漏水争吵（10 天前）" in body and '<option value="watch" selected>' in body
    a_head = watch_item.household_a.residents.get()
    assert f'value="{a_head.pk}" id="applicant-0-resident-chosen" checked' in body

    data = {**neighbour_data(community, residents), "source": "watch"}
    assert client.post(url, data).status_code == 302
    watch_item.refresh_from_db()
    assert watch_item.dispute == Dispute.objects.get() and watch_item.dispute.source == "watch"
    assert client.get(url)["Location"] == reverse("dispute_detail", args=[watch_item.dispute_id])


def test_a_watch_item_of_another_committee_is_404(client_for, other_community_cadre, elsewhere, watch_item):
    assert client_for(other_community_cadre).get(NEW, {"watch": watch_item.pk}).status_code == 404


# --- The household page's button --------------------------------------------------------------------------------


def test_the_household_page_offers_registration_to_who_may_register(client_for, cadre, grid_worker, household, roster):
    button = f"{NEW}?household={household.pk}"
    assert button in client_for(cadre).get(reverse("household_detail", args=[household.pk])).content.decode()
    assert button not in client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).content.decode()


# --- A request turned into a dispute ----------------------------------------------------------------------------


@pytest.fixture
def neighbour_request(household, grid_worker):
    return ResidentRequestFactory(
        household=household,
        category=ResidentRequest.Category.NEIGHBOUR,
        description="楼上深夜噪音，多次沟通无果",
        created_by=grid_worker,
    )


def from_request(resident_request):
    return reverse("dispute_from_request", args=[resident_request.pk])


def test_the_request_page_offers_the_action_to_the_committees_manager(
    client_for, cadre, grid_worker, neighbour_request
):
    page = reverse("request_detail", args=[neighbour_request.pk])
    assert from_request(neighbour_request) in client_for(cadre).get(page).content.decode()
    assert from_request(neighbour_request) not in client_for(grid_worker).get(page).content.decode()


def test_a_cadre_turns_a_neighbour_request_into_a_dispute_once(client_for, cadre, neighbour_request):
    client = client_for(cadre)
    first = client.post(from_request(neighbour_request), follow=True)
    second = client.post(from_request(neighbour_request), follow=True)

    dispute = Dispute.objects.get()
    assert first.redirect_chain[-1][0] == reverse("dispute_detail", args=[dispute.pk])
    assert "已转为调解案件" in first.content.decode() and "该诉求已转为调解案件" in second.content.decode()
    assert (dispute.source, dispute.resident_request, dispute.facts) == (
        "request",
        neighbour_request,
        "楼上深夜噪音，多次沟通无果",
    )
    assert dispute.parties.get().name == "魏永凯"


@pytest.mark.parametrize(
    ("persona", "status"), [("grid_worker", 403), ("leader", 403), ("mediator", 404), ("other_community_cadre", 404)]
)
def test_who_may_not_turn_a_request_into_a_dispute(persona, status, request, client_for, neighbour_request, roster):
    assert client_for(request.getfixturevalue(persona)).post(from_request(neighbour_request)).status_code == status
    assert not Dispute.objects.exists()


def test_only_neighbour_requests_become_disputes(client_for, cadre, household, grid_worker):
    repair = ResidentRequestFactory(household=household, created_by=grid_worker)
    assert client_for(cadre).post(from_request(repair)).status_code == 404
    assert not Dispute.objects.exists()
