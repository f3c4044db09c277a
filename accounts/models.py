from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .roles import ROLE_GROUPS


class User(AbstractUser):
    """A staff account. `role` decides what the portal lets the user do; the matching group carries
    the Django model permissions used by the admin."""

    class Role(models.TextChoices):
        GRID_WORKER = "grid_worker", _("网格员")
        CADRE = "cadre", _("社区干部")
        MEDIATOR = "mediator", _("调解员")
        LEADER = "leader", _("街道领导")
        ADMIN = "admin", _("管理员")

    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.GRID_WORKER)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self):
        return self.full_name or self.username

    @property
    def is_read_only(self):
        """Street leaders read everything and change nothing."""
        return self.role == self.Role.LEADER and not self.is_superuser

    @property
    def sees_everything(self):
        return self.is_superuser or self.role in (self.Role.ADMIN, self.Role.LEADER)

    @property
    def supervises(self):
        """Cadres, street leaders and admins oversee other people's work: every task of their grids, the
        per-worker counts, the grids' visit figures. Grid workers and mediators see their own work."""
        return self.is_superuser or self.role in (self.Role.CADRE, self.Role.LEADER, self.Role.ADMIN)

    @property
    def may_use_second_factor(self):
        """Admins and cadres, and anyone with access to the admin, may turn on two-step sign-in."""
        return self.is_superuser or self.is_staff or self.role in (self.Role.ADMIN, self.Role.CADRE)

    def set_role(self, role):
        """Set the role and put the user in exactly the group of that role."""
        self.role = role
        self.save(update_fields=["role"])
        self.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
        self.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one staff member, shown under the bell and optionally sent by e-mail and SMS.

    `key` makes creation idempotent: a job that runs twice finds the row it made the first time.
    Each channel's delivery state lives on the row so a sender can lock it, send once, and record failure.
    """

    class Kind(models.TextChoices):
        DIGEST = "digest", _("每日提醒")
        ESCALATION = "escalation", _("超期督办")
        LEAD_DIGEST = "lead_digest", _("中心户月报")
        INFO = "info", _("通知")

    class Delivery(models.TextChoices):
        SKIPPED = "skipped", _("不发送")
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.INFO)
    key = models.CharField(_("去重键"), max_length=100)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    email_state = models.CharField(_("邮件"), max_length=10, choices=Delivery.choices, default=Delivery.SKIPPED)
    sms_state = models.CharField(_("短信"), max_length=10, choices=Delivery.choices, default=Delivery.SKIPPED)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_unique_key")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self):
        return self.title


class SmsMessage(models.Model):
    """A text message to someone who is not a portal user (a lead household's party member, for example).

    Kept so each send is recorded and happens once: `key` makes creation idempotent, and the sender locks the
    row, sends, and marks it sent or failed, exactly as for a notification's SMS channel.
    """

    key = models.CharField(_("去重键"), max_length=100, unique=True)
    phone = models.CharField(_("手机号"), max_length=20)
    body = models.TextField(_("内容"))
    state = models.CharField(
        _("状态"), max_length=10, choices=Notification.Delivery.choices, default=Notification.Delivery.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信记录")
        verbose_name_plural = _("短信记录")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="smsmessage_state_created")]

    def __str__(self):
        return f"{self.phone} · {self.created_at:%Y-%m-%d %H:%M}"
