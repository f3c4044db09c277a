import re

from django import forms
from django.utils.translation import gettext_lazy as _

_CODE = re.compile(r"^[0-9]{6}$")


class CodeForm(forms.Form):
    """A six-digit code from an authenticator app (ASCII digits only: "²" passes `str.isdigit`)."""

    code = forms.CharField(
        label=_("验证码"),
        max_length=20,
        help_text=_("打开手机上的验证器应用，输入“金色嘉苑社区服务门户”显示的 6 位数字。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self):
        code = self.cleaned_data["code"].replace(" ", "")
        if not _CODE.match(code):
            raise forms.ValidationError(_("请输入 6 位数字验证码。"))
        return code
