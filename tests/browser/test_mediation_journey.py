"""A rostered mediator, on a phone, registers a neighbour dispute between two residents found with the party
search, accepts it, records a session and a written agreement (调解成功), opens the printable agreement and
downloads it as a PDF."""

import pytest

from mediation.models import Dispute, Mediator
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick_party(page, prefix, typed, name):
    """Search the committee's residents from one party block and pick `name` among the results."""
    page.locator(f"#id_{prefix}-query").fill(typed)
    page.locator(f"#{prefix}-results").get_by_label(name).check()


def test_a_mediator_registers_mediates_and_prints_a_neighbour_dispute_on_a_phone(
    phone, community, household, other_household, mediator
):
    Mediator.objects.create(
        community=community, name=mediator.full_name, category=Mediator.Category.LEGAL_WORKER, user=mediator
    )

    sign_in(phone, "mediator")
    phone.goto(phone.base_url + "/mediation/")
    phone.get_by_role("link", name="登记纠纷").click()

    pick_party(phone, "applicant-0", "wyk", "魏永凯")
    pick_party(phone, "respondent-0", "单雄信", "单雄信")
    phone.get_by_label("纠纷类型").select_option(label="邻里")
    phone.get_by_label("案由").fill("楼上漏水致楼下受损")
    phone.get_by_label("主要事实").fill("12号楼1单元301室卫生间漏水，致3号楼2单元501室天花板受损。")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.get_by_role("button", name="登记", exact=True).click()

    phone.get_by_text("已登记 和调〔").wait_for()
    dispute = Dispute.objects.get()
    assert phone.get_by_text(f"已登记 {dispute.number}").is_visible()
    assert [party.name for party in dispute.parties.order_by("side")] == ["魏永凯", "单雄信"]

    phone.locator("#move-accepted summary").click()
    phone.locator("#move-accepted").get_by_role("button", name="受理").click()
    phone.get_by_text("已更新为“受理”。").wait_for()

    phone.get_by_role("link", name="记录调解").click()
    phone.get_by_label("参加人员").fill("魏永凯、单雄信")
    phone.get_by_label("调解记录").fill("双方陈述了漏水经过，同意由单雄信修好防水并赔偿。")
    phone.get_by_role("button", name="保存调解记录").click()
    phone.get_by_text("调解记录已保存。").wait_for()

    phone.locator("#move-succeeded summary").click()
    outcome = phone.locator("#move-succeeded")
    outcome.get_by_label("书面协议").check()
    outcome.get_by_label("协议内容").fill("单雄信于十日内修好卫生间防水，并赔偿魏永凯损失 1500 元。")
    outcome.get_by_label("履行方式").fill("现金一次付清")
    outcome.get_by_role("button", name="调解成功").click()
    phone.get_by_text("已更新为“调解成功”。").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    dispute.refresh_from_db()
    assert dispute.state == Dispute.State.SUCCEEDED and dispute.agreement_kind == Dispute.AgreementKind.WRITTEN

    phone.get_by_role("link", name="调解协议书").click()
    phone.get_by_role("heading", name="人民调解协议书").wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.get_by_text("单雄信于十日内修好卫生间防水").is_visible()

    with phone.expect_download() as download_info:
        phone.get_by_role("link", name="下载 PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"人民调解协议书-{dispute.number}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
