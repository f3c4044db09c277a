"""The portal's own middleware, listed in `settings.MIDDLEWARE`."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _


def chinese_first(get_response):
    """Serve Simplified Chinese unless the user picked another language with the switch in the menu.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language, and a staff phone set
    to English would get a half-translated portal. The language cookie set by the switch still wins.
    """

    def middleware(request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware


def reject_nul_bytes(get_response):
    """A 400 for a NUL character in the query string (`?q=%00`).

    Nobody types one, and PostgreSQL refuses it in any query, so wherever a parameter reached the database it
    was a 500. Form fields refuse it themselves (Django's `ProhibitNullCharactersValidator`).
    """

    def middleware(request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL character in the query string")
        return get_response(request)

    return middleware


def private_pages(get_response):
    """`Cache-Control: no-store, private` on every response to a signed-in user that has not set its own.

    Pages, fragments, files and photos to a signed-in user carry personal data: no browser or proxy cache may
    keep them (a shared family phone, a proxy at the street office). Static files are served before this by
    WhiteNoise; the service worker (`core.offline`) sets its own header and keeps only what it lists.
    """

    def middleware(request):
        response = get_response(request)
        if not response.has_header("Cache-Control") and request.user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response

    return middleware


SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
SEEN_EVERY = 60  # seconds: the session is written at most once a minute for the idle clock


def start_session_clocks(sender, request, user, **kwargs):
    """On sign-in (`user_logged_in`): both clocks of `session_timeouts` start now."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = int(time.time())


def session_timeouts(get_response):
    """Sign a user out after `SESSION_IDLE_TIMEOUT` seconds without a request, or `SESSION_ABSOLUTE_TIMEOUT`
    seconds after they signed in, whatever they did in between (the times are kept in the session; a session
    from before this rule starts its clocks at its next request)."""

    def middleware(request):
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            signed_in_at = session.setdefault(SIGNED_IN_AT, now)
            seen_at = session.get(SEEN_AT, now)
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT or now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                messages.info(request, _("登录已超时，请重新登录。"))
            elif now - seen_at >= SEEN_EVERY or SEEN_AT not in session:
                session[SEEN_AT] = now
        return get_response(request)

    return middleware
