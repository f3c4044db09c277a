"""The follow-up page (回访): the agreement and its performance terms, and the form that records whether it was
performed (`services.record_follow_up`).

The follow-up is fetched through `access_follow_up` (the dispute's assigned mediators and the committee's
managers; anyone else gets a 404); recording needs `mediation.change_followup` and a role that writes.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.access import can_write, require_write

from .access import access_follow_up
from .follow_up_forms import FollowUpForm
from .models import Dispute, InvalidDisputeMove
from .services import record_follow_up

CHANGE_PERMISSION = "mediation.change_followup"


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def followup_record(request, pk):
    follow_up = access_follow_up(request.user, pk)
    form = None
    if request.method == "POST":
        require_write(request.user, CHANGE_PERMISSION)
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                dispute = record_follow_up(
                    follow_up,
                    by=request.user,
                    performed=form.cleaned_data["performed"],
                    note=form.cleaned_data["note"],
                )
            except InvalidDisputeMove as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _recorded_message(form.cleaned_data["performed"], dispute))
            return redirect("followup_record", pk)
    elif follow_up.done_at is None and can_write(request.user, CHANGE_PERMISSION):
        form = FollowUpForm()
    dispute = follow_up.dispute
    return render(
        request,
        "mediation/follow_up_record.html",
        {
            "follow_up": follow_up,
            "dispute": dispute,
            "parties": dispute.parties.all(),
            "follow_ups": dispute.follow_ups.filter(agreement_on=follow_up.agreement_on).select_related("done_by"),
            "form": form if follow_up.done_at is None else None,
        },
    )


def _recorded_message(performed, dispute):
    if not performed:
        return _("已记录：协议未履行，案件重新进入调解。")
    if dispute.state == Dispute.State.CLOSED:
        return _("已记录：协议已履行。回访完毕，案件已结案。")
    return _("已记录：协议已履行。")
