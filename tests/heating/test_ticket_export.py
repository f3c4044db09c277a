import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from heating.models import HeatingCompany, HeatingTicket
from heating.services import Reading, record_inspection
from tests.factories import BuildingFactory, CommunityFactory, GridFactory, HouseholdFactory, ResidentFactory
from tests.heating.tickets import make_ticket

State = HeatingTicket.State
HEADERS = [
    "社区",
    "网格",
    "楼号",
    "单元",
    "房号",
    "户主",
    "联系电话",
    "问题",
    "最低室温（℃）",
    "状态",
    "报修时间",
    "响应时限",
    "超时（小时）",
    "来源",
]


def export(client, company):
    return client.get(reverse("ticket_export"), {"company": company.pk})


def rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def tickets(heating, company, household, building, other_household):
    household.phone = "13812345678"
    household.save()
    late = make_ticket(household, heating, company, hours_left=-5)
    formula = make_ticket(other_household, heating, company, problem='=HYPERLINK("http://x","点我")')
    closed = make_ticket(HouseholdFactory(building=building), heating, company, state=State.RECHECK_PASSED)
    return late, formula, closed


def test_cadre_exports_the_companys_open_tickets_with_chinese_headers_numbers_and_escaping(
    client_for, cadre, company, household, tickets
):
    response = export(client_for(cadre), company)

    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "%E6%9C%AA%E7%BB%93" in response["Content-Disposition"]  # 未结
    header, *body = rows(response)
    assert header == HEADERS
    assert len(body) == 2
    late = body[0]
    assert late[2:7] == ["3", 2, "501", "魏永凯", "13812345678"]
    assert isinstance(late[3], int) and isinstance(late[12], int | float) and late[12] >= 5
    assert late[9] == "已报修" and late[13] == "入户测温"
    assert body[1][7].startswith("'=HYPERLINK")
    assert body[1][12] is None


def test_the_lowest_reading_of_the_linked_inspections_is_a_number(client_for, cadre, heating, company, household):
    for temperature in ("16.5", "15.5"):
        record_inspection(
            household=household, by=cadre, readings=[Reading("bedroom", Decimal(temperature))], valve="fully_open"
        )
    _header, *body = rows(export(client_for(cadre), company))
    assert [row[8] for row in body] == [15.5]


def test_leader_may_export_but_sees_phones_masked(client_for, leader, company, tickets):
    _header, *body = rows(export(client_for(leader), company))
    assert body[0][6] == "138****5678"


@pytest.mark.parametrize("persona", ["grid_worker", "mediator"])
def test_export_needs_its_permission(persona, request, client_for, company, tickets):
    assert export(client_for(request.getfixturevalue(persona)), company).status_code == 403


def test_unknown_company_is_404(client_for, cadre, tickets):
    client = client_for(cadre)
    assert client.get(reverse("ticket_export"), {"company": "abc"}).status_code == 404
    assert client.get(reverse("ticket_export")).status_code == 404


def test_another_communitys_tickets_are_not_in_the_export(client_for, cadre, heating, company, tickets):
    elsewhere = BuildingFactory(grid=GridFactory(community=CommunityFactory(name="红星社区")), number="9")
    stranger = HouseholdFactory(building=elsewhere, unit=1, room="909")
    ResidentFactory(household=stranger, name="外社区住户")
    make_ticket(stranger, heating, company, hours_left=-50)
    other_company = HeatingCompany.objects.create(name="高新热电")
    make_ticket(HouseholdFactory(building=tickets[0].household.building), heating, other_company)

    body = rows(export(client_for(cadre), company))[1:]

    assert len(body) == 2
    assert "外社区住户" not in {row[5] for row in body}
    assert "909" not in {row[4] for row in body}
