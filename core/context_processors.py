"""Template context every page needs: the bell's unread count and whether reminders are delayed."""

from django.utils.functional import SimpleLazyObject

from .broker import broker_ok

LATEST_UNREAD = 5


def portal_status(request):
    """`unread_notifications` (one COUNT, only if a template reads it), `latest_unread_notifications` (for the
    workbench), and `reminders_delayed` (a cached broker check: at most one connection per 30 s per process)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        return user.notifications.unread().count()

    def latest_unread():
        return list(user.notifications.unread()[:LATEST_UNREAD])

    return {
        "unread_notifications": SimpleLazyObject(unread),
        "latest_unread_notifications": SimpleLazyObject(latest_unread),
        "reminders_delayed": SimpleLazyObject(lambda: not broker_ok()),
    }
