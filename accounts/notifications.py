"""Creating notifications for staff (and text messages for people who are not users), each exactly once.

A notification is created idempotently (unique per user and `key`), then each channel the user can receive
(e-mail when they have an address, SMS when they have a phone) is marked pending and its delivery is enqueued
after commit (`accounts.delivery` sends it). Messages to people who are not users (lead households) go through
the same steps on an `SmsMessage` row.
"""

from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.broker import enqueue

from . import tasks
from .delivery import pending_q
from .models import Notification, SmsMessage

Delivery = Notification.Delivery


@dataclass
class Message:
    """One notification to create: for `user_id`, delivered to `email` / `phone` when they are not blank."""

    user_id: int
    title: str
    body: str
    url: str = ""
    email: str = ""
    phone: str = ""


def create_notifications(*, kind, key, messages):
    """Create one notification per message (none if the user already has one with `key`); deliver on commit.

    Safe to run twice: the second run finds every (user, key) taken and creates and sends nothing.
    Returns the ids of the notifications whose delivery was enqueued.
    """
    rows = [
        Notification(
            user_id=message.user_id,
            kind=kind,
            key=key,
            title=message.title[:200],
            body=message.body,
            url=message.url,
            email_state=Delivery.PENDING if message.email else Delivery.SKIPPED,
            sms_state=Delivery.PENDING if message.phone else Delivery.SKIPPED,
        )
        for message in messages
    ]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        pending = list(
            Notification.objects.filter(key=key, user_id__in=[m.user_id for m in messages])
            .filter(pending_q())
            .values_list("pk", flat=True)
        )
        _enqueue_deliveries(pending)
    return pending


def _enqueue_deliveries(notification_ids):
    for pk in notification_ids:
        enqueue(tasks.deliver_notification, pk)


def create_sms(*, key, phone, body):
    """Record a text message to a non-user and send it on commit; nothing new if `key` was used before."""
    with transaction.atomic():
        sms, created = SmsMessage.objects.get_or_create(key=key, defaults={"phone": phone, "body": body})
        if created:
            enqueue(tasks.deliver_sms, sms.pk)
    return sms, created


def access_notification(user, pk):
    """The user's own notification with this id; anybody else's is a 404."""
    return get_object_or_404(Notification.objects.filter(user=user), pk=pk)


def mark_read(*, user, pk=None):
    """Mark one of the user's notifications (or, with no `pk`, all of them) read; returns how many changed."""
    notifications = Notification.objects.filter(user=user).unread()
    if pk is not None:
        notifications = notifications.filter(pk=access_notification(user, pk).pk)
    return notifications.update(read_at=timezone.now())
