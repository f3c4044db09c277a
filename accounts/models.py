from django.contrib.auth.models import AbstractUser, Group
from django.db import models
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

    def set_role(self, role):
        """Set the role and put the user in exactly the group of that role."""
        self.role = role
        self.save(update_fields=["role"])
        self.groups.remove(*Group.objects.filter(name__in=ROLE_GROUPS.values()))
        self.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
