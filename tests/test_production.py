"""Production mode works: with DJANGO_DEBUG=0, `collectstatic` succeeds and pages are served with hashed static files.

Each step runs in a subprocess with the production variables, because DEBUG, the manifest storage and WhiteNoise
are fixed when the settings load.
"""

import base64
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

# Requests made with Django's test client inside the production process; prints what the test asserts on.
REQUESTS = """
import json, re
import django
django.setup()
from django.test import Client

client = Client()
result = {}
login = client.get("/accounts/login/")
page = login.content.decode()
result["login"] = login.status_code
result["assets"] = {
    url: client.get(url).status_code for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
}
missing = client.get("/no-such-page/")
result["not_found"] = [missing.status_code, "页面不存在" in missing.content.decode()]
result["csp"] = login.get("Content-Security-Policy", "")
print(json.dumps(result))
"""


def _production_env(tmp_path, static_root):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jinjiajiayuan.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "ID_NUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DJANGO_ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DJANGO_HTTPS": "0",
        "DJANGO_STATIC_ROOT": str(static_root),
        # An empty database: nothing here may need a table.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def _run(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT, then the requests, both with debug off."""
    tmp_path = tmp_path_factory.mktemp("production")
    env = _production_env(tmp_path, tmp_path / "static")
    collect = _run(["manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    served = _run(["-c", REQUESTS], env) if collect.returncode == 0 else None
    return collect, served


@pytest.fixture(scope="module")
def served(production):
    """What the requests with debug off returned."""
    collect, served = production
    assert collect.returncode == 0, "collectstatic failed"
    assert served.returncode == 0, served.stderr
    return json.loads(served.stdout.strip().splitlines()[-1])


def test_collectstatic_succeeds_with_debug_off(production):
    collect, _ = production

    assert collect.returncode == 0, collect.stderr


def test_login_page_links_hashed_static_files_that_are_served(served):
    assert served["login"] == 200
    assets = served["assets"]
    assert any(url.endswith(".css") for url in assets) and any(url.endswith(".js") for url in assets)
    for url, status in assets.items():
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|svg|png)$", url), f"{url} is not a hashed name"
        assert status == 200, url


def test_error_page_is_served_with_debug_off(served):
    assert served["not_found"] == [404, True]
    assert "script-src 'self'" in served["csp"]


def test_no_vendored_file_points_at_a_missing_source_map():
    """The manifest storage fails collectstatic on a sourceMappingURL whose file is not committed."""
    static = settings.BASE_DIR / "static"
    comment = re.compile(r"sourceMappingURL=([^\s*]+)")
    missing = []
    for asset in sorted(static.rglob("*")):
        if asset.suffix not in {".js", ".css"}:
            continue
        for name in comment.findall(asset.read_text(encoding="utf-8", errors="replace")):
            if not (asset.parent / name).exists():
                missing.append(f"{asset.relative_to(static)} → {name}")
    assert missing == []
