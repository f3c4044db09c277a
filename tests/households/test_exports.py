"""Admin exports of households and residents: formulae neutralised, numbers kept, personal data as permitted."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from import_export.admin import ExportMixin

from accounts.models import User
from core.spreadsheet import SafeExportMixin
from households.exports import HouseholdExportResource, ResidentExportResource
from households.models import IdentityReveal, Resident
from tests.factories import ResidentFactory, UserFactory, make_id_number

FORMULAE = ["==1+1", "+1+1", "@SUM(1)", "-2+3"]
XLSX, CSV = 0, 1


def export(client, url_name, file_format=XLSX):
    resource = ResidentExportResource if url_name == "resident" else HouseholdExportResource
    flags = {f"{resource.__name__.lower()}_{field}": "on" for field in resource.Meta.fields}
    response = client.post(
        reverse(f"admin:households_{url_name}_export"), {"format": file_format, "resource": 0, **flags}
    )
    assert response.status_code == 200
    return response


def xlsx_sheet(response):
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def export_rows(client, url_name):
    return [[cell.value for cell in row] for row in xlsx_sheet(export(client, url_name)).rows]


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def formula_residents(household):
    for serial, text in enumerate(FORMULAE):
        ResidentFactory(
            household=household,
            name=text,
            relation=Resident.Relation.CHILD,
            id_number=make_id_number(600 + serial),
        )


def test_xlsx_export_writes_formulae_as_quoted_text_and_numbers_as_numbers(
    client_for, admin_user, household, formula_residents
):
    sheet = xlsx_sheet(export(client_for(admin_user), "resident"))

    names = {row[9].value: row for row in sheet.iter_rows(min_row=2)}
    for text in FORMULAE:
        cell = names["'" + text][9]
        assert cell.data_type == "s"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    unit, floor = names["'==1+1"][3], names["'==1+1"][4]
    assert (unit.value, floor.value) == (2, 5)
    assert unit.data_type == "n"


def test_csv_export_quotes_formulae(client_for, admin_user, household, formula_residents):
    rows = csv_rows(export(client_for(admin_user), "resident", CSV))

    names = [row[9] for row in rows[1:]]
    for text in FORMULAE:
        assert "'" + text in names
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)
    assert rows[1][3] == "2"


def test_household_export_keeps_numbers_and_quotes_text(client_for, admin_user, household):
    household.phone = "+86 13800000000"
    household.save()

    rows = export_rows(client_for(admin_user), "household")

    assert rows[1][3:5] == [2, 5]
    assert rows[1][8] == "'+86 13800000000"


def test_export_escapes_formulae(client_for, admin_user, household):
    ResidentFactory(household=household, name='=HYPERLINK("http://x")', relation=Resident.Relation.CHILD)

    rows = export_rows(client_for(admin_user), "resident")

    names = [row[9] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names
    assert not any(str(cell).startswith("=") for row in rows for cell in row if cell is not None)


def exporting_clerk(codename):
    """A street leader with admin access and the permission to export, but not to see phones or numbers."""
    staff = UserFactory(username="clerk", role=User.Role.LEADER, is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename=codename))
    return staff


def test_export_masks_identity_numbers_and_phones_without_the_permissions(client_for, household):
    staff = exporting_clerk("export_resident")
    resident = household.residents.get()

    rows = export_rows(client_for(staff), "resident")

    assert rows[1][12] == resident.masked_id_number
    assert rows[1][13] == resident.phone[:3] + "****" + resident.phone[-4:]
    assert rows[1][8] == household.phone[:3] + "****" + household.phone[-4:]
    assert not IdentityReveal.objects.exists()


def test_household_export_masks_phones_without_the_permission(client_for, household):
    staff = exporting_clerk("export_household")

    rows = export_rows(client_for(staff), "household")

    assert household.phone not in str(rows)
    assert rows[1][8].endswith(household.phone[-4:])


def test_export_with_the_reveal_permission_shows_and_records(client_for, admin_user, household):
    resident = household.residents.get()

    rows = export_rows(client_for(admin_user), "resident")

    assert rows[1][12] == resident.id_number
    assert rows[1][13] == resident.phone
    assert IdentityReveal.objects.filter(user=admin_user, resident=resident).count() == 1


def test_household_export_has_one_row_per_household(client_for, admin_user, household, other_household):
    ResidentFactory(household=household, name="魏小凯", relation=Resident.Relation.CHILD, id_number=make_id_number(900))

    rows = export_rows(client_for(admin_user), "household")

    assert rows[0][:3] == ["社区", "网格", "楼号"]
    by_room = {row[5]: row for row in rows[1:]}
    assert by_room["501"][9] == "魏永凯"
    assert by_room["501"][10] == 2  # numbers stay numbers


def test_every_admin_export_format_neutralises_formulae():
    exporting = [model_admin for model_admin in admin.site._registry.values() if isinstance(model_admin, ExportMixin)]

    assert exporting
    for model_admin in exporting:
        for file_format in model_admin.export_formats:
            assert issubclass(file_format, SafeExportMixin), (model_admin, file_format)
