import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from households.encryption import id_number_hash
from households.models import Household, IdentityReveal, PriorityGroup, Resident
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    LeadHouseholdFactory,
    OriginVillageFactory,
    PartyMemberFactory,
    ResidentFactory,
    UserFactory,
    make_id_number,
)

CHANGELISTS = ["household", "resident", "partymember", "leadhousehold", "originvillage", "prioritygroup"]


def populate(grid, count):
    """`count` households in one building, each with a head in two priority groups, all linked to a lead."""
    building = BuildingFactory(grid=grid)
    village = OriginVillageFactory(street=grid.community.street)
    groups = list(PriorityGroup.objects.all()[:2])
    lead = LeadHouseholdFactory(
        party_member=PartyMemberFactory(
            resident=ResidentFactory(household=HouseholdFactory(building=building, origin_village=village))
        )
    )
    for _ in range(count):
        household = HouseholdFactory(building=building, origin_village=village, lead_household=lead)
        ResidentFactory(household=household).priority_groups.set(groups)
        PartyMemberFactory(resident=ResidentFactory(household=household, relation=Resident.Relation.SPOUSE))
    IdentityReveal.objects.bulk_create(
        [IdentityReveal(user=User.objects.first(), resident=r) for r in Resident.objects.all()[:count]]
    )


def changelist_queries(client, name):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:households_{name}_changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", [*CHANGELISTS, "identityreveal"])
def test_changelist_queries_do_not_grow_with_rows(client_for, admin_user, grid, name):
    client = client_for(admin_user)
    populate(grid, 3)
    small = changelist_queries(client, name)
    populate(grid, 27)

    assert changelist_queries(client, name) == small


def test_household_changelist_shows_room_head_grid_and_lead(client_for, admin_user, household):
    lead = LeadHouseholdFactory(
        party_member=PartyMemberFactory(
            resident=ResidentFactory(household=HouseholdFactory(building=household.building), name="党员甲")
        )
    )
    household.lead_household = lead
    household.save()

    page = client_for(admin_user).get(reverse("admin:households_household_changelist")).content.decode()

    assert "3-2-501" in page
    assert "魏永凯" in page
    assert "东区第一网格" in page
    assert "党员甲" in page


def test_household_filter_by_lead_household_link(client_for, admin_user, household, other_household):
    lead = LeadHouseholdFactory(party_member=PartyMemberFactory(resident=ResidentFactory(
        household=HouseholdFactory(building=household.building), name="党员甲", id_number=make_id_number(77)
    )))  # fmt: skip
    household.lead_household = lead
    household.save()
    url = reverse("admin:households_household_changelist")
    client = client_for(admin_user)

    linked = client.get(url, {"linked": "yes"}).context["cl"].result_list
    unlinked = client.get(url, {"linked": "no"}).context["cl"].result_list

    assert list(linked) == [household]
    assert household not in unlinked
    assert other_household in unlinked


def test_household_grid_filter_lists_the_grids_of_the_chosen_community(
    client_for, admin_user, household, other_household, grid, other_grid, community
):
    from tests.factories import CommunityFactory, GridFactory

    GridFactory(community=CommunityFactory(street=community.street, name="西城社区"), name="西城第一网格")
    url = reverse("admin:households_household_changelist")
    client = client_for(admin_user)

    text = client.get(url).text
    assert "西城第一网格" not in text  # no community chosen: no grid list
    text = client.get(url, {"building__grid__community__id__exact": community.pk}).text
    assert grid.name in text
    assert other_grid.name in text
    assert "西城第一网格" not in text

    by_grid = client.get(url, {"grid": grid.pk})  # a link that filters by grid alone
    assert by_grid.status_code == 200, by_grid.get("Location")
    assert list(by_grid.context["cl"].result_list) == [household]
    assert client.get(url, {"grid": "²"}).status_code == 200


def test_household_admin_search_uses_pinyin_and_room_code(client_for, admin_user, household, other_household):
    url = reverse("admin:households_household_changelist")
    client = client_for(admin_user)

    assert list(client.get(url, {"q": "wyk"}).context["cl"].result_list) == [household]
    assert list(client.get(url, {"q": "12-1-301"}).context["cl"].result_list) == [other_household]


def test_resident_search_finds_exact_id_number_only(client_for, admin_user, household):
    resident = household.residents.get()
    url = reverse("admin:households_resident_changelist")
    client = client_for(admin_user)

    exact = client.get(url, {"q": resident.id_number.lower()}).context["cl"].result_list
    partial = client.get(url, {"q": resident.id_number[:14]}).context["cl"].result_list
    by_name = client.get(url, {"q": "永凯"}).context["cl"].result_list

    assert list(exact) == [resident]
    assert list(partial) == []
    assert list(by_name) == [resident]


