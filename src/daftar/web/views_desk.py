"""The counter desk: find or register the applicant, pick a service, fill its form, print a receipt.

The chosen applicant and office travel in the session (server-side), and are re-read and
re-checked on every step; nothing the browser sends names an applicant.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import Person, User
from daftar.accounts.selectors import person_by_code, person_by_pk
from daftar.accounts.services import person_register
from daftar.appointments.selectors import booking_by_code
from daftar.appointments.services import booking_attach_case, booking_check_in
from daftar.cases.selectors import case_for_user
from daftar.cases.tracking import display
from daftar.catalog.models import ServiceVersion
from daftar.catalog.selectors import service_current, services_current
from daftar.core.errors import DomainError
from daftar.documents.selectors import document_checklist
from daftar.offices.models import Office

from .access import DESK_ROLES, desk_offices
from .filing import DocumentRefused, file_with_documents
from .forms_booking import BookingCheckInForm
from .forms_cases import ApplicantFindForm, ApplicantRegisterForm, ServiceSearchForm
from .intake_form import IntakeForm, intake_form
from .views import ratelimited

SESSION_APPLICANT = "desk_applicant"
SESSION_OFFICE = "desk_office"
SESSION_BOOKING = "desk_booking"  # appointments: the booking checked in here, linked to the case filed next
REGISTER_PREFIX = "reg"
staff_required = login_required(login_url="web:staff_signin")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _desk_office(request: HttpRequest) -> tuple[Office, list[Office]]:
    """The office this desk files for; 403 unless the user works the counter of an active office."""
    offices = desk_offices(user=_user(request))
    if not offices:
        raise PermissionDenied
    chosen = request.session.get(SESSION_OFFICE)
    office = next((o for o in offices if o.pk == chosen), offices[0])
    return office, offices


def _applicant(request: HttpRequest) -> Person | None:
    return person_by_pk(pk=request.session.get(SESSION_APPLICANT))


def _choose_applicant(request: HttpRequest, person: Person) -> HttpResponse:
    request.session[SESSION_APPLICANT] = person.pk
    request.session.pop(SESSION_BOOKING, None)
    return redirect("web:desk_services")


# --- appointments: check a booking in, then link it to the case filed for it -----------------------


def _check_in(request: HttpRequest, form: BookingCheckInForm, office: Office) -> HttpResponse | int:
    """The booking's person becomes the applicant and its service's form opens; or an error status."""
    rate = getattr(settings, "DAFTAR_BOOKING_LOOKUP_RATE", "60/m")
    if is_ratelimited(request, group="booking-lookup", key="user", rate=rate, method="POST", increment=True):
        return ratelimited(request, Ratelimited())
    if not form.is_valid():
        return 400
    try:
        booking = booking_check_in(code=form.cleaned_data["code"], office=office, actor=_user(request))
    except DomainError as exc:
        form.add_domain_error(exc)
        return exc.status
    request.session[SESSION_APPLICANT] = booking.person_id
    request.session[SESSION_BOOKING] = booking.code
    messages.success(request, _("Booking %(code)s is checked in.") % {"code": booking.code})
    return redirect("web:desk_file", code=booking.service_type.code)


def _attach_booking(request: HttpRequest, case: Any) -> None:
    """The case filed for the checked-in booking's person and service becomes the booking's."""
    booking = booking_by_code(code=request.session.get(SESSION_BOOKING) or "")
    if booking is None or booking.person_id != case.applicant_id:
        return
    if booking.service_type_id != case.service_version.service_type_id:
        return
    request.session.pop(SESSION_BOOKING, None)
    try:
        booking_attach_case(booking=booking, case=case)
    except DomainError as exc:
        messages.warning(request, str(exc))


def grouped_by_category(services: list[ServiceVersion]) -> list[tuple[Any, list[ServiceVersion]]]:
    """Services by category, in catalogue order (services_current already sorts by category)."""
    return [
        (category, list(items))
        for category, items in groupby(services, key=lambda v: v.service_type.category)
    ]


@staff_required
def desk(request: HttpRequest) -> HttpResponse:
    """Step 1: the applicant, found by national code or registered here."""
    office, offices = _desk_office(request)
    find_form = ApplicantFindForm()
    register_form: ApplicantRegisterForm | None = None
    check_in_form = BookingCheckInForm()
    status = 200
    step = request.POST.get("step", "")
    if request.method == "POST" and step == "office":
        picked = next((o for o in offices if str(o.pk) == request.POST.get("office")), None)
        if picked is not None:
            request.session[SESSION_OFFICE] = picked.pk
        return redirect("web:desk")
    if request.method == "POST" and step == "clear":
        request.session.pop(SESSION_APPLICANT, None)
        request.session.pop(SESSION_BOOKING, None)
        return redirect("web:desk")
    if request.method == "POST" and step == "booking":
        check_in_form = BookingCheckInForm(request.POST)
        checked = _check_in(request, check_in_form, office)
        if isinstance(checked, HttpResponse):
            return checked
        status = checked
    if request.method == "POST" and step == "find":
        find_form = ApplicantFindForm(request.POST)
        if find_form.is_valid():
            person = person_by_code(national_code=find_form.cleaned_data["national_code"])
            if person is not None:
                return _choose_applicant(request, person)
            code = find_form.cleaned_data["national_code"]
            register_form = ApplicantRegisterForm(
                prefix=REGISTER_PREFIX,
                initial={"national_code": code, "kind": "legal" if len(code) == 11 else "real"},
            )
            messages.info(
                request, _("No one is registered with this code yet. Register the applicant below.")
            )
        else:
            status = 400
    if request.method == "POST" and step == "register":
        register_form = ApplicantRegisterForm(request.POST, prefix=REGISTER_PREFIX)
        if register_form.is_valid():
            data = register_form.cleaned_data
            try:
                person = person_register(
                    kind=data["kind"],
                    national_code=data["national_code"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    legal_name=data["legal_name"],
                    mobile=data["mobile"],
                )
            except DomainError as exc:
                register_form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("The applicant is registered."))
                return _choose_applicant(request, person)
        else:
            status = 400
    return render(
        request,
        "web/desk.html",
        {
            "nav": "desk",
            "step": 1,
            "office": office,
            "offices": offices,
            "applicant": _applicant(request),
            "find_form": find_form,
            "register_form": register_form or ApplicantRegisterForm(prefix=REGISTER_PREFIX),
            "register_open": register_form is not None,
            "check_in_form": check_in_form,
        },
        status=status,
    )


@staff_required
def desk_services(request: HttpRequest) -> HttpResponse:
    """Step 2: the service, searched by name, grouped by family; only those filed at offices."""
    office, _offices = _desk_office(request)
    applicant = _applicant(request)
    if applicant is None:
        messages.info(request, _("First find or register the applicant."))
        return redirect("web:desk")
    form = ServiceSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    services = services_current(channel="office", query=query)
    return render(
        request,
        "web/desk_services.html",
        {
            "nav": "desk",
            "step": 2,
            "office": office,
            "applicant": applicant,
            "form": form,
            "query": query,
            "groups": grouped_by_category(services),
            "count": len(services),
        },
    )


def fileable(code: str, channel: str) -> ServiceVersion:
    service = service_current(code=code)
    if service is None or channel not in (service.channels or []):
        raise Http404
    return service


def file_or_errors(
    request: HttpRequest,
    *,
    form: IntakeForm,
    service: ServiceVersion,
    applicant: Person,
    office: Office | None,
    channel: str,
) -> tuple[Any, int]:
    """File the case from a valid form; returns (case, 200) or (None, status) with errors on the form."""
    try:
        case = file_with_documents(
            form=form,
            service=service,
            applicant=applicant,
            office=office,
            channel=channel,
            actor=_user(request),
        )
    except DocumentRefused as refused:
        form.add_domain_errors(refused.error, document=refused.requirement)
        return None, refused.error.status
    except DomainError as exc:
        form.add_domain_errors(exc)
        return None, exc.status
    return case, 200


@staff_required
def desk_file(request: HttpRequest, code: str) -> HttpResponse:
    """Step 3: the service's form; filing and its documents happen together or not at all."""
    office, _offices = _desk_office(request)
    applicant = _applicant(request)
    if applicant is None:
        messages.info(request, _("First find or register the applicant."))
        return redirect("web:desk")
    service = fileable(code, "office")
    status = 200
    if request.method == "POST":
        form = intake_form(service, request.POST, request.FILES)
        if form.is_valid():
            case, status = file_or_errors(
                request, form=form, service=service, applicant=applicant, office=office, channel="office"
            )
            if case is not None:
                _attach_booking(request, case)
                messages.success(
                    request,
                    _("The case was filed. Tracking code: %(code)s") % {"code": display(case.tracking_code)},
                )
                return redirect("web:desk_receipt", tracking_code=case.tracking_code)
        else:
            status = 400
    else:
        form = intake_form(service)
    return render(
        request,
        "web/file_form.html",
        {
            "nav": "desk",
            "step": 3,
            "mode": "desk",
            "office": office,
            "applicant": applicant,
            "service": service,
            "form": form,
        },
        status=status,
    )


@staff_required
def desk_receipt(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """Step 4: the printable receipt, for the staff of the office that filed the case."""
    found = case_for_user(tracking_code=tracking_code, user=_user(request))
    if found is None or not found[1] & DESK_ROLES:
        raise Http404
    case, _roles = found
    track_url = (
        f"{settings.DAFTAR_PUBLIC_BASE_URL.rstrip('/')}{reverse('web:track')}?code={case.tracking_code}"
    )
    received = [row for row in document_checklist(case=case) if row.document is not None]
    return render(
        request,
        "web/desk_receipt.html",
        {
            "nav": "desk",
            "step": 4,
            "case": case,
            "code_display": display(case.tracking_code),
            "received": received,
            "track_url": track_url,
        },
    )
