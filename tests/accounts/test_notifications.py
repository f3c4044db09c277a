"""Notifications: the bell, the list page scoped to its owner, and delivery that sends once or records failure."""

import datetime
import smtplib

import pytest
from django.core.cache import cache
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import delivery, notifications
from accounts.delivery import LocmemSmsBackend, SmsError
from accounts.models import Notification, SmsMessage
from accounts.notifications import Message
from jinjiajiayuan.celery import app as celery_app


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")


class FailingSmsBackend(delivery.BaseSmsBackend):
    def send(self, phone, text):
        raise SmsError("gateway timeout")


@pytest.fixture(autouse=True)
def clean_state(settings):
    settings.SMS_BACKEND = "accounts.delivery.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def note(user, n=1, **fields):
    return [
        Notification.objects.create(user=user, key=f"test:{user.pk}:{i}", title=f"通知{i}", **fields) for i in range(n)
    ]


def test_notification_list_shows_only_my_notifications(client_for, grid_worker, other_grid_worker):
    Notification.objects.create(user=grid_worker, key="a", title="我的提醒")
    Notification.objects.create(user=other_grid_worker, key="b", title="别人的提醒")

    response = client_for(grid_worker).get(reverse("notification_list"))

    assert response.status_code == 200
    assert "我的提醒" in response.text and "别人的提醒" not in response.text


def test_marking_another_users_notification_read_is_404(client_for, grid_worker, other_grid_worker):
    (theirs,) = note(other_grid_worker)
    response = client_for(grid_worker).post(reverse("notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_read_then_follow_its_link(client_for, grid_worker):
    (mine,) = note(grid_worker, url="/visits/tasks/")
    response = client_for(grid_worker).post(reverse("notification_read", args=[mine.pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == "/visits/tasks/"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_mark_read_refuses_an_offsite_next(client_for, grid_worker):
    (mine,) = note(grid_worker)
    response = client_for(grid_worker).post(
        reverse("notification_read", args=[mine.pk]), {"next": "https://evil.example.com/"}
    )
    assert response.url == reverse("notification_list")


def test_mark_all_read_touches_only_mine(client_for, grid_worker, other_grid_worker):
    note(grid_worker, 3)
    note(other_grid_worker, 2)
    client_for(grid_worker).post(reverse("notification_read_all"))
    assert not Notification.objects.filter(user=grid_worker).unread().exists()
    assert Notification.objects.filter(user=other_grid_worker).unread().count() == 2


def test_mark_read_needs_post(client_for, grid_worker):
    (mine,) = note(grid_worker)
    assert client_for(grid_worker).get(reverse("notification_read", args=[mine.pk])).status_code == 405


def test_street_leader_can_read_their_own_notifications(client_for, leader):
    (mine,) = note(leader)
    assert client_for(leader).post(reverse("notification_read", args=[mine.pk])).status_code == 302


def test_bell_shows_the_unread_count(client_for, grid_worker):
    note(grid_worker, 3)
    Notification.objects.create(user=grid_worker, key="old", title="已读", read_at=timezone.now())
    response = client_for(grid_worker).get(reverse("notification_list"))
    assert "data-unread-count>3</span>" in response.text


def test_workbench_lists_unread_notifications(client_for, grid_worker):
    Notification.objects.create(user=grid_worker, key="w", title="今日走访提醒：逾期 2 户")
    response = client_for(grid_worker).get(reverse("workbench"))
    assert "今日走访提醒：逾期 2 户" in response.text


def test_list_query_count_is_the_same_for_3_and_30_notifications(client_for, grid_worker):
    client = client_for(grid_worker)
    note(grid_worker, 3)
    client.get(reverse("notification_list"))  # warm the broker-status cache
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("notification_list"))
    Notification.objects.filter(user=grid_worker).delete()
    note(grid_worker, 30)
    with CaptureQueriesContext(connection) as thirty:
        client.get(reverse("notification_list"))
    assert len(three) == len(thirty)


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_create_notifications_twice_creates_and_sends_once(
    grid_worker, mailoutbox, eager, django_capture_on_commit_callbacks
):
    grid_worker.email, grid_worker.phone = "a@example.cn", "13800000000"
    grid_worker.save()
    message = Message(
        user_id=grid_worker.pk, title="提醒", body="正文", email=grid_worker.email, phone=grid_worker.phone
    )
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            notifications.create_notifications(kind=Notification.Kind.INFO, key="k", messages=[message])
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1 and len(LocmemSmsBackend.outbox) == 1


def test_notification_for_a_user_who_lost_their_address_is_skipped(grid_worker, mailoutbox):
    (mine,) = note(grid_worker, email_state="pending")
    assert delivery.deliver_notification(mine.pk) == {"email": "skipped", "sms": "skipped"}
    assert mailoutbox == []


def test_a_sent_notification_is_not_sent_again(grid_worker, mailoutbox):
    (mine,) = note(grid_worker, email_state="pending")
    grid_worker.email = "a@example.cn"
    grid_worker.save()
    delivery.deliver_notification(mine.pk)
    assert delivery.deliver_notification(mine.pk) is None
    assert len(mailoutbox) == 1


def test_failed_email_is_retried_then_recorded_as_failed(settings, grid_worker):
    settings.EMAIL_BACKEND = "tests.accounts.test_notifications.FailingEmailBackend"
    grid_worker.email = "a@example.cn"
    grid_worker.save()
    (mine,) = note(grid_worker, email_state="pending")

    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with pytest.raises(delivery.DeliveryError):
            delivery.deliver_notification(mine.pk)
    mine.refresh_from_db()
    assert (mine.email_state, mine.attempts) == ("pending", delivery.MAX_ATTEMPTS - 1)

    assert delivery.deliver_notification(mine.pk) == {"email": "failed", "sms": "skipped"}
    mine.refresh_from_db()
    assert mine.email_state == "failed" and "SMTPServerDisconnected" in mine.last_error


def test_task_retries_failed_sms_and_keeps_the_sent_email(settings, grid_worker, mailoutbox, eager):
    from accounts.tasks import deliver_notification

    settings.SMS_BACKEND = "tests.accounts.test_notifications.FailingSmsBackend"
    grid_worker.email, grid_worker.phone = "a@example.cn", "13800000000"
    grid_worker.save()
    (mine,) = note(grid_worker, email_state="pending", sms_state="pending")

    deliver_notification.delay(mine.pk)

    mine.refresh_from_db()
    assert (mine.email_state, mine.sms_state) == ("sent", "failed")
    assert mine.attempts == delivery.MAX_ATTEMPTS and "gateway timeout" in mine.last_error
    assert len(mailoutbox) == 1


def test_sweep_delivers_what_a_lost_task_left_pending(grid_worker, mailoutbox):
    grid_worker.email = "a@example.cn"
    grid_worker.save()
    (old,) = note(grid_worker, email_state="pending", created_at=timezone.now() - datetime.timedelta(hours=1))
    Notification.objects.create(user=grid_worker, key="fresh", title="刚创建", email_state="pending")
    SmsMessage.objects.create(
        key="lead:1", phone="13900000000", body="联系户", created_at=timezone.now() - datetime.timedelta(hours=1)
    )

    assert delivery.deliver_pending() == {"notifications": 1, "sms": 1}

    assert [m.subject for m in mailoutbox] == [old.title]
    assert LocmemSmsBackend.outbox == [("13900000000", "【金色嘉苑】联系户")]
