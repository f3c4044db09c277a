"""The production smoke test: the portal as deploy/ installs it, driven through nginx over HTTPS.

Debug off, `collectstatic`, the nginx site of deploy/nginx in front of gunicorn on loopback, a Celery worker per
queue and one beat — each started from its systemd unit's ExecStart line with the environment file made from
deploy/.env.example (PID 1 here is not systemd). Every demo role signs in through nginx and opens its pages and
their static files, a grid worker logs a visit, and beat and the worker deliver a daily digest it can read.
"""

import json
import re
import secrets
import ssl
import uuid
from dataclasses import dataclass

import pytest
from django_otp.oath import totp

from .conftest import BASE_DIR, free_port, manage, production_env_file, run, tool
from .units import DEPLOY, service_command
from .web import Browser, log_a_visit, nav_links, static_assets, wait_until

pytestmark = [pytest.mark.deploy, pytest.mark.usefixtures("system_tools")]

USERS = ("admin", "grid01", "grid02", "cadre", "mediator", "leader")
UNITS = (
    "jinjiajiayuan-web.service",
    "jinjiajiayuan-worker.service",
    "jinjiajiayuan-worker-reports.service",
    "jinjiajiayuan-beat.service",
)
# The superuser's authenticator (debug off, the admin asks superusers for a code).
ADMIN_TOTP_KEY = secrets.token_hex(20)
# Beat sends the daily digest every two seconds instead of at 07:30, so the test sees it run.
SMOKE_SETUP = f"""
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import User

every, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
PeriodicTask.objects.update_or_create(
    name="冒烟测试：每日提醒", defaults={{"task": "visits.tasks.daily_digest", "interval": every, "enabled": True}}
)
TOTPDevice.objects.create(user=User.objects.get(username="admin"), name="冒烟测试", key="{ADMIN_TOTP_KEY}")
"""
DIGEST_TITLE = "今日提醒"

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/nginx-body;
    proxy_temp_path {dir}/nginx-proxy;
    fastcgi_temp_path {dir}/nginx-fastcgi;
    uwsgi_temp_path {dir}/nginx-uwsgi;
    scgi_temp_path {dir}/nginx-scgi;
    include {site};
}}
"""


@dataclass
class Stack:
    https_url: str
    http_url: str
    ssl_context: ssl.SSLContext
    web: object
    env_file: object

    def browser(self):
        return Browser(self.https_url, ssl_context=self.ssl_context)


def tls_certificate(directory):
    """A self-signed certificate for 127.0.0.1 that the test's browser trusts."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    request = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
    request += ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
    run([tool("openssl"), *request, "-addext", "subjectAltName=IP:127.0.0.1"])
    return cert, key


def nginx_site(directory, *, web_port, https_port, http_port, cert, key, static_root):
    """deploy/nginx/jinjiajiayuan.conf with the test's ports, certificate and folders; every change must apply."""
    text = (DEPLOY / "nginx" / "jinjiajiayuan.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{web_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:443 ssl;": "",
        "listen [::]:80;": "",
        "server_name portal.example.cn;": "server_name 127.0.0.1;",
        "/etc/ssl/jinjiajiayuan/fullchain.pem": str(cert),
        "/etc/ssl/jinjiajiayuan/privkey.pem": str(key),
        "/srv/jinjiajiayuan/staticfiles/": f"{static_root}/",
        "/srv/jinjiajiayuan/deploy/nginx": str(DEPLOY / "nginx"),
    }
    for old, new in replacements.items():
        assert old in text, f"the nginx site no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    site = directory / "site.conf"
    site.write_text(text)
    conf = directory / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=directory, site=site))
    return conf


