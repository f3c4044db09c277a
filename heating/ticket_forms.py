"""Forms of the ticket page: a move of the flow (`HeatingTicket.advance`) and the company's reply."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HeatingTicket

YES, NO = "yes", "no"


class TicketMoveForm(forms.Form):
    """One move of a ticket, with a note; closing (复查合格) also asks whether the company was at fault."""

    company_at_fault = forms.TypedChoiceField(
        label=_("是否供热公司责任"),
        choices=[(YES, _("是，供热公司责任（跟进减免热费）")), (NO, _("否"))],
        coerce=lambda value: value == YES,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("结单时必填"),
    )
    note = forms.CharField(
        label=_("办理说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, to_state, **kwargs):
        super().__init__(*args, **kwargs)
        self.closes = to_state == HeatingTicket.State.RECHECK_PASSED
        if self.closes:
            self.fields["company_at_fault"].required = True
            self.fields["company_at_fault"].error_messages["required"] = _("结单时请选择是否为供热公司责任。")
        else:
            del self.fields["company_at_fault"]
        self.helper = FormHelper()
        self.helper.form_tag = False


class TicketReplyForm(forms.Form):
    note = forms.CharField(
        label=_("供热公司答复"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：已安排明日上午上门测温"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
