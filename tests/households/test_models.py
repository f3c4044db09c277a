"""Rules of one resident, which the admin forms and the import share."""

import datetime

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.imports import ResidentImportResource
from households.models import Resident
from tests.factories import ResidentFactory, make_id_number

SECOND_HEAD = "该户已有户主“魏永凯”，一户只能有一位户主。"


def test_clean_takes_gender_and_birth_date_from_the_identity_number(household):
    man = Resident(household=household, name="魏小凯", relation="child", id_number=make_id_number(11))
    woman = Resident(household=household, name="魏小红", relation="child", id_number=make_id_number(12))

    man.full_clean()
    woman.full_clean()

    assert (man.gender, woman.gender) == (Resident.Gender.MALE, Resident.Gender.FEMALE)
    assert man.birth_date == datetime.date(1960, 5, 17)


def test_clean_keeps_a_gender_that_was_given(household):
    resident = Resident(
        household=household, name="魏小凯", relation="child", gender="female", id_number=make_id_number(11)
    )

    resident.full_clean()

    assert resident.gender == Resident.Gender.FEMALE


def test_gender_is_required_without_an_identity_number(household):
    resident = Resident(household=household, name="魏小凯", relation="child")

    with pytest.raises(ValidationError) as error:
        resident.full_clean()

    assert error.value.message_dict["gender"] == ["请填写性别（男或女）。"]


def test_second_head_is_refused_on_relation_naming_the_head(household):
    resident = Resident(household=household, name="魏小凯", relation="head", gender="male")

    with pytest.raises(ValidationError) as error:
        resident.full_clean()

    assert error.value.message_dict == {"relation": [SECOND_HEAD]}


def resident_form_data(household, **fields):
    return {"household": household.pk, "name": "魏小凯", "gender": "", "birth_date": "", "id_number": "",
            "phone": "", "relation": "child", **fields}  # fmt: skip


def test_admin_form_takes_gender_from_the_identity_number(client_for, admin_user, household):
    data = resident_form_data(household, id_number=make_id_number(13))

    response = client_for(admin_user).post(reverse("admin:households_resident_add"), data)

    assert response.status_code == 302
    assert Resident.objects.get(name="魏小凯").gender == Resident.Gender.MALE


def import_second_head(household):
    row = ["金色嘉苑社区", "东区第一网格", "3", "2", "5", "501", "", "", "", "魏小凯", "男", "", "", "", "户主", ""]
    dataset = tablib.Dataset(row, headers=["社区", "网格", "楼号", "单元", "楼层", "房号", "原村", "居住状态",
                                           "户联系电话", "姓名", "性别", "出生日期", "身份证号", "手机号",
                                           "与户主关系", "重点人群"])  # fmt: skip
    return ResidentImportResource().import_data(dataset, dry_run=True)


def test_admin_form_and_import_refuse_a_second_head_with_the_same_words(client_for, admin_user, household):
    response = client_for(admin_user).post(
        reverse("admin:households_resident_add"), resident_form_data(household, relation="head", gender="male")
    )
    result = import_second_head(household)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["relation"] == [SECOND_HEAD]
    assert result.invalid_rows[0].error_dict["与户主关系"] == [SECOND_HEAD]


def test_household_inline_refuses_a_second_head_with_the_same_words(client_for, admin_user, household):
    from tests.households.test_admin import inline_post

    data = inline_post(household, name="魏小凯", gender="male", relation="head", id_number=make_id_number(14))

    response = client_for(admin_user).post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 200
    assert SECOND_HEAD in response.content.decode()
    assert household.residents.count() == 1


def test_import_takes_gender_from_the_identity_number(household):
    ResidentFactory.reset_sequence(100)
    row = ["金色嘉苑社区", "东区第一网格", "3", "2", "5", "501", "", "", "", "魏小红", "", "", make_id_number(16), "",
           "子女", ""]  # fmt: skip
    headers = ["社区", "网格", "楼号", "单元", "楼层", "房号", "原村", "居住状态", "户联系电话", "姓名", "性别",
               "出生日期", "身份证号", "手机号", "与户主关系", "重点人群"]  # fmt: skip

    result = ResidentImportResource().import_data(tablib.Dataset(row, headers=headers), dry_run=False)

    assert not result.has_validation_errors()
    assert Resident.objects.get(name="魏小红").gender == Resident.Gender.FEMALE


def test_household_inline_refuses_two_new_heads_in_one_submission_without_an_error_page(
    client_for, admin_user, household
):
    from tests.households.test_admin import inline_post

    household.residents.update(relation="spouse")  # a household with no head yet …
    data = inline_post(household, name="魏小凯", gender="male", relation="head", id_number=make_id_number(14))
    data["residents-TOTAL_FORMS"] = 3  # … where two new members both claim to be head
    data.update(
        {
            "residents-2-household": household.pk,
            "residents-2-name": "魏小旋",
            "residents-2-gender": "female",
            "residents-2-relation": "head",
        }
    )

    response = client_for(admin_user).post(reverse("admin:households_household_change", args=[household.pk]), data)

    assert response.status_code == 200
    assert "一户只能有一位户主，请只保留一位成员为“户主”。" in response.content.decode()
    assert household.residents.count() == 1
