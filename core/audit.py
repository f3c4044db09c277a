"""The audit log: who signed in or failed to, who was refused what, who saw a full identity number, who exported
what, and when. One JSON object per line on the `portal.audit` logger, which `settings.LOGGING` writes to
`AUDIT_LOG_DIR/audit.jsonl`, a new file each midnight, kept 190 days (at least six months).

    audit("reveal", user=request.user, request=request, resident=7)
    log_export(request.user, "households.resident", 120)   # every export calls this once

Sign-ins, sign-outs, failures and lock-outs come from Django's and django-axes' signals (connected in
`core.apps`), denials from `DenialLogMiddleware`, second-step codes from `accounts.second_factor`, reveals from
`households.services`. A line names the user, the address and ids or counts; never a password, a code, a
search or an identity number.
"""

import datetime
import json
import logging
import os
import time
from logging.handlers import TimedRotatingFileHandler

logger = logging.getLogger("portal.audit")

MAX_USERNAME = 150


def audit(event, *, user=None, request=None, **fields):
    """Write one audit line: `event`, the user (username and id), the client address, and `fields`."""
    line = {}
    if user is not None and user.is_authenticated:
        line["user"] = user.get_username()
        line["user_id"] = user.pk
    if request is not None:
        line["ip"] = client_address(request)
    line.update(fields)
    logger.info(event, extra={"audit": line})


def log_export(user, what, count, *, request=None, **fields):
    """Record that `user` exported `count` rows of `what` (an app label and model, or the export's name)."""
    audit("export", user=user, request=request, what=what, count=count, **fields)


def client_address(request):
    """The client's address as django-axes reads it (the same address its lock-outs count)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request)


# Signals ----------------------------------------------------------------------------------------------------


def connect_signals():
    """Log sign-ins, sign-outs, failed sign-ins and django-axes lock-outs (called from `CoreConfig.ready`)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_logged_in, dispatch_uid="portal.audit.login")
    user_logged_out.connect(_logged_out, dispatch_uid="portal.audit.logout")
    user_login_failed.connect(_login_failed, dispatch_uid="portal.audit.login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="portal.audit.lockout")


def _logged_in(sender, request, user, **kwargs):
    audit("login", user=user, request=request)


def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit("logout", user=user, request=request)


def _login_failed(sender, credentials, request=None, **kwargs):
    audit("login_failed", request=request, username=str(credentials.get("username", ""))[:MAX_USERNAME])


def _locked_out(sender, request, username, ip_address, **kwargs):
    audit("lockout", request=request, username=str(username or "")[:MAX_USERNAME])


# Denials ----------------------------------------------------------------------------------------------------


class DenialLogMiddleware:
    """Log every 403 and 404 answered to a signed-in user: the method and path (never the query string)."""

    STATUSES = (403, 404)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in self.STATUSES:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                audit(
                    "denied",
                    user=user,
                    request=request,
                    status=response.status_code,
                    method=request.method,
                    path=request.path[:300],
                )
        return response


# The file ---------------------------------------------------------------------------------------------------


class JsonLinesFormatter(logging.Formatter):
    """{"at": "2026-12-01T09:30:00+08:00", "event": "login", "user": "grid01", ...} on one line."""

    def format(self, record):
        at = datetime.datetime.fromtimestamp(record.created).astimezone()
        line = {"at": at.isoformat(timespec="seconds"), "event": record.getMessage()}
        line.update(getattr(record, "audit", {}))
        return json.dumps(line, ensure_ascii=False, default=str)


class AuditFileHandler(TimedRotatingFileHandler):
    """A file per day, as `TimedRotatingFileHandler` keeps it, for several processes writing one file.

    Every gunicorn worker and Celery process appends to the same file. The first to pass midnight renames it to
    `audit.jsonl.<date>`; the others find that file there and only reopen the new one, where the standard
    handler would delete the day's file and rename the new one over it.
    """

    def doRollover(self):
        day = time.localtime(self.rolloverAt - self.interval)
        dated = self.rotation_filename(f"{self.baseFilename}.{time.strftime(self.suffix, day)}")
        if not os.path.exists(dated):
            super().doRollover()
            return
        if self.stream:
            self.stream.close()
            self.stream = None
        if not self.delay:
            self.stream = self._open()
        self.rolloverAt = self.computeRollover(int(time.time()))
