"""The agency clerk's pages (`/agency/`): the agency's inquiries, one inquiry with the case fields and
documents it was sent and the answer form (with optional attachments), those documents' and the
answer's attachments' downloads.

Only accounts with an agency membership may open them (403 for anyone else); an inquiry of an agency
the clerk does not work for is simply not there (404). Thin: selectors read,
``inquiry_answer_with_attachments`` writes, a successful POST redirects."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from daftar.accounts.models import User
from daftar.cases.tracking import display
from daftar.core.errors import DomainError
from daftar.core.jalali import local_today
from daftar.documents.selectors import requirements_of
from daftar.documents.views import file_download
from daftar.inquiries.models import Agency, Inquiry, InquiryState
from daftar.inquiries.selectors import (
    agencies_of_user,
    agency_inquiries,
    attachment_of_inquiry,
    inquiry_documents,
    inquiry_for_agency,
)
from daftar.inquiries.services import AttachmentRefused, inquiry_answer_with_attachments

from .case_display import page_query, schema_rows
from .forms_agency import AnswerForms
from .inquiry_display import inquiry_row, inquiry_rows, with_days_left

AGENCY_PAGE_SIZE = 50
SESSION_AGENCY = "agency_code"
STATUS_FILTERS = (InquiryState.PENDING.value, InquiryState.ANSWERED.value)
staff_required = login_required(login_url="web:staff_signin")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _agencies(request: HttpRequest) -> list[Agency]:
    """The active agencies the user clerks for; 403 for everyone else."""
    agencies = agencies_of_user(user=_user(request))
    if not agencies:
        raise PermissionDenied
    return agencies


def _chosen(request: HttpRequest, agencies: list[Agency]) -> Agency:
    code = request.session.get(SESSION_AGENCY)
    return next((a for a in agencies if a.code == code), agencies[0])


def _inquiry_or_404(request: HttpRequest, inquiry_id: int) -> Inquiry:
    """One inquiry of an agency the clerk works for (the one chosen first); 404 otherwise."""
    agencies = _agencies(request)
    chosen = _chosen(request, agencies)
    for agency in [chosen, *(a for a in agencies if a.pk != chosen.pk)]:
        found = inquiry_for_agency(agency=agency, inquiry_id=inquiry_id)
        if found is not None:
            return found
    raise Http404


@staff_required
@require_http_methods(["GET", "POST"])
def agency_inbox(request: HttpRequest) -> HttpResponse:
    """The agency's inquiries, pending first (oldest first); a clerk of several agencies picks one."""
    agencies = _agencies(request)
    if request.method == "POST":
        picked = next((a for a in agencies if a.code == request.POST.get("agency")), None)
        if picked is not None:
            request.session[SESSION_AGENCY] = picked.code
        return redirect("web:agency_inbox")
    agency = _chosen(request, agencies)
    status = request.GET.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    page = agency_inquiries(
        agency=agency, status=status or None, page=page_query(request), page_size=AGENCY_PAGE_SIZE
    )
    today = local_today()
    rows = with_days_left(inquiry_rows(page.object_list, today=today), today=today)
    return render(
        request,
        "web/agency_inbox.html",
        {
            "nav": "agency",
            "agency": agency,
            "agencies": agencies,
            "status": status,
            "page": page,
            "rows": rows,
        },
    )


def _inquiry_page(
    request: HttpRequest,
    inquiry_id: int,
    *,
    forms: AnswerForms | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    inquiry = _inquiry_or_404(request, inquiry_id)  # read afresh: after a conflict, show what is now
    case = inquiry.case
    today = local_today()
    row = with_days_left([inquiry_row(inquiry, today=today)], today=today)[0]
    names = {requirement.code: requirement.name for requirement in requirements_of(case=case)}
    answerable = inquiry.state == InquiryState.PENDING and case.closed_at is None
    context: dict[str, Any] = {
        "nav": "agency",
        "inquiry": inquiry,
        "row": row,
        "code_display": display(case.tracking_code),
        "request_rows": schema_rows(case.service_version.intake_schema or {}, inquiry.request or {}),
        "documents": [
            {"document": doc, "name": names.get(doc.requirement, doc.requirement)}
            for doc in inquiry_documents(inquiry=inquiry)
        ],
        "attachments": list(inquiry.attachments.all()),
        "answerable": answerable,
        "case_closed": inquiry.state == InquiryState.PENDING and case.closed_at is not None,
        "forms": (forms or AnswerForms(inquiry)) if answerable else None,
        "error": error,
    }
    return render(request, "web/agency_inquiry.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def agency_inquiry(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    """One inquiry: what the agency was sent, the documents it may see and (while pending) the answer form."""
    if request.method != "POST":
        return _inquiry_page(request, inquiry_id)
    inquiry = _inquiry_or_404(request, inquiry_id)
    if inquiry.state != InquiryState.PENDING or inquiry.case.closed_at is not None:
        # Answered, withdrawn or its case closed (a second tab, a double submit): nothing to check.
        return _inquiry_page(
            request, inquiry_id, status=409, error=_("This inquiry no longer takes an answer.")
        )
    forms = AnswerForms(inquiry, request.POST, request.FILES)
    if not forms.is_valid():
        return _inquiry_page(request, inquiry_id, forms=forms, status=400)
    files = [(upload.read(), upload.name or "") for upload in forms.uploads()]
    try:
        # The files are attached and the answer recorded together: if either is refused, nothing is kept.
        inquiry_answer_with_attachments(inquiry=inquiry, **forms.values(), files=files, user=_user(request))
    except AttachmentRefused as refused:
        forms.add_attachment_error(f"{refused.file_name}: {refused.error}")
        return _inquiry_page(request, inquiry_id, forms=forms, status=refused.error.status)
    except DomainError as exc:
        placed = forms.add_domain_errors(exc)
        return _inquiry_page(
            request, inquiry_id, forms=forms, status=exc.status, error="" if placed else str(exc)
        )
    messages.success(
        request,
        _("Your answer to the inquiry of case %(code)s was recorded.")
        % {"code": display(inquiry.case.tracking_code)},
    )
    return redirect("web:agency_inbox")


@staff_required
@require_GET
def agency_document(request: HttpRequest, inquiry_id: int, document_id: int) -> FileResponse:
    """A document the inquiry's type may see, as an attachment; 404 for anything else."""
    inquiry = _inquiry_or_404(request, inquiry_id)
    document = next((d for d in inquiry_documents(inquiry=inquiry) if d.pk == document_id), None)
    if document is None:
        raise Http404
    return file_download(
        document.file, original_name=document.original_name, content_type=document.content_type
    )


@staff_required
@require_GET
def agency_attachment(request: HttpRequest, inquiry_id: int, pk: int) -> FileResponse:
    """One of the clerk's own inquiry's attachments, as an attachment; 404 for anything else."""
    inquiry = _inquiry_or_404(request, inquiry_id)
    attachment = attachment_of_inquiry(inquiry=inquiry, pk=pk)
    if attachment is None:
        raise Http404
    return file_download(
        attachment.file, original_name=attachment.original_name, content_type=attachment.content_type
    )
