"""A dispute's printable documents: the mediation agreement and the whole case file (一案一档).

Each is one standalone HTML page — an A4 sheet when printed from the browser — and, with `?format=pdf`, the same
HTML rendered to PDF on the server (`mediation.pdf`). Where WeasyPrint cannot load, the PDF link shows the
printable page with a note instead. Both go through `access_dispute` (content scope, 人民调解法 art. 15) and are
never cached: they carry the parties' particulars.

The documents are legal papers the parties sign, so they are rendered in Chinese whatever language the portal
is switched to.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .access import access_dispute
from .models import Dispute, DisputeMediator, MediationSession
from .pdf import PdfUnavailable, render_pdf

DOCUMENT_LANGUAGE = "zh-hans"


def agreement_title(dispute):
    """The agreement document's name: 人民调解协议书 for a written agreement, the mediator's record (art. 28) for
    an oral one, None while the dispute has no agreement."""
    return {
        Dispute.AgreementKind.WRITTEN: _("人民调解协议书"),
        Dispute.AgreementKind.ORAL: _("口头调解协议登记"),
    }.get(dispute.agreement_kind)


def active_mediators(dispute):
    return [
        assignment.mediator
        for assignment in DisputeMediator.objects.filter(dispute=dispute, recused_at__isnull=True).select_related(
            "mediator"
        )
    ]


def document_response(request, template, context, *, filename):
    """The document as a printable page, or with `?format=pdf` as a PDF attachment named `filename`; the page
    with a note where the PDF cannot be made on this machine."""
    context = {**context, "pdf_url": f"{request.path}?format=pdf"}
    if request.GET.get("format") == "pdf":
        html = render_to_string(template, {**context, "for_pdf": True}, request=request)
        try:
            pdf = render_pdf(html, static_base=request.build_absolute_uri(settings.STATIC_URL))
        except PdfUnavailable:
            context["pdf_unavailable"] = True
        else:
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
            return response
    return render(request, template, context)


@never_cache
@login_required
@require_safe
def dispute_agreement(request, pk):
    """The agreement: 人民调解协议书 with every item of 人民调解法 art. 29 (若干规定 art. 35), or the record of an
    oral agreement. A dispute without an agreement answers 404 with a page that says why."""
    dispute = access_dispute(request.user, pk)
    with translation.override(DOCUMENT_LANGUAGE):
        title = agreement_title(dispute)
        if title is None:
            context = {"dispute": dispute, "title": _("调解协议书")}
            return render(request, "mediation/agreement.html", context, status=404)
        context = {
            "dispute": dispute,
            "title": title,
            "parties": list(dispute.parties.all()),
            "mediators": active_mediators(dispute),
        }
        return document_response(request, "mediation/agreement.html", context, filename=f"{title}-{dispute.number}.pdf")


@never_cache
@login_required
@require_safe
def dispute_case_file(request, pk):
    """The case file (一案一档) as one document: cover, application, acceptance, sessions, outcome, follow-ups
    and every recorded step. Its queries do not grow with the number of sessions or steps."""
    dispute = access_dispute(request.user, pk)
    with translation.override(DOCUMENT_LANGUAGE):
        assignments = list(dispute.assignments.select_related("mediator", "assigned_by"))
        title = _("人民调解案卷")
        context = {
            "dispute": dispute,
            "title": title,
            "agreement_title": agreement_title(dispute),
            "parties": list(dispute.parties.all()),
            "assignments": assignments,
            "mediators": [a.mediator for a in assignments if a.recused_at is None],
            "sessions": list(
                MediationSession.objects.filter(dispute=dispute)
                .select_related("recorded_by")
                .prefetch_related("mediators")
            ),
            "follow_ups": list(dispute.follow_ups.select_related("assignee", "done_by")),
            "events": list(dispute.events.select_related("by")),
        }
        return document_response(request, "mediation/case_file.html", context, filename=f"{title}-{dispute.number}.pdf")
