"""The Content-Security-Policy header, and the portal's own templates staying free of inline script and style.

tests/browser/test_csp.py checks what a browser actually blocks.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

from core.csp import IMPORT_EXPORT_EXPORT_FORM

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = BASE_DIR / "templates"
NOT_FIRST_PARTY = {".venv", "tests", "var", "staticfiles", "static", "bench", "locale"}
# What a policy without 'unsafe-inline' blocks: <style> elements, style="…" attributes, on…= handlers,
# javascript: URLs and <script> elements without src (json_script's type="application/json" is data, allowed).
INLINE = re.compile(
    r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:|<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>",
    re.IGNORECASE,
)


def _directives(header):
    return {name: rest.split() for name, _, rest in (part.strip().partition(" ") for part in header.split(";"))}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/", "/admin/"])
def test_every_page_carries_a_policy_without_unsafe_inline(client, admin_user, url):
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert directives[name] == ["'self'"], name  # neither 'unsafe-inline' nor anything else
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_export_form_page_allows_only_its_own_hashed_snippets(client, admin_user):
    client.force_login(admin_user)

    response = client.get("/admin/households/resident/export/")

    assert response.status_code == 200
    directives = _directives(response["Content-Security-Policy"])
    assert directives["script-src"] == ["'self'", *IMPORT_EXPORT_EXPORT_FORM["script-src"]]
    assert directives["style-src"] == ["'self'", *IMPORT_EXPORT_EXPORT_FORM["style-src"]]
    text = response.content.decode()
    assert 'onchange="onSelectToggleChange(event)"' in text
    assert 'style="padding: 0;"' in text and 'style="font-weight: bold;"' in text


def test_no_template_has_inline_script_or_style():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1):
            if INLINE.search(line):
                offenders.append(f"{template.relative_to(TEMPLATES)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_python_module_builds_inline_style_or_script():
    """HTML built in Python (admin columns, format_html) follows the same rule as the templates."""
    markup = re.compile(r"<[a-z][^>]*\s(?:style|on[a-z]+)\s*=|<style\b|<script>", re.IGNORECASE)
    offenders = []
    apps = [d for d in BASE_DIR.iterdir() if d.is_dir() and d.name not in NOT_FIRST_PARTY and d.name[0] != "."]
    for module in sorted(module for app in apps for module in app.rglob("*.py")):
        for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), start=1):
            if markup.search(line):
                offenders.append(f"{module.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<style>",
        '<p style="color: red">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
        "<script>",
        '<script nonce="x">',
    ],
)
def test_the_scan_catches_inline_code(snippet):
    assert INLINE.search(snippet)


@pytest.mark.parametrize(
    "snippet",
    ['<script src="/static/js/portal.js"></script>', '<script id="d" type="application/json">', "<meta name=x>"],
)
def test_the_scan_allows_scripts_from_files_and_json_data(snippet):
    assert not INLINE.search(snippet)
