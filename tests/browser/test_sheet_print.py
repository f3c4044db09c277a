"""The weekly building sheet as Chromium prints it to A4, and the back-entry page on a phone."""

import datetime
import io
import os
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.factories import BuildingFactory, HouseholdFactory, ResidentFactory
from tests.visits.factories import ResidentRequestFactory, VisitFactory, VisitTaskFactory
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

A4_POINTS = (595, 842)
NAMES = ["欧阳明华", "孔繁森", "王芳", "司马建国", "曾国强", "季金生", "单雄信", "李秀英"]


def sheet_building(grid, households=12):
    """A building with a two-digit number, long room codes and four-character names: the widest cells."""
    building = BuildingFactory(grid=grid, number="12")
    today = timezone.localdate()
    created = []
    for n in range(households):
        floor = n % 18 + 1
        household = HouseholdFactory(
            building=building,
            unit=n % 3 + 1,
            floor=floor,
            room=f"{floor}0{n % 2 + 1}",
            created_at=timezone.now() - datetime.timedelta(days=400),
        )
        ResidentFactory(household=household, name=NAMES[n % len(NAMES)])
        VisitTaskFactory(household=household, due_on=today + datetime.timedelta(days=n % 7))
        if n % 3 == 0:
            VisitFactory(household=household, visited_at=timezone.now() - datetime.timedelta(days=190))
        if n % 4 == 0:
            ResidentRequestFactory(household=household, description="楼道声控灯坏了三个月，老人夜里上下楼看不清台阶")
        created.append(household)
    return building, created


def pdf_pages(pdf_bytes):
    """The PDF's reader and each page's text.

    Chromium embeds Noto CJK as Type 3 fonts whose ToUnicode maps a glyph shared by a radical and an
    ideograph to the radical (见 reads back as ⻅, 走 as ⾛) and puts the real character in a marked-content
    `/ActualText` span around that glyph. pypdf does not read `/ActualText`, so its text is corrected here with
    the substitutions the PDF itself declares.
    """
    reader = PdfReader(io.BytesIO(pdf_bytes))
    texts = []
    for page in reader.pages:
        substitutions = actual_text_substitutions(page)
        texts.append(page.extract_text().translate(substitutions))
    return reader, texts


def to_unicode(font):
    """A simple font's ToUnicode CMap as {code: text} (the bfchar and bfrange entries Chromium writes)."""
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    hexes = r"<([0-9A-Fa-f]+)>"
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for code, text in re.findall(rf"{hexes}\s*{hexes}", block):
            mapping[int(code, 16)] = bytes.fromhex(text).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(rf"{hexes}\s*{hexes}\s*{hexes}", block):
            for code in range(int(low, 16), int(high, 16) + 1):
                mapping[code] = chr(int(start, 16) + code - int(low, 16))
    return mapping


def actual_text_substitutions(page):
    """{ord(character pypdf reads): actual character} for the one-glyph `/ActualText` spans of a page."""
    fonts = page["/Resources"]["/Font"]
    cmaps, font, actual, substitutions = {}, None, None, {}
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"Tf":
            font = operands[0]
        elif operator == b"BDC" and isinstance(operands[1], dict) and "/ActualText" in operands[1]:
            actual = str(operands[1]["/ActualText"])
        elif operator == b"EMC":
            actual = None
        elif operator == b"Tj" and actual is not None and font in fonts:
            if font not in cmaps:
                cmaps[font] = to_unicode(fonts[font].get_object())
            raw = operands[0].get_original_bytes() if hasattr(operands[0], "get_original_bytes") else bytes(operands[0])
            width = 2 if fonts[font].get_object()["/Subtype"] == "/Type0" else 1
            codes = (int.from_bytes(raw[i : i + width], "big") for i in range(0, len(raw), width))
            read = "".join(cmaps[font].get(code, "") for code in codes)
            if len(read) == 1 and len(actual) == 1 and read != actual:
                substitutions[ord(read)] = actual
    return substitutions


