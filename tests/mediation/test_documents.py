"""The printable agreement (人民调解法 art. 28–29) and case file (一案一档): their content in order, the PDF made on
the server with the Noto CJK fonts and without the network, the fallback without WeasyPrint, and confidentiality
per persona."""

import datetime
import io
import re
import socket
import sys
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from mediation import pdf
from mediation.models import Dispute, MediationSession, Party
from mediation.services import conclude_failure, conclude_success, record_follow_up, record_session, recuse

PDF = {"format": "pdf"}
FALLBACK_NOTE = "本机未安装 PDF 组件，请使用浏览器打印为 PDF"


@pytest.fixture
def particulars(dispute):
    """The parties completed as art. 29 needs them: occupations, and a unit (the property company) with its
    representative as a second respondent."""
    Party.objects.filter(dispute=dispute, side=Party.Side.APPLICANT).update(occupation="退休工人")
    Party.objects.filter(dispute=dispute, side=Party.Side.RESPONDENT).update(gender="female", occupation="个体经营")
    Party.objects.create(
        dispute=dispute,
        side=Party.Side.RESPONDENT,
        kind=Party.Kind.ORGANISATION,
        name="嘉苑物业服务有限公司",
        representative="周国栋",
        address="金色嘉苑社区物业服务中心",
    )
    return {party.name: party for party in dispute.parties.all()}


@pytest.fixture
def mediating(dispute, mediator, roster):
    """The dispute after its first session (调解中)."""
    record_session(
        dispute,
        by=mediator,
        mediators=[roster["mediator"]],
        held_on=dispute.accepted_on,
        attendees="魏永凯、单雄信、物业周国栋",
        record="双方到场陈述，物业确认防水层老化。",
        next_step="拟定协议",
    )
    return dispute


@pytest.fixture
def written(mediating, particulars, mediator):
    """The dispute concluded with a written agreement."""
    return conclude_success(
        mediating,
        by=mediator,
        agreement_kind=Dispute.AgreementKind.WRITTEN,
        responsibility="楼上住户对漏水负主要责任，物业对防水层维护负次要责任。",
        agreement="单雄信赔偿魏永凯损失一千五百元；物业负责修复防水层。",
        performance_manner="现金一次性支付，物业派员维修。",
        performance_deadline=datetime.date(2031, 6, 30),
        court_confirmation=False,
    )


def article_29_items(dispute, particulars):
    """What the agreement must say, in the order art. 29 (若干规定 art. 35) gives it."""
    applicant, respondent = particulars["魏永凯"], particulars["单雄信"]
    return [
        "人民调解协议书",
        dispute.number,
        "魏永凯",
        "男",
        f"{applicant.age}岁",
        "退休工人",
        applicant.address,
        "单雄信",
        "女",
        f"{respondent.age}岁",
        "个体经营",
        respondent.address,
        "嘉苑物业服务有限公司",
        "周国栋",
        "金色嘉苑社区物业服务中心",
        "12号楼1单元301室卫生间漏水",
        "损失金额及维修责任",
        "楼上住户对漏水负主要责任",
        "单雄信赔偿魏永凯损失一千五百元",
        "现金一次性支付，物业派员维修。",
        "2031年6月30日",
        "具有法律约束力",
        "三十日内",
        "司法确认",
        "签名（盖章或按指印）",
        f"人民调解员{dispute_mediator_name(dispute)}签名",
        "金色嘉苑社区人民调解委员会（印章）",
        f"{dispute.concluded_on.year}年{dispute.concluded_on.month}月{dispute.concluded_on.day}日",
    ]


def dispute_mediator_name(dispute):
    return dispute.assignments.get().mediator.name


def squeeze(text):
    """Text without whitespace: the PDF's lines break inside phrases, the HTML's markup between them."""
    return re.sub(r"\s+", "", text)


def assert_in_order(items, text):
    text, position = squeeze(text), 0
    for item in items:
        found = text.find(squeeze(item), position)
        assert found >= 0, f"{item!r} missing (or out of order) after position {position}"
        position = found + len(squeeze(item))


def visible_text(html):
    return re.sub(r"<[^>]+>", " ", html)


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(response):
    reader = PdfReader(io.BytesIO(response.content))
    return {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"].get_object().get("/Font", {}).values()
    }


def agreement_url(dispute):
    return reverse("dispute_agreement", args=[dispute.pk])


def case_file_url(dispute):
    return reverse("dispute_case_file", args=[dispute.pk])


# --- The agreement -------------------------------------------------------------------------------------------


def test_agreement_page_has_every_article_29_item_in_order(client_for, mediator, written, particulars):
    response = client_for(mediator).get(agreement_url(written))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert_in_order(article_29_items(written, particulars), visible_text(html))
    assert html.count("签名（盖章或按指印）") == 3
    assert "css/print-document.css" in html
    assert "<style" not in html and " style=" not in html and "<script>" not in html


