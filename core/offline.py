"""Working without signal: the web app manifest, the service worker, the page shown for a page with no copy on
the phone, and what the outbox (static/js/offline/outbox.js) needs from the server.

How the pieces fit (README "离线使用 / Working without signal"):

- `/sw.js` (templates/offline/sw.js) is served from the site root so its scope covers the portal. It keeps the
  layout's static files and, per signed-in user, the pages marked `data-offline-cache` (the visit and inspection
  forms, a worker's own task list) as last loaded; its cache names carry `release_version()`, so a new release
  replaces the old caches.
- Forms marked `data-outbox="<idempotency field>"` are submitted by the page's script; without a connection they
  wait in IndexedDB and are sent later. The views of those forms are wrapped in `outbox_capable`, which tells
  the script the outcome in a form it can read (saved, refused, signed out).
- `/offline/session` tells the outbox who is signed in and gives it a fresh CSRF token before it sends.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render, resolve_url
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

SERVICE_WORKER_TEMPLATE = "offline/sw.js"
THEME_COLOR = "#b3261e"  # the favicon's red


def hashed_static():
    """Whether static URLs carry a content hash (WhiteNoise's manifest storage in production): then a cached
    static file never goes stale and the service worker serves it from its cache first."""
    return isinstance(staticfiles_storage, ManifestFilesMixin)


def release_version():
    """A short version of this release's offline files, part of the service worker's cache names.

    In production the static manifest's hash (it changes with any static file); otherwise the service worker's
    own template, so a change to it still replaces the caches (static files are then fetched network-first).
    """
    if hashed_static():
        source = staticfiles_storage.manifest_hash
    else:
        source = get_template(SERVICE_WORKER_TEMPLATE).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:12]


@never_cache
@require_safe
def service_worker(request):
    body = render_to_string(SERVICE_WORKER_TEMPLATE, {"version": release_version(), "hashed_static": hashed_static()})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@never_cache
@require_safe
def web_manifest(request):
    """The manifest that lets a phone install the portal as an app, with its Chinese name and icons."""
    manifest = {
        "id": "/",
        "name": str(settings.PORTAL_NAME),
        "short_name": _("金色嘉苑"),
        "description": _("网格走访、入户测温与民情诉求，没有信号时也能记录。"),
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": static("icons/maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
            {"src": static("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_safe
def offline_page(request):
    """What the service worker shows for a page it has no copy of. It is stored once for everybody on the
    phone, so it is rendered as for a signed-out visitor: no name in the menu, nobody's data."""
    request.user = AnonymousUser()
    return render(request, "offline/offline.html")


@never_cache
@require_safe
def outbox_session(request):
    """Who is signed in, and a fresh CSRF token: the outbox asks before it sends, and sends a user's records
    only while that same user is signed in."""
    user = request.user
    return JsonResponse({"user": user.pk if user.is_authenticated else None, "csrf": get_token(request)})


OUTBOX_MODES = {"direct", "replay"}


def outbox_capable(view):
    """Let the outbox post this view's form with fetch and read the outcome.

    A POST carrying the header `X-Outbox` gets 401 with `{"login": url}` when nobody is signed in (instead of the
    sign-in redirect), `{"saved": url}` with `X-Outbox: saved` when the view redirects after saving (a resend
    with the same idempotency key redirects too), and the view's re-rendered form with `X-Outbox: refused` when
    the form has errors. `X-Outbox: replay` (a record sent later from the outbox, from whatever page is open)
    also takes the view's messages into the JSON, so they do not turn up on an unrelated page. Without the
    header the view answers as always: the form works without JavaScript.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        mode = request.headers.get("X-Outbox")
        if request.method != "POST" or mode not in OUTBOX_MODES:
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return JsonResponse({"login": resolve_url(settings.LOGIN_URL)}, status=401)
        response = view(request, *args, **kwargs)
        if response.status_code in (301, 302, 303):
            body = {"saved": response["Location"]}
            if mode == "replay":
                body["messages"] = [str(message) for message in messages.get_messages(request)]
            saved = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
            saved["X-Outbox"] = "saved"
            return saved
        if response.status_code == 200:
            response["X-Outbox"] = "refused"
        return response

    return wrapped
