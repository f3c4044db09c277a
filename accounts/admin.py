from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Notification, SmsMessage, User


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
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "user", "kind", "created_at", "read_at", "email_state", "sms_state", "attempts")
    list_filter = ("kind", "email_state", "sms_state", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "user__username", "user__full_name", "key")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("phone", "state", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("state",)
    search_fields = ("=phone", "key")
    date_hierarchy = "created_at"
