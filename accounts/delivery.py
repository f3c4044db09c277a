"""Delivering notifications and text messages by e-mail and SMS, each exactly once.

Delivery locks the row with `select_for_update(skip_locked=True)`, sends the pending channels, and marks each
sent, or failed after `MAX_ATTEMPTS`, recording the last error on the row. `accounts.tasks` runs these with
retries and backoff; `deliver_pending` is the sweep that catches up on anything lost.

E-mail uses Django's e-mail backend (`EMAIL_URL`). SMS uses the backend named by the `SMS_BACKEND` setting:
`accounts.delivery.LoggingSmsBackend` (default: writes the message to the log) or
`accounts.delivery.LocmemSmsBackend` (keeps messages in `LocmemSmsBackend.outbox`, for tests). A real gateway
is a subclass of `BaseSmsBackend` whose `send(phone, text)` raises `SmsError` on failure.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Notification, SmsMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SMS_MAX_CHARS = 300
Delivery = Notification.Delivery


class SmsError(Exception):
    """The SMS gateway refused or could not take the message; worth retrying later."""


class DeliveryError(Exception):
    """At least one channel failed and will be retried."""


# Transient failures of an external send: retried with backoff, then recorded as failed.
SEND_ERRORS = (smtplib.SMTPException, OSError, SmsError)


class BaseSmsBackend:
    def send(self, phone, text):
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    """Writes each message to the log instead of sending it: the default until a gateway is configured."""

    def send(self, phone, text):
        logger.info("SMS to %s: %s", phone, text)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps sent messages in memory (`LocmemSmsBackend.outbox`), like Django's locmem e-mail backend."""

    outbox = []

    def send(self, phone, text):
        self.outbox.append((phone, text))


def get_sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", "accounts.delivery.LoggingSmsBackend"))()


def pending_q():
    """Rows with a channel still to send."""
    return Q(email_state=Delivery.PENDING) | Q(sms_state=Delivery.PENDING)


def deliver_notification(notification_id):
    """Send the pending channels of one notification, once; returns the row's states, or None if nothing to do.

    The row is locked while sending, so a second worker skips it; each channel is marked sent as soon as it
    went out. A channel that fails stays pending and DeliveryError is raised (after the row is saved) so the
    task retries with backoff; at the MAX_ATTEMPTS-th attempt it is marked failed instead.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pending_q(), pk=notification_id)
            .first()
        )
        if notification is None:
            return None
        notification.attempts += 1
        final = notification.attempts >= MAX_ATTEMPTS
        errors = []
        user = notification.user
        if notification.email_state == Delivery.PENDING:
            if user.email:
                errors += _try(notification, "email_state", final, lambda: _send_email(notification))
            else:  # the address was removed since the notification was made
                notification.email_state = Delivery.SKIPPED
        if notification.sms_state == Delivery.PENDING:
            if user.phone:
                errors += _try(notification, "sms_state", final, lambda: _send_sms(user.phone, notification))
            else:
                notification.sms_state = Delivery.SKIPPED
        notification.last_error = "; ".join(errors)[:300]
        notification.save(update_fields=["email_state", "sms_state", "attempts", "last_error"])
    if errors and not final:
        raise DeliveryError(notification.last_error)
    return {"email": notification.email_state, "sms": notification.sms_state}


def _try(row, field, final, send):
    try:
        send()
    except SEND_ERRORS as exc:
        logger.warning("Delivery of %s #%s (%s) failed: %r", type(row).__name__, row.pk, field, exc)
        if final:
            setattr(row, field, Delivery.FAILED)
        return [f"{field}: {exc.__class__.__name__}: {exc}"]
    setattr(row, field, Delivery.SENT)
    return []


def _send_email(notification):
    body = notification.body
    if notification.url:
        body += "\n\n" + notification.url
    send_mail(notification.title, body, None, [notification.user.email], fail_silently=False)


def _send_sms(phone, notification):
    get_sms_backend().send(phone, _sms_text(notification.title))


def _sms_text(text):
    return (_("【金色嘉苑】") + text)[:SMS_MAX_CHARS]


def deliver_sms(sms_id):
    """Send one pending SmsMessage, once (same locking, retry and failure rules as `deliver_notification`)."""
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update(skip_locked=True).filter(pk=sms_id, state=Delivery.PENDING).first()
        if sms is None:
            return None
        sms.attempts += 1
        final = sms.attempts >= MAX_ATTEMPTS
        errors = _try(sms, "state", final, lambda: get_sms_backend().send(sms.phone, _sms_text(sms.body)))
        if sms.state == Delivery.SENT:
            sms.sent_at = timezone.now()
        sms.last_error = "; ".join(errors)[:300]
        sms.save(update_fields=["state", "attempts", "last_error", "sent_at"])
    if errors and not final:
        raise DeliveryError(sms.last_error)
    return sms.state


def deliver_pending(*, older_than=timedelta(minutes=10)):
    """Sweep: deliver notifications and text messages still pending after `older_than` (a lost task, a
    worker that died, a broker that was down). Each attempt counts towards MAX_ATTEMPTS. Returns counts."""
    cutoff = timezone.now() - older_than
    done = {"notifications": 0, "sms": 0}
    for pk in Notification.objects.filter(pending_q(), created_at__lt=cutoff).values_list("pk", flat=True):
        try:
            if deliver_notification(pk) is not None:
                done["notifications"] += 1
        except DeliveryError:
            pass
    for pk in SmsMessage.objects.filter(state=Delivery.PENDING, created_at__lt=cutoff).values_list("pk", flat=True):
        try:
            if deliver_sms(pk) is not None:
                done["sms"] += 1
        except DeliveryError:
            pass
    return done
