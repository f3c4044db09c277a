from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.admin import ScopedAdminMixin

from . import second_factor
from .models import Notification, SmsMessage, User

# Authenticator devices are enrolled on the portal (/accounts/2fa/) and reset from a staff account (below); their
# keys are never shown in the admin.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Staff accounts. Saving puts the user in exactly the group of their role.

    The grid assignments inline is added by grids.admin, since accounts must not import grids.
    """

    list_display = ("username", "full_name", "role", "phone", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "full_name", "phone", "email")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email", "role")}),
        (
            _("权限"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _("保存时会按“角色”自动调整所属角色组，无需手动勾选。"),
            },
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "phone", "role", "usable_password", "password1", "password2"),
            },
        ),
    )

    actions = ["reset_second_factor"]

    @admin.action(description=_("重置两步验证（手机丢失或更换时）"))
    def reset_second_factor(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, _("只有超级管理员可以重置两步验证。"), messages.ERROR)
            return
        removed = second_factor.reset(by=request.user, users=queryset, request=request)
        self.message_user(request, _("已重置 %(count)s 个账号的两步验证。") % {"count": removed}, messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        # After the form has saved its groups, so the role's group wins over whatever was ticked.
        super().save_related(request, form, formsets, change)
        form.instance.set_role(form.instance.role)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by jobs, never by hand: listed and opened, not added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("title", "user", "kind", "created_at", "read_at", "email_state", "sms_state", "attempts")
    list_filter = ("kind", "email_state", "sms_state", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "user__username", "user__full_name", "key")
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def scope(self, queryset, user):
        return queryset.filter(user=user)


@admin.register(SmsMessage)
class SmsMessageAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    list_display = ("phone", "state", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("state",)
    search_fields = ("=phone", "key")
    date_hierarchy = "created_at"

    def scope(self, queryset, user):
        return queryset.none()  # texts to residents' phones: superusers only