def test_weekly_sheet_prints_on_a4_with_tick_boxes_signature_and_page_numbers(phone, grid_worker, grid):
    building, households = sheet_building(grid)
    os.makedirs(ARTIFACTS, exist_ok=True)

    sign_in(phone, "grid01")
    phone.goto(f"{phone.base_url}/visits/sheet/?building={building.pk}")
    phone.get_by_role("heading", name=re.compile("本周走访表")).wait_for()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # the table scrolls inside
    phone.screenshot(path=os.path.join(ARTIFACTS, "visit_sheet_390.png"))
    phone.emulate_media(media="print")
    pdf = phone.pdf(format="A4", prefer_css_page_size=True)
    with open(os.path.join(ARTIFACTS, "visit_sheet.pdf"), "wb") as out:
        out.write(pdf)

    reader, texts = pdf_pages(pdf)
    pages = len(texts)
    assert pages == 2  # eight households to a page
    for page in reader.pages:
        width, height = (round(float(v)) for v in page.mediabox.upper_right)
        assert (width, height) == A4_POINTS  # portrait A4
    text = "\n".join(texts)
    for label in ("见面", "不在家", "拒绝"):
        assert re.search(rf"☐\s*{label}", text), label
    for number, page_text in enumerate(texts, start=1):
        # Page x / y in the bottom margin, the column headings and the signature line on every page.
        assert re.search(rf"\b{number}\s*/\s*{pages}\b", page_text), (number, page_text[-200:])
        assert "户主" in page_text and "签字" in page_text and "走访人" in page_text
    assert "1 / 2" in texts[0] and "2 / 2" in texts[1]
    # Every household is printed once, with its room code and head's name each on one line (no wrapping).
    compact = text.replace(" ", "")
    for household in households:
        assert household.room_code in compact
    for name in NAMES:
        assert name in compact
    assert text.count("情况记录") >= len(households)
    # The grid worker sees full phone numbers (masking per role is the `phone_for` filter's).
    assert households[0].phone in compact


def test_back_entry_on_a_phone_all_met_then_an_error_lands_on_the_summary(phone, grid_worker, grid):
    building, _ = sheet_building(grid, households=6)
    before = Visit.objects.count()
    os.makedirs(ARTIFACTS, exist_ok=True)

    sign_in(phone, "grid01")
    phone.goto(f"{phone.base_url}/visits/sheet/entry/?building={building.pk}")
    phone.get_by_role("heading", name="按走访表补录").wait_for()
    first = phone.locator("input[type=checkbox][name$='-visited']").first
    box = first.bounding_box()
    assert box["width"] >= 28 and box["height"] >= 28
    label_box = phone.locator(".backfill-check").first.bounding_box()
    assert label_box["height"] >= 44
    today = timezone.localdate().isoformat()
    assert phone.locator("input[type=date]").first.input_value() == today
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=os.path.join(ARTIFACTS, "visit_backfill_390.png"), full_page=True)

    phone.get_by_role("button", name="全部见面").first.click()
    checkboxes = phone.locator("input[type=checkbox][name$='-visited']")
    assert all(checkboxes.nth(i).is_checked() for i in range(checkboxes.count()))
    # One row dated tomorrow: nothing is saved and the page lands on the error summary.
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    wrong = phone.locator(".backfill-row").nth(4)
    wrong_room = wrong.locator("legend").first.inner_text().split()[0]
    wrong.locator("input[type=date]").fill(tomorrow)
    phone.get_by_role("button", name="全部保存").click()
    summary = phone.locator("#errors")
    summary.wait_for()
    assert phone.url.endswith("#errors")
    assert "有 1 户填写有误" in summary.inner_text()
    assert wrong_room in summary.inner_text() and "不能晚于今天" in summary.inner_text()
    assert phone.evaluate("document.activeElement.id") == "errors"
    assert phone.evaluate("window.scrollY") < 400
    phone.screenshot(path=os.path.join(ARTIFACTS, "visit_backfill_error_390.png"))
    assert Visit.objects.count() == before

    summary.get_by_role("link", name=re.compile(wrong_room)).click()
    assert phone.url.endswith("#sheet-4")
    phone.locator("#sheet-4 input[type=date]").fill(today)
    phone.get_by_role("button", name="全部保存").click()
    phone.get_by_text("已录入 6 条走访记录。").wait_for()
    assert Visit.objects.count() == before + 6
