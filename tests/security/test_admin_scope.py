"""A cadre given staff status opens the admin: only their community's rows, and identity numbers masked there.

Before `core.admin.ScopedAdminMixin` a cadre of one community opened any household, resident (with the full
identity number), party member, visit, task, request and reveal of the district in the admin.
"""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from households.models import IdentityReveal, LeadHousehold, PartyMember, Resident
from tests.factories import LeadHouseholdFactory, PartyMemberFactory, ResidentFactory, make_id_number
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import ResidentRequest, Visit, VisitTask

# (admin name "app_model", how the far household's row of that model is found)
SCOPED = [
    ("households_household", lambda household: household),
    ("households_resident", lambda household: household.residents.get()),
    ("households_partymember", lambda household: PartyMember.objects.get(resident__household=household)),
    ("households_leadhousehold", lambda household: LeadHousehold.objects.get(household=household)),
    ("households_identityreveal", lambda household: IdentityReveal.objects.get(resident__household=household)),
    ("visits_visit", lambda household: Visit.objects.get(household=household)),
    ("visits_visittask", lambda household: VisitTask.objects.get(household=household)),
    ("visits_residentrequest", lambda household: ResidentRequest.objects.get(household=household)),
]


@pytest.fixture
def own_rows(household, admin_user):
    """The same kinds of row in the cadre's own community."""
    resident = household.residents.get()
    LeadHouseholdFactory(party_member=PartyMemberFactory(resident=resident))
    VisitFactory(household=household, logged_by=admin_user)
    VisitTaskFactory(household=household)
    ResidentRequestFactory(household=household)
    IdentityReveal.objects.create(user=admin_user, resident=resident)
    return household


def change_url(name, obj):
    return reverse(f"admin:{name}_change", args=[obj.pk])


@pytest.mark.parametrize(("name", "row_of"), SCOPED)
def test_staff_cadre_cannot_open_another_communitys_rows(client_for, staff_cadre, far_household, name, row_of):
    obj = row_of(far_household)
    client = client_for(staff_cadre)

    response = client.get(change_url(name, obj))

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse(f"admin:{name}_history", args=[obj.pk])).status_code in (302, 404)


@pytest.mark.parametrize(("name", "row_of"), SCOPED)
def test_staff_cadre_changelist_lists_only_their_community(
    client_for, staff_cadre, own_rows, far_household, name, row_of
):
    page = client_for(staff_cadre).get(reverse(f"admin:{name}_changelist")).content.decode()

    assert change_url(name, row_of(own_rows)) in page
    assert change_url(name, row_of(far_household)) not in page


@pytest.mark.parametrize("name", ["households_household", "households_resident", "visits_visit"])
def test_superuser_still_lists_every_community(client_for, admin_user, own_rows, far_household, name):
    row_of = dict(SCOPED)[name]
    page = client_for(admin_user).get(reverse(f"admin:{name}_changelist")).content.decode()

    assert change_url(name, row_of(own_rows)) in page
    assert change_url(name, row_of(far_household)) in page


def test_a_past_version_of_another_communitys_resident_is_404(client_for, staff_cadre, far_household):
    resident = far_household.residents.get()
    version = resident.history.latest()

    response = client_for(staff_cadre).get(
        reverse("admin:households_resident_simple_history", args=[resident.pk, version.history_id])
    )

    assert response.status_code == 404


def test_autocomplete_offers_only_visible_households(client_for, staff_cadre, household, far_household):
    response = client_for(staff_cadre).get(
        reverse("admin:autocomplete"),
        {"app_label": "households", "model_name": "resident", "field_name": "household", "term": ""},
    )

    ids = {int(result["id"]) for result in json.loads(response.content)["results"]}
    assert household.pk in ids and far_household.pk not in ids


def test_a_form_cannot_move_a_resident_into_another_community(client_for, staff_cadre, household, far_household):
    resident = household.residents.get()

    response = client_for(staff_cadre).post(
        change_url("households_resident", resident),
        {
            "household": far_household.pk,
            "name": resident.name,
            "gender": resident.gender,
            "birth_date": resident.birth_date.isoformat(),
            "id_number": "",
            "phone": resident.phone,
            "relation": "spouse",
        },
    )

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    resident.refresh_from_db()
    assert resident.household == household


def test_export_holds_only_visible_residents(client_for, staff_cadre, household, far_household):
    staff_cadre.user_permissions.add(Permission.objects.get(codename="export_resident"))

    response = client_for(staff_cadre).post(
        reverse("admin:households_resident_export"),
        {"format": 1, "resource": 0, "residentexportresource_name": "on", "residentexportresource_room": "on"},
    )

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "魏永凯" in text and "远方居民" not in text


def test_raw_id_lookup_lists_only_visible_households(client_for, staff_cadre, household, far_household):
    page = (
        client_for(staff_cadre)
        .get(reverse("admin:households_household_changelist"), {"_to_field": "id", "_popup": "1"})
        .content.decode()
    )

    assert change_url("households_household", household) in page
    assert change_url("households_household", far_household) not in page


# --- identity numbers stay masked in the admin for anyone but a superuser ----------------------------------


def test_resident_page_and_list_never_show_a_staff_cadre_the_full_number(client_for, staff_cadre, household):
    resident = household.residents.get()
    client = client_for(staff_cadre)

    page = client.get(change_url("households_resident", resident)).content.decode()
    listing = client.get(reverse("admin:households_resident_changelist")).content.decode()
    household_page = client.get(change_url("households_household", household)).content.decode()

    for html in (page, listing, household_page):
        assert resident.id_number not in html
    assert resident.masked_id_number in page and resident.masked_id_number in listing
    assert not IdentityReveal.objects.exists()


def test_staff_cadre_corrects_an_identity_number_without_reading_it(client_for, staff_cadre, household):
    resident = household.residents.get()
    corrected = make_id_number(501)
    data = {
        "household": household.pk,
        "name": resident.name,
        "gender": resident.gender,
        "birth_date": resident.birth_date.isoformat(),
        "phone": resident.phone,
        "relation": resident.relation,
    }
    client = client_for(staff_cadre)

    kept = client.post(change_url("households_resident", resident), {**data, "id_number": ""})
    resident.refresh_from_db()
    before = resident.id_number
    changed = client.post(change_url("households_resident", resident), {**data, "id_number": corrected})
    resident.refresh_from_db()
    history = client.get(reverse("admin:households_resident_history", args=[resident.pk])).content.decode()

    assert kept.status_code == changed.status_code == 302
    assert resident.id_number == corrected
    assert corrected not in history and before not in history


def test_superuser_page_still_shows_the_full_number_and_records_it(client_for, admin_user, household):
    resident = ResidentFactory(household=household, name="配偶", relation=Resident.Relation.SPOUSE)

    page = client_for(admin_user).get(change_url("households_resident", resident)).content.decode()

    assert resident.id_number in page
    assert IdentityReveal.objects.filter(user=admin_user, resident=resident).exists()