@pytest.fixture(scope="module")
def stack(database, postgres_server, redis_url, static_root, services, workdir):
    directory = workdir / "smoke"
    directory.mkdir(mode=0o755)
    web_port, https_port, http_port = free_port(), free_port(), free_port()
    env_file = production_env_file(
        directory / "env",
        DATABASE_URL=postgres_server.url(database),
        CELERY_BROKER_URL=redis_url,
        DJANGO_STATIC_ROOT=static_root,
        GUNICORN_BIND=f"127.0.0.1:{web_port}",
        WEB_CONCURRENCY=2,
    )
    home = directory
    manage("check", "--deploy", "--fail-level", "WARNING", env_file=env_file, home=home)
    manage("shell", "-c", SMOKE_SETUP, env_file=env_file, home=home)
    [(digests,)] = postgres_server.query(
        "SELECT count(*) FROM accounts_notification WHERE key LIKE 'digest:%%'", database=database
    )
    assert digests == 0, "the seeded street already has a digest: the job test would prove nothing"

    started = {}
    for unit in UNITS:
        argv, cwd, env = service_command(unit, root=BASE_DIR, env_file=env_file, home=home)
        started[unit] = services(unit.removesuffix(".service"), argv, cwd=cwd, env=env)
    cert, key = tls_certificate(directory)
    conf = nginx_site(
        directory,
        web_port=web_port,
        https_port=https_port,
        http_port=http_port,
        cert=cert,
        key=key,
        static_root=static_root,
    )
    run([tool("nginx"), "-t", "-q", "-p", str(directory), "-c", str(conf)])
    nginx = services("nginx", [tool("nginx"), "-p", str(directory), "-c", str(conf)])

    started["jinjiajiayuan-web.service"].wait_for_log("Booting worker")
    started["jinjiajiayuan-worker.service"].wait_for_log("ready.")
    started["jinjiajiayuan-worker-reports.service"].wait_for_log("ready.")
    started["jinjiajiayuan-beat.service"].wait_for_log("beat: Starting")
    context = ssl.create_default_context(cafile=str(cert))
    result = Stack(
        https_url=f"https://127.0.0.1:{https_port}",
        http_url=f"http://127.0.0.1:{http_port}",
        ssl_context=context,
        web=started["jinjiajiayuan-web.service"],
        env_file=env_file,
    )
    wait_until(lambda: result.browser().get("/accounts/login/").status == 200, seconds=60, what="the portal")
    assert nginx.running(), nginx.log()
    return result


@pytest.fixture(scope="module")
def admin(stack):
    """The superuser, signed in once with the password and a code from the authenticator (a code works once)."""
    browser = stack.browser()
    browser.sign_in("admin", code=lambda: f"{totp(bytes.fromhex(ADMIN_TOTP_KEY)):06d}")
    return browser


def test_plain_http_is_redirected_to_https(stack):
    response = Browser(stack.http_url).get("/households/")

    assert response.status == 301
    assert response.location.startswith("https://127.0.0.1")


def test_each_role_signs_in_through_nginx_and_opens_its_pages(stack, admin):
    assets = set()
    for username in USERS:
        browser = admin if username == "admin" else stack.browser()
        if browser is not admin:
            browser.sign_in(username)
        home = browser.get("/")
        assert home.status == 200, username
        assert "max-age=31536000" in home.headers.get("strict-transport-security", ""), "proxy headers lost"
        pages = nav_links(home.text)
        assert len(pages) >= 2, f"{username} sees no menu"
        for path in pages:
            page = browser.get(path)
            assert page.status == 200, f"{username} {path} → {page.status}\n{stack.web.log()[-3000:]}"
            assets.update(static_assets(page.text))
    browser = stack.browser()
    for asset in sorted(assets):
        response = browser.get(asset)
        assert response.status == 200, asset
        assert "immutable" in response.headers.get("cache-control", ""), asset


def test_static_files_are_served_by_nginx_not_gunicorn(stack):
    login = stack.browser().get("/accounts/login/")
    assets = static_assets(login.text)

    assert any(asset.endswith(".css") for asset in assets) and any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), f"{asset} is not a hashed name (collectstatic)"
        assert stack.browser().get(asset).status == 200, asset
    assert "/static/" not in stack.web.log()


def test_grid_worker_logs_a_visit_through_nginx(stack):
    browser = stack.browser()
    browser.sign_in("grid01")
    problem = f"生产冒烟测试 {uuid.uuid4().hex[:8]}：楼道灯不亮"

    saved = log_a_visit(browser, problem)

    assert saved.status == 302, saved.text[:2000]
    assert re.match(r"^/visits/\d+/$", saved.location), saved.location
    visit = browser.get(saved.location)
    assert visit.status == 200 and problem in visit.text


def test_beat_and_the_workers_deliver_the_daily_digest(stack, admin):
    browser = stack.browser()
    browser.sign_in("grid01")

    wait_until(lambda: DIGEST_TITLE in browser.get("/notifications/").text, seconds=60, what="the digest sent by beat")

    def health_after_a_beat():
        health = json.loads(admin.get("/healthz").text)
        return health if health["beat"]["last_run_at"] else None

    health = wait_until(health_after_a_beat, seconds=30, what="/healthz to show a beat run")
    assert health["worker"]["ok"] is True
    assert {name.split("@")[0] for name in health["worker"]["workers"]} == {"celery", "reports"}


def test_nginx_answers_with_its_busy_page_when_gunicorn_is_down(stack):
    """Last in this module: it stops the web server."""
    stack.web.stop()

    response = stack.browser().get("/accounts/login/")

    assert response.status == 503
    assert "系统繁忙" in response.text