def test_agreement_pdf_has_every_article_29_item_in_chinese_glyphs(client_for, mediator, written, particulars):
    response = client_for(mediator).get(agreement_url(written), PDF)

    assert response.status_code == 200
    assert_in_order(article_29_items(written, particulars), pdf_text(response))
    fonts = pdf_fonts(response)
    assert any("Noto-Serif-CJK-SC" in font for font in fonts), fonts
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote(f'人民调解协议书-{written.number}.pdf')}"
    )


def test_the_pdf_is_made_without_the_network(client_for, mediator, written, monkeypatch):
    def no_network(*args):
        raise AssertionError("WeasyPrint tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)

    response = client_for(mediator).get(agreement_url(written), PDF)

    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_weasyprint_may_open_only_the_portals_static_files():
    base = "http://testserver/static/"

    assert pdf.static_file(f"{base}css/print-document.css", base).endswith("print-document.css")
    assert pdf.static_file("https://fonts.example.com/noto.css", base) is None
    assert pdf.static_file("file:///etc/passwd", base) is None
    assert pdf.static_file(f"{base}../../etc/passwd", base) is None
    assert pdf.static_file(f"{base}%2Fetc%2Fpasswd", base) is None
    assert pdf.static_file(f"{base}css/missing.css", base) is None
    assert pdf.static_file(f"{base}css/", base) is None


def test_a_remote_resource_in_the_html_is_left_out(monkeypatch):
    def no_network(*args):
        raise AssertionError("WeasyPrint tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    html = '<html lang="zh-Hans"><body><img src="https://example.com/seal.png" alt="印章"><p>印章</p></body></html>'

    document = pdf.render_pdf(html, static_base="http://testserver/static/")

    assert "印章" in PdfReader(io.BytesIO(document)).pages[0].extract_text()


@pytest.mark.parametrize("failure", ["package missing", "system library missing"])
def test_without_weasyprint_the_pdf_link_shows_the_printable_page(failure, client_for, mediator, written, monkeypatch):
    if failure == "package missing":
        monkeypatch.setitem(sys.modules, "weasyprint", None)
    else:

        def import_module(name):
            raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")

        monkeypatch.setattr(pdf, "import_module", import_module)

    response = client_for(mediator).get(agreement_url(written), PDF)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert FALLBACK_NOTE in html
    assert "单雄信赔偿魏永凯损失一千五百元" in html


def test_the_page_without_format_pdf_has_no_fallback_note(client_for, mediator, written):
    html = client_for(mediator).get(agreement_url(written)).content.decode()
    assert FALLBACK_NOTE not in html
    assert f"{agreement_url(written)}?format=pdf" in html


def test_an_oral_agreement_prints_as_the_mediators_record(client_for, mediator, mediating):
    dispute = conclude_success(
        mediating,
        by=mediator,
        agreement_kind=Dispute.AgreementKind.ORAL,
        agreement="双方口头约定：单雄信当日修好防水。",
        performance_manner="单雄信自行维修",
    )

    page = client_for(mediator).get(agreement_url(dispute))
    document = client_for(mediator).get(agreement_url(dispute), PDF)

    html = visible_text(page.content.decode())
    assert page.status_code == 200
    assert "口头调解协议登记" in html and "人民调解协议书" not in squeeze(html).replace("无需制作调解协议书", "")
    assert_in_order(["口头调解协议登记", dispute.number, "魏永凯", "单雄信", "双方口头约定", "记录人"], html)
    assert "双方口头约定：单雄信当日修好防水。" in squeeze(pdf_text(document))
    assert quote(f"口头调解协议登记-{dispute.number}.pdf") in document["Content-Disposition"]


@pytest.mark.parametrize("outcome", ["in mediation", "failed"])
def test_a_dispute_without_an_agreement_has_no_agreement_to_print(outcome, client_for, mediator, dispute):
    if outcome == "failed":
        conclude_failure(dispute, by=mediator, escalated_to=Dispute.EscalatedTo.COURT, failure_reason="双方分歧大")

    for params in ({}, PDF):
        response = client_for(mediator).get(agreement_url(dispute), params)
        assert response.status_code == 404
        assert "没有已达成的调解协议" in response.content.decode()
        assert response["Content-Type"].startswith("text/html")


# --- The case file -------------------------------------------------------------------------------------------


@pytest.fixture
def closed(written, mediator):
    """The written agreement followed up and performed: the dispute is closed."""
    for follow_up in written.follow_ups.all():
        record_follow_up(follow_up, by=mediator, performed=True, note="赔偿款已付清，防水已修好")
    written.refresh_from_db()
    assert written.state == Dispute.State.CLOSED
    return written


def test_case_file_holds_every_part_in_order(client_for, cadre, closed, particulars):
    response = client_for(cadre).get(case_file_url(closed))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="document-part') == 7
    assert_in_order(
        [
            "人民调解案卷",
            closed.number,
            "楼上漏水致楼下受损",
            "一、纠纷登记",
            "赔偿漏水损失 2000 元",
            "12号楼1单元301室卫生间漏水",
            "二、受理",
            "调解期限",
            "三、调解记录",
            "第 1 次调解",
            "双方到场陈述，物业确认防水层老化。",
            "四、调解结果",
            "调解成功（书面协议）",
            "人民调解协议书",
            "单雄信赔偿魏永凯损失一千五百元",
            "五、回访记录",
            "赔偿款已付清，防水已修好",
            "六、办理过程",
            "登记",
            "结案",
        ],
        visible_text(html),
    )


def test_case_file_pdf_holds_the_whole_file(client_for, cadre, closed):
    response = client_for(cadre).get(case_file_url(closed), PDF)

    assert response.status_code == 200
    text = squeeze(pdf_text(response))
    for item in (closed.number, "一、纠纷登记", "双方到场陈述", "人民调解协议书", "赔偿款已付清", "六、办理过程"):
        assert squeeze(item) in text
    assert len(PdfReader(io.BytesIO(response.content)).pages) >= 7
    assert quote(f"人民调解案卷-{closed.number}.pdf") in response["Content-Disposition"]


def test_case_file_of_a_failed_dispute_says_where_it_went(client_for, mediator, dispute):
    conclude_failure(dispute, by=mediator, escalated_to=Dispute.EscalatedTo.COURT, failure_reason="双方分歧大")

    html = client_for(mediator).get(case_file_url(dispute)).content.decode()

    assert "调解不成，去向：人民法院" in html and "双方分歧大" in html
    assert reverse("dispute_agreement", args=[dispute.pk]) not in html


def test_case_file_costs_the_same_queries_for_3_and_30_sessions(client_for, cadre, dispute, roster):
    client = client_for(cadre)

    def queries_for(n):
        MediationSession.objects.filter(dispute=dispute).delete()
        for day in range(n):
            session = MediationSession.objects.create(
                dispute=dispute,
                held_on=dispute.accepted_on,
                attendees=f"双方当事人（第 {day + 1} 次）",
                record="各方陈述",
                recorded_by=cadre,
            )
            session.mediators.set([roster["mediator"], roster["teacher"]])
        client.get(case_file_url(dispute))  # the session's first request of the test does its own bookkeeping
        with CaptureQueriesContext(connection) as queries:
            response = client.get(case_file_url(dispute))
        assert response.status_code == 200
        assert response.content.decode().count('class="session"') == n
        return len(queries)

    assert queries_for(3) == queries_for(30)


# --- Who may print -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["mediator", "cadre", "admin_user"])
@pytest.mark.parametrize("document", [agreement_url, case_file_url])
def test_assigned_mediator_manager_and_superuser_may_print(persona, document, request, client_for, written):
    client = client_for(request.getfixturevalue(persona))

    page = client.get(document(written))
    download = client.get(document(written), PDF)

    assert page.status_code == 200 and download.status_code == 200
    assert download.content.startswith(b"%PDF")
    for response in (page, download):
        assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("persona", ["grid_worker", "other_mediator", "leader", "other_community_cadre"])
@pytest.mark.parametrize("document", [agreement_url, case_file_url])
def test_anyone_else_gets_404_for_page_and_pdf(persona, document, request, client_for, written):
    client = client_for(request.getfixturevalue(persona))

    for params in ({}, PDF):
        response = client.get(document(written), params)
        assert response.status_code == 404
        assert written.number not in response.content.decode()


@pytest.mark.parametrize("document", [agreement_url, case_file_url])
def test_anonymous_user_is_sent_to_login(document, client, written):
    response = client.get(document(written), PDF)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_recused_mediator_loses_the_documents(client_for, mediator, written, roster, cadre):
    recuse(written.assignments.get(), reason="与申请人系亲属", by=cadre, replacement=roster["teacher"])

    assert client_for(mediator).get(agreement_url(written)).status_code == 404
    html = client_for(roster["teacher"].user).get(agreement_url(written)).content.decode()
    assert "人民调解员刘守义签名" in squeeze(visible_text(html))


def test_rendering_a_pdf_leaves_truncated_photos_refused(client_for, cadre, dispute):
    """WeasyPrint's import switches Pillow to accept truncated images process-wide; the portal switches it back."""
    from PIL import ImageFile

    from mediation.pdf import load_weasyprint

    load_weasyprint()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
