"""Celery tasks of the accounts app: load by id, call a service in `delivery`, nothing else.

Deliveries are external sends, so they are not `acks_late`: a worker dying mid-send must not make the broker
hand the message to another worker that sends it again. A delivery that is lost instead stays pending on its
row and the `deliver_notifications` sweep sends it: every 10 minutes from beat, and at once whenever a worker
connects to the broker (`core.broker.catch_ups`, registered in `accounts.apps`), so what was created while the
broker was down goes out as soon as it is back.

A retry waits at most `RETRY_WAIT_MAX` seconds, below the broker's visibility timeout: Redis would hand a message
that waits longer to a second worker before it is due.
"""

import datetime

from celery import shared_task

from . import delivery

RETRY_WAIT_MAX = 240
RETRY = {
    "autoretry_for": (delivery.DeliveryError,),
    "retry_backoff": 60,
    "retry_backoff_max": RETRY_WAIT_MAX,
    "retry_jitter": True,
    "max_retries": delivery.MAX_ATTEMPTS - 1,
}


@shared_task(**RETRY)
def deliver_notification(notification_id):
    """Send a notification's pending e-mail and SMS; retried with backoff; failure recorded on the row."""
    return delivery.deliver_notification(notification_id)


@shared_task(**RETRY)
def deliver_sms(sms_id):
    """Send one recorded text message; retried with backoff; failure recorded on the row."""
    return delivery.deliver_sms(sms_id)


@shared_task
def deliver_notifications(older_than_minutes=10):
    """Sweep: deliver whatever has been pending longer than `older_than_minutes` (lost tasks, a broker that was
    down); 0 when a worker has just connected to the broker."""
    return delivery.deliver_pending(older_than=datetime.timedelta(minutes=older_than_minutes))


JOBS = {"deliver_notifications": deliver_notifications}
