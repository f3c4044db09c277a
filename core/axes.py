"""django-axes (login throttling) in the portal's language.

django-axes ships no Chinese catalogue, and the portal's zh_Hans catalogue holds only the portal's own Chinese
messages (msgstr == msgid), so axes' app, models, fields and admin are labelled here: in Chinese while the portal
speaks Chinese, in axes' own English otherwise. With no language active (makemigrations, migrate, permission
names) a label is axes' own text, so the models' state is unchanged and axes needs no migration of ours.
"""

from axes.apps import AppConfig
from axes.conf import settings
from django.contrib import admin
from django.utils.functional import lazy
from django.utils.translation import get_language, override

#: axes' English messages (its msgids) and the portal's Chinese for them.
CHINESE = {
    "Axes": "登录保护",
    "access attempt": "登录失败计数",
    "access attempts": "登录失败计数",
    "access log": "登录日志",
    "access logs": "登录日志",
    "access failure": "登录失败日志",
    "access failures": "登录失败日志",
    "access attempt expiration": "失败计数有效期",
    "access attempt expirations": "失败计数有效期",
    "User Agent": "浏览器标识",
    "IP Address": "IP 地址",
    "Username": "用户名",
    "HTTP Accept": "HTTP Accept 请求头",
    "Path": "路径",
    "Attempt Time": "尝试时间",
    "Access lock out": "已锁定",
    "GET Data": "GET 数据",
    "POST Data": "POST 数据",
    "Failed Logins": "失败次数",
    "Logout Time": "退出时间",
    "Session key hash (sha256)": "会话密钥哈希（SHA-256）",
    "Access Attempt": "登录失败计数",
    "Expires At": "失效时间",
    "The time when access attempt expires and is no longer valid.": "失败计数在此时间后失效。",
    "Form Data": "表单数据",
    "Meta Data": "请求信息",
    "Locked Out": "已锁定",
    "Status": "状态",
    "Expiration": "失效时间",
    "Not set": "未设置",
    "Clean up expired attempts": "清理已失效的失败计数",
}


def speaks_chinese():
    return (get_language() or "").startswith("zh")


def relabel(original):
    """A lazy label: the Chinese for axes' message `original` when the portal speaks Chinese, axes' text otherwise."""
    with override(None):
        chinese = CHINESE.get(str(original))
    if chinese is None:
        return original
    return lazy(lambda: chinese if speaks_chinese() else str(original), str)()


class AxesConfig(AppConfig):
    verbose_name = relabel("Axes")

    def ready(self):
        super().ready()
        for model in self.get_models():
            opts = model._meta
            opts.verbose_name = relabel(opts.verbose_name)
            opts.verbose_name_plural = relabel(opts.verbose_name_plural)
            for field in opts.local_fields:
                field.verbose_name = relabel(field.verbose_name)
                if field.help_text:
                    field.help_text = relabel(field.help_text)
        relabel_admin()


def relabel_admin():
    """Register axes' admins again with their fieldsets, filter, columns and action labelled."""
    from axes import admin as axes_admin

    class IsLockedOutFilter(axes_admin.IsLockedOutFilter):
        title = relabel("Locked Out")

    class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
        list_filter = [
            IsLockedOutFilter if item is axes_admin.IsLockedOutFilter else item
            for item in axes_admin.AccessAttemptAdmin.list_filter
        ]

        @admin.display(description=relabel("Expiration"))
        def expiration(self, obj):
            return obj.expiration.expires_at if hasattr(obj, "expiration") else relabel("Not set")

        @admin.display(description=relabel("Status"))
        def status(self, obj):
            remaining = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
            if not speaks_chinese():
                return super().status(obj)
            return f"还可尝试 {remaining} 次" if remaining > 0 else CHINESE["Locked Out"]

        @admin.action(description=relabel("Clean up expired attempts"))
        def cleanup_expired_attempts(self, request, queryset):
            return super().cleanup_expired_attempts(request, queryset)

    admins = {
        axes_admin.AccessAttempt: AccessAttemptAdmin,
        axes_admin.AccessLog: axes_admin.AccessLogAdmin,
        axes_admin.AccessFailureLog: axes_admin.AccessFailureLogAdmin,
    }
    for model, base in admins.items():
        if not admin.site.is_registered(model):
            continue  # AXES_ENABLE_ADMIN is off
        admin.site.unregister(model)
        fieldsets = tuple((title and relabel(title), options) for title, options in base.fieldsets)
        admin.site.register(model, type(base.__name__, (base,), {"fieldsets": fieldsets, "__module__": __name__}))


USERNAME_LENGTH = 255  # axes' username columns


def username_of(request, credentials=None):
    """The username a sign-in attempt is counted under (`AXES_USERNAME_CALLABLE`): axes' own choice, cut to the
    length of its columns, so an over-long name is a failed sign-in rather than a database error."""
    if credentials:
        username = credentials.get(settings.AXES_USERNAME_FORM_FIELD)
    else:
        username = getattr(request, "data", request.POST).get(settings.AXES_USERNAME_FORM_FIELD)
    return username[:USERNAME_LENGTH] if isinstance(username, str) else username
