import datetime
import io
from pathlib import Path

import openpyxl
import pytest
import tablib
from django.urls import reverse

from households.idcard import check_digit
from households.imports import ResidentImportResource
from households.models import Household, Resident, SearchKey
from tests.factories import (
    BuildingFactory,
    HouseholdFactory,
    OriginVillageFactory,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "households" / "fixtures" / "import_example.csv"
HEADERS = (
    "社区,网格,楼号,单元,楼层,房号,原村,居住状态,户联系电话,姓名,性别,出生日期,身份证号,手机号,与户主关系,重点人群"
)


@pytest.fixture
def building_one(grid):
    return BuildingFactory(grid=grid, number="1")


def csv_upload(text, name="residents.csv"):
    data = io.BytesIO(text.encode("utf-8-sig"))
    data.name = name
    return data


def xlsx_upload(rows, name="residents.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = name
    return data


def admin_import(client, url_name, upload, file_format):
    """Upload (dry run, preview) and confirm, as a person does in the admin; returns both responses."""
    url = reverse(f"admin:households_{url_name}_import")
    preview = client.post(url, {"format": file_format, "import_file": upload, "resource": 0})
    assert preview.status_code == 200
    confirm_form = preview.context.get("confirm_form")
    if confirm_form is None:
        return preview, None
    confirm = client.post(
        reverse(f"admin:households_{url_name}_process_import"),
        {**confirm_form.initial, "resource": 0},
    )
    return preview, confirm


def import_rows(text, **kwargs):
    dataset = tablib.Dataset().load(text, format="csv")
    return ResidentImportResource().import_data(dataset, **kwargs)


def test_example_file_imports_households_residents_tags_and_search_keys(client_for, admin_user, building_one):
    preview, confirm = admin_import(client_for(admin_user), "resident", EXAMPLE.open("rb"), 1)

    assert preview.context["result"].totals["new"] == 5
    assert "王秀英" in preview.content.decode()
    assert confirm.status_code == 302
    assert Household.objects.filter(building=building_one).count() == 3
    assert Resident.objects.count() == 5
    wang = Resident.objects.get(name="王秀英")
    assert wang.household.room == "202"
    assert wang.relation == Resident.Relation.HEAD
    assert sorted(g.name for g in wang.priority_groups.all()) == ["独居老人", "高龄老人(80+)"]
    child = Resident.objects.get(name="张晓雨")
    assert child.id_number is None
    assert child.household == Resident.objects.get(name="张建国").household
    assert Household.objects.get(room="401").status == Household.Status.RENTED
    assert list(Household.objects.search("wxy")) == [wang.household]
    assert list(Household.objects.search("1-1-401")) == [Household.objects.get(room="401")]


def test_xlsx_with_numeric_cells_and_dates_imports(client_for, admin_user, building_one):
    first17 = "37081119550317051"
    excel_date = datetime.datetime(1955, 3, 17)  # noqa: DTZ001 - Excel date cells are naive
    rows = [
        HEADERS.split(","),
        ["金色嘉苑社区", "东区第一网格", 1, 2, 3, 301, None, "常住", 13905370000, "曾繁荣", "男",
         excel_date, first17 + check_digit(first17), 13905370000, "户主", "空巢老人,退役军人"],
    ]  # fmt: skip
    _preview, confirm = admin_import(client_for(admin_user), "household", xlsx_upload(rows), 0)

    assert confirm.status_code == 302
    zeng = Resident.objects.get(name="曾繁荣")
    assert (zeng.household.unit, zeng.household.floor, zeng.household.room) == (2, 3, "301")
    assert zeng.birth_date == datetime.date(1955, 3, 17)
    assert zeng.phone == "13905370000"
    assert zeng.priority_groups.count() == 2
    # 曾 is read zeng or ceng: both find the household.
    assert list(Household.objects.search("zfr")) == [zeng.household]
    assert list(Household.objects.search("cfr")) == [zeng.household]


def test_file_with_one_bad_check_digit_imports_nothing_and_says_why(client_for, admin_user, building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace("370811195807010138", "370811195807010139")

    preview, confirm = admin_import(client_for(admin_user), "resident", csv_upload(text), 1)

    assert confirm is None
    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [3]  # the sheet's row: the header is row 1
    assert result.invalid_rows[0].error_dict["身份证号"] == ["身份证号校验位不正确，请核对后重新输入。"]
    assert "身份证号校验位不正确" in preview.content.decode()
    assert not Household.objects.exists()
    assert not Resident.objects.exists()


def test_a_bad_row_rolls_back_the_good_rows_even_without_a_dry_run(building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace("东区第一网格,1,1,4,401", "东区第一网格,9,1,4,401")

    result = import_rows(text, dry_run=False)

    assert result.has_validation_errors()
    assert "找不到楼宇" in result.invalid_rows[0].error_dict["楼号"][0]
    assert not Household.objects.exists()
    assert not Resident.objects.exists()


@pytest.mark.parametrize(
    ("column", "bad", "message"),
    [
        ("重点人群", "独居老人、火星人", "重点人群“火星人”不存在"),
        ("出生日期", "1944年13月45日", "日期“1944年13月45日”无法识别"),
        ("性别", "未知", "“未知”不是有效选项"),
        ("与户主关系", "邻居", "“邻居”不是有效选项"),
        ("居住状态", "闲置", "“闲置”不是有效选项"),
        ("单元", "一", "单元应为正整数"),
        ("原村", "不存在村", "原村“不存在村”不在"),
    ],
)
def test_bad_cells_are_reported_in_chinese_on_their_column(building_one, column, bad, message):
    header = HEADERS.split(",")
    rows = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    first = rows[1].split(",")
    first[header.index(column)] = bad
    text = "\n".join([rows[0], ",".join(first), *rows[2:]])

    result = import_rows(text, dry_run=True)

    errors = result.invalid_rows[0].error_dict
    assert result.invalid_rows[0].number == 2  # the first data row is the sheet's row 2
    assert message in errors[column][0]


def test_second_head_of_one_household_is_refused(building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace(",配偶,", ",户主,")

    result = import_rows(text, dry_run=False)

    assert "已有户主“张建国”" in result.invalid_rows[0].error_dict["与户主关系"][0]
    assert not Resident.objects.exists()


def test_reimporting_the_same_file_changes_nothing(client_for, admin_user, building_one):
    client = client_for(admin_user)
    admin_import(client, "resident", EXAMPLE.open("rb"), 1)
    counts = (Household.objects.count(), Resident.objects.count(), SearchKey.objects.count())
    history = (Household.history.count(), Resident.history.count())

    preview, confirm = admin_import(client, "resident", EXAMPLE.open("rb"), 1)

    assert preview.context["result"].totals["skip"] == 5
    assert confirm.status_code == 302
    assert (Household.objects.count(), Resident.objects.count(), SearchKey.objects.count()) == counts
    assert (Household.history.count(), Resident.history.count()) == history


def test_reimport_updates_changed_rows_and_moves_search_keys(building_one):
    import_rows(EXAMPLE.read_text(encoding="utf-8-sig"), dry_run=False)
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace("单国强", "单国栋")

    result = import_rows(text, dry_run=False)

    assert result.totals["update"] == 1
    assert result.totals["skip"] == 4
    assert Household.objects.search("dgd").count() == 1
    assert not Household.objects.search("dgq").exists()


def test_existing_household_is_updated_in_place(building_one):
    village = OriginVillageFactory(street=building_one.grid.community.street, name="前屯村")
    household = HouseholdFactory(building=building_one, unit=1, floor=2, room="202", phone="")
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace(",202,,常住,", ",202,前屯村,外出,")

    import_rows(text, dry_run=False)

    household.refresh_from_db()
    assert household.origin_village == village
    assert household.status == Household.Status.AWAY
    assert household.phone == "13805371001"
    assert household.residents.get().name == "王秀英"


def test_gbk_csv_from_excel_is_read(client_for, admin_user, building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig")
    upload = io.BytesIO(text.encode("gb18030"))
    upload.name = "gbk.csv"

    _preview, confirm = admin_import(client_for(admin_user), "resident", upload, 1)

    assert confirm.status_code == 302
    assert Resident.objects.filter(name="单国强").exists()


def test_missing_columns_are_named(building_one):
    result = import_rows("姓名,性别\n王秀英,女\n", dry_run=True)

    assert result.has_errors()
    assert "社区、楼号、单元、房号" in str(result.base_errors[0].error)


def test_duplicate_identity_number_in_one_file_is_refused(building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace("370811196011230228", "370811195807010138")

    result = import_rows(text, dry_run=False)

    assert result.invalid_rows[0].error_dict["身份证号"] == ["该身份证号与第 3 行重复。"]
    assert not Resident.objects.exists()


def test_identity_number_typed_as_an_excel_number_is_explained(client_for, admin_user, building_one):
    rows = [
        HEADERS.split(","),
        ["金色嘉苑社区", "东区第一网格", "1", "1", "1", "101", "", "", "", "王秀英", "女", "", 370811194403120000,
         "", "户主", ""],
        [None] * 16,
    ]  # fmt: skip
    preview, confirm = admin_import(client_for(admin_user), "resident", xlsx_upload(rows), 0)

    assert confirm is None
    errors = preview.context["result"].invalid_rows[0].error_dict
    assert "须以文本格式填写" in errors["身份证号"][0]


def test_household_change_alone_updates_the_household_not_the_resident(building_one):
    import_rows(EXAMPLE.read_text(encoding="utf-8-sig"), dry_run=False)
    history = Resident.history.count()
    text = EXAMPLE.read_text(encoding="utf-8-sig").replace(",401,,出租,", ",401,,空置,")

    result = import_rows(text, dry_run=False)

    assert result.totals["update"] == 1
    assert Household.objects.get(room="401").status == Household.Status.VACANT
    assert Resident.history.count() == history


def test_trailing_blank_rows_are_ignored(building_one):
    text = EXAMPLE.read_text(encoding="utf-8-sig") + ",,,,,,,,,,,,,,,\n"

    result = import_rows(text, dry_run=False)

    assert not result.has_validation_errors()
    assert Resident.objects.count() == 5


def test_error_page_names_the_row_excel_shows_and_leaves_empty_cells_empty(client_for, admin_user, building_one):
    rows = [
        HEADERS.split(","),
        ["金色嘉苑社区", "东区第一网格", "1", "1", "2", "202", None, "常住", None, "王秀英", "女", "1944-03-12",
         "370811194403120248", None, "户主", None],
        ["金色嘉苑社区", "东区第一网格", "1", "1", "3", "302", None, "常住", None, "张建国", "男", "1958-07-01",
         "370811195807010138", None, "户主", None],
        ["金色嘉苑社区", "东区第一网格", "1", "1", "3", "302", None, "常住", None, "李桂兰", "女", "1960-11-23",
         "370811195807010138", None, "配偶", None],
    ]  # fmt: skip

    preview, confirm = admin_import(client_for(admin_user), "resident", xlsx_upload(rows), 0)

    assert confirm is None
    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [4]
    assert result.invalid_rows[0].error_dict["身份证号"] == ["该身份证号与第 3 行重复。"]
    html = preview.content.decode()
    assert "以下行有错误，文件未导入" in html
    assert "<td>4</td>" in html
    assert "某些行验数据证失败" not in html
    assert "<td>None</td>" not in html


def test_rows_after_a_blank_row_keep_the_sheet_numbers(building_one):
    rows = EXAMPLE.read_text(encoding="utf-8-sig").splitlines()
    text = "\n".join(
        [rows[0], rows[1], ",,,,,,,,,,,,,,,", rows[2], rows[3].replace("370811196011230228", "370811195807010138")]
    )

    result = import_rows(text, dry_run=True)

    assert [row.number for row in result.invalid_rows] == [5]
    assert result.invalid_rows[0].error_dict["身份证号"] == ["该身份证号与第 4 行重复。"]
