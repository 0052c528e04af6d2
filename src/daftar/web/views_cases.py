"""The case page and its forms (act, review or upload a document, rate), the staff inbox and the
citizen's own cases. Thin: selectors read, services write, every POST redirects on success."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from daftar.accounts.models import User
from daftar.billing.selectors import bills_of_case
from daftar.cases.followup import case_note_add, case_reopen
from daftar.cases.models import Case
from daftar.cases.selectors import (
    case_actions_for,
    case_events_for,
    case_for_user,
    cases_of_applicant,
    cases_search,
    inbox_for,
    sees_internal,
    workflow_of,
)
from daftar.cases.services import case_act, case_rate
from daftar.cases.tracking import display
from daftar.certificates.selectors import certificates_of_case
from daftar.core.errors import DomainError
from daftar.core.i18n import pick
from daftar.core.jalali import local_today
from daftar.documents.selectors import document_checklist
from daftar.documents.services import REVIEW_ROLES, document_review, document_upload
from daftar.documents.views import file_download
from daftar.inquiries.selectors import attachment_of_case, inquiries_of_case
from daftar.offices.selectors import is_staff_member
from daftar.workflow.definition import APPLICANT

from .case_display import intake_rows, page_query, timeline
from .forms_cases import CaseActionForm, DocumentReviewForm, DocumentUploadForm, RatingForm
from .forms_reports import CaseNoteForm, CaseReopenForm
from .inquiry_display import inquiry_rows
from .views_licensing import licence_panel
from .views_reports import case_followup

INBOX_PAGE_SIZE = 50
UPLOADER_ROLES = frozenset({APPLICANT, "office_operator", "office_manager"})
staff_required = login_required(login_url="web:staff_signin")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_or_404(request: HttpRequest, tracking_code: str) -> tuple[Case, set[str]]:
    """The case and the user's roles on it; 404 alike when it does not exist or is not theirs."""
    found = case_for_user(tracking_code=tracking_code, user=_user(request))
    if found is None:
        raise Http404
    return found


def domain_message(error: DomainError) -> str:
    if error.code == "case.stale":
        return _(
            "The case has changed in the meantime; this page now shows its current state. "
            "Check it and try again."
        )
    return str(error)


def _case_page(
    request: HttpRequest, tracking_code: str, *, status: int = 200, error: str = "", **extra: Any
) -> HttpResponse:
    case, roles = _case_or_404(request, tracking_code)  # read afresh: after a conflict, show what is now
    workflow = workflow_of(case)
    state = workflow.state(case.state)
    staff_view = sees_internal(roles)
    actions = [
        {
            "code": a.code,
            "name": pick(a.name.get("fa", a.code), a.name.get("en", "")),
            "reason": a.reason,
            "shared": a.shared,
        }
        for a in case_actions_for(case=case, roles=roles)
    ]
    can_rate = APPLICANT in roles and case.closed_at is not None and case.rating is None
    # A licence application's eligibility panel (web/_licence_panel.html; forms in views_licensing_staff).
    licence = licence_panel(case=case, roles=roles, forms=extra.pop("licence_forms", None))
    # A report's follow-up forms and duplicates panel (web/_case_followup.html, _duplicates.html).
    followup = case_followup(
        case=case, roles=roles, user=_user(request), forms=extra.pop("followup_forms", None)
    )
    context: dict[str, Any] = {
        "nav": "cases",
        "case": case,
        "code_display": display(case.tracking_code),
        "state_name": pick(state.name.get("fa", case.state), state.name.get("en", "")),
        "staff_view": staff_view,
        "intake": intake_rows(case),
        "checklist": document_checklist(case=case),
        "can_review": case.is_open and bool(roles & REVIEW_ROLES),
        "can_upload": case.is_open and bool(roles & UPLOADER_ROLES),
        "actions": actions,
        "timeline": timeline(case, case_events_for(case=case, roles=roles)[:500], staff_view=staff_view),
        "certificates": list(certificates_of_case(case=case)),
        "inquiries": inquiry_rows(inquiries_of_case(case=case), today=local_today()),
        "rating_form": extra.pop("rating_form", None) or (RatingForm() if can_rate else None),
        # The case's bills (web/_case_bills.html; pages in views_bills).
        "bills": list(bills_of_case(case_id=case.pk)),
        "money_unit": settings.DAFTAR_MONEY_UNIT,
        "licence": licence,
        **followup,
        "error": error,
        **extra,
    }
    return render(request, "web/case.html", context, status=status)


