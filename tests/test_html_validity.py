"""Every role's main pages are valid HTML by the Nu HTML checker (vnu), the Django admin's own pages aside.

The pages are those of `tests.pages` over its small world, as each persona receives them, plus the sign-in and
missing pages. vnu runs once over all of them (Java starts once). The checker is the npm package `vnu-jar`,
installed by `make tools` into var/tools; without it this test fails rather than skips, so CI cannot pass
without checking.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.pages import PAGES, PUBLIC_PAGES, ROLES, build_world

TEMPLATES = Path(settings.BASE_DIR) / "templates"
VNU_JAR = Path(settings.BASE_DIR) / "var" / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture
def world(household, other_household, grid_worker, other_grid_worker, cadre, leader, mediator):
    return build_world(
        household=household,
        other_household=other_household,
        grid_worker=grid_worker,
        other_grid_worker=other_grid_worker,
        cadre=cadre,
        leader=leader,
        mediator=mediator,
    )


def collect_pages(request, world):
    """(label, html) for every page each role reaches, the first 403 and 404 page a role meets, and the public
    pages signed out and signed in."""
    pages = []
    error_pages = set()
    for role in ROLES:
        client = Client()
        client.force_login(request.getfixturevalue(role))
        for name, url_for in PAGES.items():
            response = client.get(url_for(world))
            if response.status_code == 200:
                pages.append((f"{role} · {name}", response.content.decode()))
            elif response.status_code in {403, 404} and response.status_code not in error_pages:
                error_pages.add(response.status_code)
                pages.append((f"{role} · {name} ({response.status_code})", response.content.decode()))
        response = client.get(PUBLIC_PAGES["missing page"][0])
        pages.append((f"{role} · missing page", response.content.decode()))
    for name, (url, status) in PUBLIC_PAGES.items():
        response = Client().get(url)
        assert response.status_code == status, name
        pages.append((f"signed out · {name}", response.content.decode()))
    return pages


def vnu_errors(files):
    """vnu's errors for `files`, as {file name: [message, …]}."""
    java = shutil.which("java")
    assert java, "Java (11 or later) is needed for the Nu HTML checker: apt-get install default-jre-headless"
    assert VNU_JAR.exists(), f"the Nu HTML checker is missing at {VNU_JAR}: run `make tools`"
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = {}
    for message in messages:
        if message.get("type") in {"error", "non-document-error"}:
            name = Path(message.get("url", "")).name
            where = f"line {message.get('lastLine', '?')}"
            errors.setdefault(name, []).append(f"{where}: {message['message']} — {message.get('extract', '').strip()}")
    return errors


def test_no_template_uses_htmx_attributes_html_does_not_know():
    """`hx-get` and its kin are not HTML; htmx 2 reads the same attributes with a `data-` prefix."""
    bare = re.compile(r"(?<![\w-])hx-[a-z-]+\s*=")
    offenders = [
        f"{template.relative_to(TEMPLATES)}:{number}: {line.strip()}"
        for template in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), start=1)
        if bare.search(line)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_every_roles_main_pages_are_valid_html(request, world, tmp_path):
    pages = collect_pages(request, world)
    files = {}
    for number, (label, html) in enumerate(pages):
        path = tmp_path / f"page-{number:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = label

    # A page with a known error goes along, so a checker that reads nothing cannot pass.
    canary = tmp_path / "canary.html"
    canary.write_text('<!doctype html><html lang="zh-Hans"><title>x</title><p hx-get="/">x</p></html>')

    errors = vnu_errors([canary, *sorted(tmp_path.glob("page-*.html"))])

    assert errors.pop(canary.name, None), "the Nu HTML checker did not report the canary page's error"

    report = [f"{files.get(name, name)}: {line}" for name, lines in sorted(errors.items()) for line in lines]
    assert report == [], f"{len(report)} Nu HTML checker errors:\n" + "\n".join(report)
    reached = {label for label, _ in pages}
    assert {"grid_worker · visit sheet entry", "leader · workbench", "mediator · workbench"} <= reached
    assert any(label.endswith("(403)") for label in reached)
    assert len(pages) > 50
