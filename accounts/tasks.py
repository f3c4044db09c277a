"""Celery tasks of the accounts app: load by id, call a service in `delivery`, nothing else.

Deliveries are external sends, so they are not `acks_late`: a worker dying mid-send must not make the broker
hand the message to another worker that sends it again. A delivery that is lost instead stays pending on its
row and the `deliver_notifications` sweep sends it.
"""

from celery import shared_task

from . import delivery

RETRY = {
    "autoretry_for": (delivery.DeliveryError,),
    "retry_backoff": 60,
    "retry_backoff_max": 3600,
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
def deliver_notifications():
    """Sweep: deliver whatever is still pending (lost tasks, a broker that was down)."""
    return delivery.deliver_pending()


JOBS = {"deliver_notifications": deliver_notifications}
