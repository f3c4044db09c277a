"""The portal speaks Simplified Chinese by default and English after the nav's language switch.

The catalogues in locale/ are committed compiled, so these tests need no gettext tools.
"""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

LOCALE = Path(settings.BASE_DIR) / "locale"
CHINESE_NAV = ["工作台", "居民户", "走访任务", "民情诉求", "网格覆盖", "退出"]
ENGLISH_NAV = ["Workbench", "Households", "Visit tasks", "Resident requests", "Grid coverage", "Sign out"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def read_po(path):
    """The header and the messages of a .po file, each a dict: msgid, msgid_plural, msgstr (a list), fuzzy."""
    entries, entry, key, fuzzy = [], None, None, False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(key, int):
                entry["msgstr"][key] += text
            else:
                entry[key] += text
            continue
        word, _, rest = line.partition(" ")
        text = ast.literal_eval(rest)
        if word in ("msgctxt", "msgid") and (entry is None or entry["msgstr"]):
            entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {}, "fuzzy": fuzzy}
            entries.append(entry)
            fuzzy = False
        if word.startswith("msgstr"):
            key = int(word[7:-1]) if "[" in word else 0
            entry["msgstr"][key] = text
        else:
            key, entry[word] = word, text
    header, *messages = entries
    assert header["msgid"] == ""
    return header, [{**m, "msgstr": [m["msgstr"][i] for i in sorted(m["msgstr"])]} for m in messages]


@pytest.fixture
def english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def test_login_page_is_in_chinese_by_default(client):
    html = client.get(reverse("login")).content.decode()

    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "Sign in" not in html


def test_language_switch_turns_login_page_english(english):
    html = english.get(reverse("login")).content.decode()

    assert '<html lang="en">' in html
    assert "Sign in" in html
    assert "Jinse Jiayuan Community Service Portal" in html
    assert "登录" not in html


def test_language_switch_turns_household_page_english(english, grid_worker, household):
    english.force_login(grid_worker)

    html = english.get(reverse("household_detail", args=[household.pk])).content.decode()

    for label in [*ENGLISH_NAV, "Log a home visit", "Household members", "Building 3", "Grid worker"]:
        assert label in html
    for label in [*CHINESE_NAV, "记录走访", "家庭成员", "3号楼", "网格员"]:
        assert label not in html
    assert "魏永凯" in html  # residents' data is never translated


def test_household_page_is_in_chinese_by_default(client_for, grid_worker, household):
    html = client_for(grid_worker).get(reverse("household_detail", args=[household.pk])).content.decode()

    for label in [*CHINESE_NAV, "记录走访", "3号楼"]:
        assert label in html
    for label in [*ENGLISH_NAV, "Log a home visit"]:
        assert label not in html


def test_switch_back_to_chinese_restores_chinese_labels(english, grid_worker, household):
    english.force_login(grid_worker)
    english.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})

    html = english.get(reverse("household_list")).content.decode()

    assert "居民户查询" in html
    assert "Household search" not in html


@pytest.mark.parametrize("language", ["en", "zh_Hans"])
def test_catalogue_has_no_empty_or_fuzzy_entry(language):
    header, messages = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")

    assert len(messages) > 300
    assert not header["fuzzy"]
    assert [m["msgid"] for m in messages if m["fuzzy"]] == []
    assert [m["msgid"] for m in messages if not all(m["msgstr"])] == []


def test_chinese_catalogue_shows_every_msgid_unchanged():
    _, messages = read_po(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")

    changed = [m["msgid"] for m in messages if set(m["msgstr"]) - {m["msgid"], m["msgid_plural"]}]
    assert changed == []


def test_english_catalogue_keeps_every_placeholder():
    _, messages = read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")

    wrong = []
    for m in messages:
        expected = sorted(PLACEHOLDER.findall(m["msgid_plural"] or m["msgid"]))
        if sorted(PLACEHOLDER.findall(m["msgstr"][-1])) != expected:
            wrong.append(m["msgid"])
    assert wrong == []


def test_english_catalogue_has_no_chinese_left():
    _, messages = read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")
    han = re.compile(r"[\u4e00-\u9fff]")

    # 男/女 are the literal values an import file must contain, so that message quotes them.
    assert [
        m["msgid"] for m in messages if any(han.search(s.replace("男", "").replace("女", "")) for s in m["msgstr"])
    ] == []


def test_both_catalogues_have_the_same_messages():
    _, english = read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")
    _, chinese = read_po(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")

    assert {m["msgid"] for m in english} == {m["msgid"] for m in chinese}


def test_compiled_english_catalogue_matches_the_po_file():
    """The committed .mo is rebuilt from the .po: `make messages` was run after the last edit."""
    _, messages = read_po(LOCALE / "en" / "LC_MESSAGES" / "django.po")
    trans_real._translations = {}
    catalog = trans_real.translation("en")._catalog

    stale = []
    for m in messages:
        # gettext stores a message with a context under "context\x04msgid".
        key = f"{m['msgctxt']}\x04{m['msgid']}" if m["msgctxt"] else m["msgid"]
        compiled = [catalog.get((key, i)) for i in range(len(m["msgstr"]))] if m["msgid_plural"] else [catalog.get(key)]
        if compiled != m["msgstr"]:
            stale.append(m["msgid"])
    assert stale == []


def test_model_choices_and_python_strings_follow_the_active_language(household):
    with translation.override("en"):
        assert str(household.building) == "Building 3"
        assert household.get_status_display() == "Resident"
    with translation.override("zh-hans"):
        assert str(household.building) == "3号楼"
        assert household.get_status_display() == "常住"