def test_exact_id_search_is_an_equality_on_the_keyed_hash_not_a_like(client_for, admin_user, household):
    resident = household.residents.get()

    with CaptureQueriesContext(connection) as queries:
        client_for(admin_user).get(reverse("admin:households_resident_changelist"), {"q": resident.id_number})

    searches = [q["sql"] for q in queries if id_number_hash(resident.id_number) in q["sql"]]
    assert searches
    assert not any("LIKE" in sql.upper() for sql in searches)
    assert not any(resident.id_number in q["sql"] for q in queries)


def test_resident_list_masks_identity_numbers(client_for, admin_user, household):
    resident = household.residents.get()

    page = client_for(admin_user).get(reverse("admin:households_resident_changelist")).content.decode()

    assert resident.masked_id_number in page
    assert resident.id_number not in page


def test_resident_change_form_shows_full_number_and_records_the_reveal(client_for, admin_user, household):
    resident = household.residents.get()

    page = client_for(admin_user).get(reverse("admin:households_resident_change", args=[resident.pk]))

    assert resident.id_number in page.content.decode()
    assert IdentityReveal.objects.filter(user=admin_user, resident=resident).count() == 1


def test_staff_without_reveal_permission_sees_a_masked_number(client_for, household):
    leader = UserFactory(username="leader2", role=User.Role.LEADER, is_staff=True)
    resident = household.residents.get()

    page = client_for(leader).get(reverse("admin:households_resident_change", args=[resident.pk])).content.decode()

    assert resident.masked_id_number in page
    assert resident.id_number not in page
    assert not IdentityReveal.objects.exists()


def inline_post(household, **resident_fields):
    resident = household.residents.get()
    data = {
        "building": household.building_id,
        "unit": household.unit,
        "floor": household.floor,
        "room": household.room,
        "status": household.status,
        "phone": household.phone,
        "residents-TOTAL_FORMS": 2 if resident_fields else 1,
        "residents-INITIAL_FORMS": 1,
        "residents-MIN_NUM_FORMS": 0,
        "residents-MAX_NUM_FORMS": 1000,
        "residents-0-id": resident.pk,
        "residents-0-household": household.pk,
        "residents-0-name": resident.name,
        "residents-0-gender": resident.gender,
        "residents-0-birth_date": resident.birth_date.isoformat(),
        "residents-0-id_number": "",
        "residents-0-phone": resident.phone,
        "residents-0-relation": resident.relation,
        "residents-1-household": household.pk,
    }
    data.update({f"residents-1-{key}": value for key, value in resident_fields.items()})
    return data


def test_household_save_with_new_inline_resident_updates_search(client_for, admin_user, household):
    data = inline_post(household, name="曾小红", gender="female", relation="spouse", id_number=make_id_number(55))

    response = client_for(admin_user).post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 302
    assert list(Household.objects.search("zxh")) == [household]
    assert list(Household.objects.search("cxh")) == [household]
    assert Resident.objects.get(name="曾小红").id_number == make_id_number(55)
    assert Resident.history.filter(name="曾小红").count() == 1


def test_inline_keeps_the_identity_number_left_blank(client_for, admin_user, household):
    resident = household.residents.get()
    before = resident.id_number
    data = inline_post(household)

    response = client_for(admin_user).post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.id_number == before


def test_inline_refuses_a_bad_check_digit(client_for, admin_user, household):
    bad = make_id_number(55)[:-1] + ("0" if make_id_number(55)[-1] != "0" else "1")
    data = inline_post(household, name="曾小红", gender="female", relation="spouse", id_number=bad)

    response = client_for(admin_user).post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 200
    assert "身份证号校验位不正确" in response.content.decode()
    assert household.residents.count() == 1


def test_resident_rename_in_admin_updates_search(client_for, admin_user, household):
    resident = household.residents.get()
    url = reverse("admin:households_resident_change", args=[resident.pk])
    data = {
        "household": household.pk,
        "name": "单田芳",
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "id_number": resident.id_number,
        "phone": resident.phone,
        "relation": resident.relation,
    }

    response = client_for(admin_user).post(url, data)

    assert response.status_code == 302
    assert list(Household.objects.search("stf")) == [household]
    assert list(Household.objects.search("dtf")) == [household]
    assert not Household.objects.search("wyk").exists()


def test_resident_delete_in_admin_updates_search(client_for, admin_user, household):
    resident = household.residents.get()

    client_for(admin_user).post(reverse("admin:households_resident_delete", args=[resident.pk]), {"post": "yes"})

    assert not Household.objects.search("wyk").exists()


