import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse

from households.idcard import check_digit, mask_id_number, mask_phone, validate_id_number
from households.imports import ResidentImportResource
from households.models import Resident
from tests.households.test_admin import inline_post


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "110101199003074477"])
def test_real_vectors_pass(number):
    validate_id_number(number)


def test_lowercase_x_is_accepted():
    validate_id_number("11010519491231002x")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("110105194912310021", "check_digit"),
        ("11010519491231002", "format"),
        ("1101051949123100AX", "format"),
        ("110105194902300028", "birth_date"),
        ("110105290001010021", "birth_date"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(number, code):
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number(number)
    assert excinfo.value.code == code


def test_check_digit_of_known_number():
    assert check_digit("11010519491231002") == "X"


def test_masks_keep_region_and_last_four():
    assert mask_id_number("37081119880506123X") == "370811********123X"
    assert mask_phone("13853712345") == "138****2345"


def test_first_generation_number_gets_its_own_message():
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number("370811440312024")

    assert excinfo.value.code == "first_generation"
    assert excinfo.value.messages == ["一代身份证号已停止使用，请填写 18 位身份证号。"]


# A lower-case x is the same number: each way in normalises before it checks uniqueness, and says so plainly.
DUPLICATE = "该身份证号已登记为另一位居民。"
NUMBER_WITH_X = "11010519491231002X"


@pytest.fixture
def resident_with_x(household):
    resident = household.residents.get()
    resident.id_number = NUMBER_WITH_X
    resident.save()
    return resident


def test_model_validation_reads_lower_case_x_as_a_duplicate(resident_with_x, household):
    twin = Resident(
        household=household, name="王秀英", relation=Resident.Relation.SPOUSE, id_number=NUMBER_WITH_X.lower()
    )

    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()

    assert excinfo.value.message_dict["id_number"] == [DUPLICATE]


def test_resident_admin_reads_lower_case_x_as_a_duplicate(client_for, admin_user, resident_with_x, household):
    response = client_for(admin_user).post(
        reverse("admin:households_resident_add"),
        {"household": household.pk, "name": "王秀英", "gender": "female", "id_number": NUMBER_WITH_X.lower(),
         "relation": "spouse"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["id_number"] == [DUPLICATE]
    assert "具有 身份证号 的 居民 已存在" not in response.content.decode()
    assert Resident.objects.count() == 1


def test_household_inline_reads_lower_case_x_as_a_duplicate(client_for, admin_user, resident_with_x, other_household):
    data = inline_post(
        other_household, name="王秀英", gender="female", relation="spouse", id_number=NUMBER_WITH_X.lower()
    )

    response = client_for(admin_user).post(
        reverse("admin:households_household_change", args=[other_household.pk]), data
    )

    assert response.status_code == 200
    assert DUPLICATE in response.content.decode()
    assert Resident.objects.count() == 2


def test_import_reads_lower_case_x_as_the_same_person(resident_with_x):
    building = resident_with_x.household.building
    text = (
        "社区,网格,楼号,单元,房号,姓名,身份证号,与户主关系,重点人群\n"
        f"{building.grid.community.name},{building.grid.name},{building.number},2,501,"
        f"{resident_with_x.name},{NUMBER_WITH_X.lower()},户主,\n"
    )

    result = ResidentImportResource().import_data(tablib.Dataset().load(text, format="csv"), dry_run=False)

    assert not result.has_errors()
    assert not result.has_validation_errors(), [row.error_dict for row in result.invalid_rows]
    assert list(Resident.objects.values_list("pk", "id_number")) == [(resident_with_x.pk, NUMBER_WITH_X)]


def test_import_explains_a_first_generation_number_typed_as_an_excel_number(resident_with_x):
    building = resident_with_x.household.building
    dataset = tablib.Dataset(
        headers=["社区", "网格", "楼号", "单元", "房号", "姓名", "性别", "身份证号", "与户主关系", "重点人群"]
    )
    dataset.append(
        [building.grid.community.name, building.grid.name, building.number, 2, 502, "李桂兰", "女", 370811440312024,
         "户主", ""]
    )  # fmt: skip

    result = ResidentImportResource().import_data(dataset, dry_run=True)

    assert result.invalid_rows[0].error_dict["身份证号"] == ["一代身份证号已停止使用，请填写 18 位身份证号。"]
