"""The follow-up page's form: whether the agreement was performed, and what the mediator found."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

YES, NO = "yes", "no"


class FollowUpForm(forms.Form):
    performed = forms.TypedChoiceField(
        label=_("协议是否已履行"),
        choices=[(YES, _("已履行")), (NO, _("未履行（案件重新进入调解）"))],
        coerce=lambda value: value == YES,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择协议是否已履行。")},
    )
    note = forms.CharField(
        label=_("回访情况"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("回访方式、当事人反映、履行情况；未履行时写明原因"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