def test_lead_household_changelist_counts_linked_households(client_for, admin_user, building):
    lead = LeadHouseholdFactory(party_member=PartyMemberFactory(resident=ResidentFactory(
        household=HouseholdFactory(building=building)
    )))  # fmt: skip
    for _ in range(4):
        HouseholdFactory(building=building, lead_household=lead)

    response = client_for(admin_user).get(reverse("admin:households_leadhousehold_changelist"))

    assert response.context["cl"].result_list[0].linked_count == 4


def test_identity_reveals_are_read_only(client_for, admin_user, household):
    reveal = IdentityReveal.objects.create(user=admin_user, resident=household.residents.get())
    client = client_for(admin_user)

    assert client.get(reverse("admin:households_identityreveal_changelist")).status_code == 200
    assert client.get(reverse("admin:households_identityreveal_add")).status_code == 403
    assert (
        client.post(reverse("admin:households_identityreveal_delete", args=[reveal.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert IdentityReveal.objects.count() == 1


@pytest.mark.parametrize("name", CHANGELISTS)
def test_grid_worker_cannot_reach_the_admin(client_for, grid_worker, household, name):
    response = client_for(grid_worker).get(reverse(f"admin:households_{name}_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_grid_worker_cannot_import(client_for, grid_worker):
    response = client_for(grid_worker).get(reverse("admin:households_resident_import"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_import_page_explains_the_format_and_offers_the_template(client_for, admin_user):
    client = client_for(admin_user)

    page = client.get(reverse("admin:households_household_import")).content.decode()
    template = client.get(reverse("admin:households_household_import_template"))

    assert "身份证号" in page
    assert "整个文件都不会导入" in page
    assert reverse("admin:households_household_import_template") in page
    assert template.status_code == 200
    assert b"".join(template.streaming_content).decode("utf-8-sig").startswith("社区,网格,楼号,单元")


def test_template_download_needs_import_permission(client_for, household):
    leader = UserFactory(username="leader3", role=User.Role.LEADER, is_staff=True)

    response = client_for(leader).get(reverse("admin:households_resident_import_template"))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["household", "resident"])
def test_change_and_add_forms_render(client_for, admin_user, household, name):
    obj = household if name == "household" else household.residents.get()
    client = client_for(admin_user)

    assert client.get(reverse(f"admin:households_{name}_change", args=[obj.pk])).status_code == 200
    assert client.get(reverse(f"admin:households_{name}_add")).status_code == 200
    assert client.get(reverse(f"admin:households_{name}_history", args=[obj.pk])).status_code == 200


def test_household_list_masks_phones_without_the_permission(client_for, household):
    clerk = UserFactory(username="clerk2", role=User.Role.LEADER, is_staff=True)

    page = client_for(clerk).get(reverse("admin:households_household_changelist")).content.decode()

    assert household.phone not in page
    assert household.phone[-4:] in page


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("resident", "household"), ("household", "lead_household"), ("leadhousehold", "party_member")],
)
def test_autocomplete_queries_do_not_grow_with_results(client_for, admin_user, grid, model_name, field_name):
    client = client_for(admin_user)
    params = {"app_label": "households", "model_name": model_name, "field_name": field_name}
    url = reverse("admin:autocomplete")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, params)
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    populate(grid, 3)
    small, few = queries()
    for _ in range(3):
        populate(grid, 3)
    large, many = queries()

    assert many > few
    assert large == small


def test_admin_lists_and_offers_buildings_in_natural_order(client_for, admin_user, grid):
    for number in ["10", "2", "1"]:
        BuildingFactory(grid=grid, number=number)
    client = client_for(admin_user)
    changelist = client.get(reverse("admin:grids_building_changelist"))
    assert [b.number for b in changelist.context["cl"].result_list] == ["1", "2", "10"]
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "households", "model_name": "household", "field_name": "building", "term": ""},
    )
    assert [r["text"] for r in autocomplete.json()["results"]] == ["1号楼", "2号楼", "10号楼"]


def test_admin_resident_inline_lists_the_head_first(client_for, admin_user, household):
    ResidentFactory(household=household, name="魏小宝", relation="grandchild")
    ResidentFactory(household=household, name="魏丽", relation="spouse")
    response = client_for(admin_user).get(reverse("admin:households_household_change", args=[household.pk]))
    inline = next(f for f in response.context["inline_admin_formsets"])
    assert [form.instance.name for form in inline.formset.forms if form.instance.pk] == ["魏永凯", "魏丽", "魏小宝"]