# The case page again after another module's form was refused (e.g. views_licensing_staff).
case_page = _case_page


@login_required
def case_detail(request: HttpRequest, tracking_code: str) -> HttpResponse:
    return _case_page(request, tracking_code)


def _done(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("web:case", tracking_code=case.tracking_code)


def _refused(
    request: HttpRequest, tracking_code: str, exc: DomainError, *, typed_reason: str, **where: Any
) -> HttpResponse:
    """The case page again, with the service's refusal beside the form that caused it and the
    reason the user typed kept (``where`` names that form: an action or a document)."""
    return _case_page(
        request,
        tracking_code,
        status=exc.status,
        error=domain_message(exc),
        typed_reason=typed_reason,
        reason_errors=exc.field_messages().get("reason", []),
        **where,
    )


@login_required
@require_POST
def case_act_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    case, _roles = _case_or_404(request, tracking_code)
    form = CaseActionForm(request.POST)
    if not form.is_valid():
        return _case_page(request, tracking_code, status=400, error=_("The form was incomplete; try again."))
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    try:
        case_act(
            case=case,
            action=action,
            actor=_user(request),
            expected_version=form.cleaned_data["expected_version"],
            reason=reason,
        )
    except DomainError as exc:
        return _refused(request, tracking_code, exc, typed_reason=reason, failed_action=action)
    state = workflow_of(case).state(case.state)
    chosen = state.actions.get(action)
    name = pick(chosen.name.get("fa", action), chosen.name.get("en", "")) if chosen else action
    return _done(request, case, _("Done: %(action)s.") % {"action": name})


@login_required
@require_POST
def document_review_view(request: HttpRequest, tracking_code: str, pk: int) -> HttpResponse:
    case, _roles = _case_or_404(request, tracking_code)
    row = next(
        (r for r in document_checklist(case=case) if r.document is not None and r.document.pk == pk), None
    )
    if row is None or row.document is None:
        raise Http404
    form = DocumentReviewForm(request.POST)
    if not form.is_valid():
        return _case_page(request, tracking_code, status=400, error=_("The form was incomplete; try again."))
    verified = form.cleaned_data["verdict"] == "verify"
    reason = form.cleaned_data["reason"]
    try:
        document_review(document=row.document, actor=_user(request), verified=verified, reason=reason)
    except DomainError as exc:
        return _refused(request, tracking_code, exc, typed_reason=reason, failed_document=pk)
    if verified:
        return _done(request, case, _("The document %(name)s was verified.") % {"name": row.name})
    return _done(request, case, _("The document %(name)s was rejected.") % {"name": row.name})


@login_required
@require_POST
def document_upload_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    case, _roles = _case_or_404(request, tracking_code)
    form = DocumentUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _case_page(
            request,
            tracking_code,
            status=400,
            error=_("Choose a file to upload."),
            failed_upload=request.POST.get("requirement", ""),
        )
    upload = form.cleaned_data["file"]
    code = form.cleaned_data["requirement"]
    try:
        document_upload(
            case=case,
            requirement=code,
            content=upload.read(),
            file_name=upload.name or code,
            actor=_user(request),
        )
    except DomainError as exc:
        return _case_page(
            request, tracking_code, status=exc.status, error=domain_message(exc), failed_upload=code
        )
    return _done(request, case, _("The file was received."))


@login_required
@require_GET
def inquiry_attachment(request: HttpRequest, tracking_code: str, pk: int) -> FileResponse:
    """A file an agency sent with its answer, to anyone who may see the case; 404 to everyone else."""
    case, _roles = _case_or_404(request, tracking_code)
    attachment = attachment_of_case(case=case, pk=pk)
    if attachment is None:
        raise Http404
    return file_download(
        attachment.file, original_name=attachment.original_name, content_type=attachment.content_type
    )


@login_required
@require_POST
def case_rate_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    case, _roles = _case_or_404(request, tracking_code)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _case_page(request, tracking_code, status=400, rating_form=form)
    try:
        case_rate(
            case=case,
            actor=_user(request),
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        return _case_page(request, tracking_code, status=exc.status, error=domain_message(exc))
    return _done(request, case, _("Thank you for your rating."))


def _followup_refused(
    request: HttpRequest, tracking_code: str, exc: DomainError, *, form_name: str, form: Any
) -> HttpResponse:
    """The case page again with the follow-up form that was refused, the text the person typed kept
    and the service's message beside the field it names; a reopen form carries the case's current
    version, so a second try after a conflict acts on what the page now shows."""
    if isinstance(form, CaseReopenForm):
        fresh, _roles = _case_or_404(request, tracking_code)
        form = CaseReopenForm({"expected_version": fresh.version, "reason": form.cleaned_data["reason"]})
        form.is_valid()
    field = "text" if "text" in form.fields else "reason"
    for message in exc.field_messages().get("text", []):
        form.add_error(field, message)
    return _case_page(
        request, tracking_code, status=exc.status, error=domain_message(exc), followup_forms={form_name: form}
    )


@login_required
@require_POST
def case_note_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """The applicant adds information to their open case (a note on the public timeline)."""
    case, roles = _case_or_404(request, tracking_code)
    if APPLICANT not in roles:
        raise PermissionDenied
    form = CaseNoteForm(request.POST)
    if not form.is_valid():
        return _case_page(
            request,
            tracking_code,
            status=400,
            error=_("The form was incomplete; try again."),
            followup_forms={"note_form": form},
        )
    try:
        case_note_add(case=case, actor=_user(request), text=form.cleaned_data["text"])
    except DomainError as exc:
        return _followup_refused(request, tracking_code, exc, form_name="note_form", form=form)
    return _done(request, case, _("Your information was added to the case."))


@login_required
@require_POST
def case_reopen_view(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """The applicant reopens their resolved case within its service's window, with a reason."""
    case, roles = _case_or_404(request, tracking_code)
    if APPLICANT not in roles:
        raise PermissionDenied
    form = CaseReopenForm(request.POST)
    if not form.is_valid():
        return _case_page(
            request,
            tracking_code,
            status=400,
            error=_("The form was incomplete; try again."),
            followup_forms={"reopen_form": form},
        )
    try:
        case_reopen(
            case=case,
            actor=_user(request),
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["expected_version"],
        )
    except DomainError as exc:
        return _followup_refused(request, tracking_code, exc, form_name="reopen_form", form=form)
    return _done(request, case, _("The case was reopened; it is being handled again."))


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Cases waiting on the user's roles, overdue first; or a search within the user's scope."""
    user = _user(request)
    if not is_staff_member(user=user):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:100]
    page = page_query(request)
    if query:
        result = cases_search(user=user, query=query, page=page, page_size=INBOX_PAGE_SIZE)
    else:
        result = inbox_for(user=user, page=page, page_size=INBOX_PAGE_SIZE)
    return render(
        request,
        "web/inbox.html",
        {"nav": "inbox", "rows": result.rows, "page": result.page, "query": query},
    )


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.person_id is None:
        messages.info(request, _("Complete your details first: your national code links your cases to you."))
        return redirect("web:account")
    result = cases_of_applicant(user=user, page=page_query(request))
    return render(request, "web/my_cases.html", {"nav": "my_cases", "rows": result.rows, "page": result.page})
