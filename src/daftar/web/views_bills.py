"""Citizens' bill pages: my bills and the public lookup, a bill, paying it online, the bank's
callback, the payment's result, receipts (PDF) and their public verification.

Who sees what (the bill ID is what a citizen holds, printed on the bill or sent by SMS):

* Anyone holding a bill ID may open the bill and pay it, as at any bank. The payer's name is
  then shown masked (first letters) and the national code, case link and payment references not
  at all; those are shown only to whom ``billing.selectors.bill_viewer_is_private`` allows: the
  payer (the signed-in citizen whose national code is the bill's), the counter staff (operator,
  manager) of any office in the bill's city, who collect any bill there, and the city's finance
  officers, auditors and administrators.
* The lookup by renewal code, plate or bill ID lists what a record owes, masked the same way.
* A receipt PDF goes to the payer, the staff of the office that collected the payment or that the
  bill is for, the city's finance roles, and to anyone presenting the bill ID with it
  (``?bill=<bill ID>``): the receipt carries no more personal data than the bill page shows.
* Everything looked up by a typed or guessable code is rate limited per connection (signed-in
  users per account): ``settings.PAYMENT_LOOKUP_RATE_PER_IP`` for lookups, bills and receipts,
  ``settings.CERTIFICATE_VERIFY_RATE_PER_IP`` for receipt verification.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_ratelimit import ALL
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.billing.gateways import gateway_classes
from daftar.billing.models import PAYABLE_STATUSES, Bill, Payment, PaymentStatus, Receipt
from daftar.billing.payments import payment_amount_due, payment_callback, payment_recheck, payment_start
from daftar.billing.receipts import (
    PROVIDER_NAMES_FA,
    money_unit,
    paid_at_of,
    receipt_by_number,
    receipt_issue,
    receipt_pdf,
    receipt_verification,
)
from daftar.billing.selectors import (
    COUNTER_ROLES,
    FINANCE_ROLES,
    bill_by_number,
    bill_items,
    bill_viewer_is_private,
    bills_of_payer,
    bills_of_subject,
    payer_name_masked,
    payment_by_order_id,
    payments_of_bill,
)
from daftar.billing.services import bill_adjustments_quote
from daftar.core.errors import DomainError
from daftar.core.jalali import local_today
from daftar.fees.services import clearance_bill_create
from daftar.offices.selectors import city_default, offices_staff_of

from .case_display import page_query
from .forms_bills import BILL_ID, PLATE, PROVIDER_LABELS, BillLookupForm, BillPayForm
from .views import ratelimited

PAGE_SIZE = 20
LOOKUP_LIMIT = 50
PAYMENTS_SHOWN = 50
# The same English msgids as billing's model choices, so both read alike in Persian.
BILL_STATUS = {
    "open": gettext_lazy("Unpaid"),
    "partly_paid": gettext_lazy("Partly paid"),
    "paid": gettext_lazy("Paid"),
    "cancelled": gettext_lazy("Cancelled"),
    "carried": gettext_lazy("Carried into a newer bill"),
}
PAYMENT_STATUS = {
    "pending": gettext_lazy("Awaiting the bank"),
    "succeeded": gettext_lazy("Paid"),
    "failed": gettext_lazy("Failed"),
    "cancelled": gettext_lazy("Cancelled by the payer"),
    "expired": gettext_lazy("Expired"),
    "flagged": gettext_lazy("Held for review"),
    "reversed": gettext_lazy("Reversed"),
}
# What the result page says, by payment status.
RESULT_STATE = {
    PaymentStatus.SUCCEEDED: "paid",
    PaymentStatus.PENDING: "pending",
    PaymentStatus.FLAGGED: "flagged",
    PaymentStatus.REVERSED: "reversed",
}


# --- who may see what -----------------------------------------------------------------------------


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


def _is_payer(user: User | AnonymousUser, bill: Bill) -> bool:
    person = getattr(user, "person", None) if user.is_authenticated else None
    code = person.national_code if person is not None else ""
    return bool(code) and code == bill.payer_national_code


def _is_staff_for(user: User | AnonymousUser, bill: Bill, *, offices: set[int]) -> bool:
    """The city's finance roles, or counter staff of one of ``offices``."""
    for assignment in offices_staff_of(user=user):
        if assignment.city_id != bill.city_id:
            continue
        if assignment.office_id is None and assignment.role in FINANCE_ROLES:
            return True
        if assignment.office_id in offices and assignment.role in COUNTER_ROLES:
            return True
    return False


def sees_personal_data(user: User | AnonymousUser, bill: Bill) -> bool:
    return bill_viewer_is_private(bill=bill, user=user)


def may_download_receipt(request: HttpRequest, receipt: Receipt) -> bool:
    payment = receipt.payment
    bill = payment.bill
    if request.GET.get("bill", "").strip() == bill.number:
        return True
    offices = {pk for pk in (payment.office_id, bill.office_id) if pk is not None}
    return _is_payer(request.user, bill) or _is_staff_for(request.user, bill, offices=offices)


def _limited(request: HttpRequest, group: str, rate: str, *, key: str = "user_or_ip") -> bool:
    return bool(is_ratelimited(request, group=group, key=key, rate=rate, method=ALL, increment=True))


def _page_limited(request: HttpRequest) -> bool:
    return _limited(request, "bill-page", settings.PAYMENT_LOOKUP_RATE_PER_IP)


def providers_offered() -> list[str]:
    """The gateways the payer may choose: configured, known, and the sandbox only where it runs."""
    return [
        code
        for code in settings.DAFTAR_PAYMENT_PROVIDERS
        if code in gateway_classes and (code != "sandbox" or settings.DAFTAR_SANDBOX_BANK)
    ]


# --- rows as the pages show them ------------------------------------------------------------------


def _bill_row(bill: Bill, *, personal: bool) -> dict[str, Any]:
    return {
        "bill": bill,
        "status": BILL_STATUS.get(bill.status, bill.status),
        "payable": bill.status in PAYABLE_STATUSES,
        "payer_name": bill.payer_name if personal else payer_name_masked(bill.payer_name),
    }


def _open_first(bills: QuerySet[Bill]) -> QuerySet[Bill]:
    payable = When(status__in=PAYABLE_STATUSES, then=Value(0))
    return bills.alias(closed=Case(payable, default=Value(1), output_field=IntegerField())).order_by(
        "closed", "-created_at", "-pk"
    )


def _lookup(kind: str, key: str) -> list[Bill]:
    if kind == BILL_ID:
        bill = bill_by_number(number=key)
        return [bill] if bill is not None else []
    subject = "vehicle" if kind == PLATE else "property"
    return list(bills_of_subject(kind=subject, key=key, open_only=True)[:LOOKUP_LIMIT])


# --- my bills and the lookup ----------------------------------------------------------------------


def bills(request: HttpRequest) -> HttpResponse:
    """The signed-in citizen's bills (open ones first) and the public lookup by a record's code."""
    user = _signed_in(request)
    status = 200
    found: list[dict[str, Any]] | None = None
    settle: dict[str, str] | None = None
    if request.method == "POST":
        if _limited(request, "bill-lookup", settings.PAYMENT_LOOKUP_RATE_PER_IP, key="ip"):
            return ratelimited(request, Ratelimited())
        form = BillLookupForm(request.POST)
        if form.is_valid():
            bills_found = _lookup(form.cleaned_data["kind"], form.cleaned_data["key"])
            found = [
                _bill_row(bill, personal=bool(user) and sees_personal_data(request.user, bill))
                for bill in bills_found
            ]
            settle = _settle_offer(form.cleaned_data["kind"], form.cleaned_data["key"], bills_found)
        else:
            status = 400
    else:
        form = BillLookupForm()
    page = None
    person = user.person if user is not None else None
    if person is not None:
        mine = _open_first(bills_of_payer(national_code=person.national_code))
        page = Paginator(mine, PAGE_SIZE).get_page(page_query(request))
    return render(
        request,
        "web/bills_list.html",
        {
            "nav": "bills",
            "form": form,
            "found": found,
            "settle": settle,
            "person": person,
            "page": page,
            "rows": [_bill_row(bill, personal=True) for bill in page] if page is not None else [],
            "unit": settings.DAFTAR_MONEY_UNIT,
        },
        status=status,
    )


def _settle_offer(kind: str, key: str, found: list[Bill]) -> dict[str, str] | None:
    """A record with more than one unpaid bill is offered one bill that settles them all."""
    if kind == BILL_ID or len([b for b in found if b.status in PAYABLE_STATUSES]) < 2:
        return None
    return {"kind": "vehicle" if kind == PLATE else "property", "key": key}


@require_POST
def bills_settle(request: HttpRequest) -> HttpResponse:
    """Issue one bill carrying every unpaid bill of a record (and today's penalties), then show it."""
    if _limited(request, "bill-lookup", settings.PAYMENT_LOOKUP_RATE_PER_IP, key="ip"):
        return ratelimited(request, Ratelimited())
    kind = request.POST.get("kind", "")
    city = city_default()
    if kind not in ("property", "vehicle") or city is None:
        raise Http404
    user = _signed_in(request)
    try:
        bill = clearance_bill_create(
            city=city,
            subject_kind=kind,
            subject_key=request.POST.get("key", ""),
            actor=user,
            payer=user.person if user is not None else None,
        )
    except DomainError as exc:
        return render(
            request,
            "web/error.html",
            {"title": _("Nothing to settle"), "message": str(exc)},
            status=exc.status,
        )
    return redirect("web:bill", number=bill.number)


# --- one bill, and paying it ----------------------------------------------------------------------


def _bill_or_404(number: str) -> Bill:
    bill = bill_by_number(number=number) if number.isascii() and number.isdigit() else None
    if bill is None:
        raise Http404
    return bill


def _bill_page(
    request: HttpRequest, bill: Bill, *, form: BillPayForm | None = None, error: str = "", status: int = 200
) -> HttpResponse:
    personal = sees_personal_data(request.user, bill)
    payable = bill.status in PAYABLE_STATUSES
    providers = providers_offered()
    if form is None and payable and providers:
        form = BillPayForm(providers=providers, allow_partial=bill.allow_partial, unit=money_unit())
    context = {
        "nav": "bills",
        "bill": bill,
        "payable": payable,
        "personal": personal,
        "payer_name": bill.payer_name if personal else payer_name_masked(bill.payer_name),
        "items": bill_items(bill=bill),
        "adjustments": bill_adjustments_quote(bill=bill, on=local_today(), full_payment=True)
        if payable
        else [],
        "due_today": payment_amount_due(bill=bill) if payable else 0,
        "payments": list(payments_of_bill(bill=bill)[:PAYMENTS_SHOWN]),
        "form": form if payable else None,
        "pay_key": uuid.uuid4().hex,  # fresh on every render: a new attempt, a new key
        "error": error,
        "unit": settings.DAFTAR_MONEY_UNIT,
    }
    return render(request, "web/bills_detail.html", context, status=status)


@never_cache
@require_safe
def bill_detail(request: HttpRequest, number: str) -> HttpResponse:
    if _page_limited(request):
        raise Ratelimited()
    return _bill_page(request, _bill_or_404(number))


@require_POST
def bill_pay(request: HttpRequest, number: str) -> HttpResponse:
    """Start paying online: record the attempt, then send the payer's browser to the bank."""
    if _page_limited(request):
        raise Ratelimited()
    bill = _bill_or_404(number)
    providers = providers_offered()
    form = BillPayForm(request.POST, providers=providers, allow_partial=bill.allow_partial, unit=money_unit())
    if bill.status not in PAYABLE_STATUSES:
        return _bill_page(request, bill, error=_("This bill has nothing left to pay."), status=409)
    if not form.is_valid():
        return _bill_page(request, bill, form=form, status=400)
    user = _signed_in(request)
    provider = form.cleaned_data["provider"]
    try:
        started = payment_start(
            bill=bill,
            provider=provider,
            callback_url=request.build_absolute_uri(reverse("web:pay_callback", args=[provider])),
            return_url=reverse("web:bill", args=[bill.number]),
            actor=user,
            payer=user.person if user is not None and user.person_id else None,
            amount=form.cleaned_data.get("amount"),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except DomainError as exc:
        for name, messages in exc.field_messages().items():
            if name in form.fields:
                form.add_error(name, messages)
        error = "" if set(exc.fields) & set(form.fields) else str(exc)
        return _bill_page(request, _bill_or_404(number), form=form, error=error, status=exc.status)
    # A repeated submission of the same form is the same payment; with no page to send the payer
    # to, the result page says where it stands.
    return redirect(started.redirect_url or reverse("web:pay_result", args=[started.payment.order_id]))


@csrf_exempt  # the bank's page posts (or redirects) here; nothing is trusted until verified
@require_http_methods(["GET", "POST"])
def pay_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The payer's browser back from the bank: verify server to server, then show the result."""
    if provider not in gateway_classes or provider not in settings.DAFTAR_PAYMENT_PROVIDERS:
        raise Http404
    params = {**request.GET.dict(), **request.POST.dict()}
    try:
        payment = payment_callback(provider=provider, params=params)
    except DomainError as exc:
        return render(
            request,
            "web/error.html",
            {"title": _("The payment could not be checked"), "message": str(exc)},
            status=exc.status,
        )
    return redirect("web:pay_result", order_id=payment.order_id)


def _payment_or_404(order_id: str) -> Payment:
    payment = payment_by_order_id(order_id=order_id)
    if payment is None:
        raise Http404
    return payment


@never_cache
@require_safe
def pay_result(request: HttpRequest, order_id: str) -> HttpResponse:
    """Where the payer lands after the bank: paid, not paid, still being confirmed, or held."""
    if _page_limited(request):
        raise Ratelimited()
    payment = _payment_or_404(order_id)
    bill = payment.bill
    return render(
        request,
        "web/bills_result.html",
        {
            "nav": "bills",
            "payment": payment,
            "bill": bill,
            "state": RESULT_STATE.get(PaymentStatus(payment.status), "failed"),
            "status_label": PAYMENT_STATUS.get(payment.status, payment.status),
            "provider_label": PROVIDER_LABELS.get(payment.provider, payment.provider),
            "can_retry": bill.status in PAYABLE_STATUSES,
            "unit": settings.DAFTAR_MONEY_UNIT,
        },
    )


@require_POST
def pay_recheck(request: HttpRequest, order_id: str) -> HttpResponse:
    """«Check again»: ask the bank now about a payment still being confirmed."""
    if _page_limited(request):
        raise Ratelimited()
    payment_recheck(payment=_payment_or_404(order_id))
    return redirect("web:pay_result", order_id=order_id)


# --- receipts -------------------------------------------------------------------------------------


@require_safe
def payment_receipt(request: HttpRequest, order_id: str) -> HttpResponse:
    """The payment's receipt, issued on first request, then downloaded with the bill ID."""
    if _page_limited(request):
        raise Ratelimited()
    payment = _payment_or_404(order_id)
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Http404
    receipt = receipt_issue(payment=payment)
    return redirect(f"{reverse('web:receipt_pdf', args=[receipt.number])}?bill={payment.bill.number}")


@require_safe
def receipt_download(request: HttpRequest, number: str) -> HttpResponse:
    if _page_limited(request):
        raise Ratelimited()
    receipt = receipt_by_number(number=number)
    if receipt is None or not may_download_receipt(request, receipt):
        raise Http404
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _verify_limited(request: HttpRequest) -> bool:
    return _limited(request, "receipt-verify", settings.CERTIFICATE_VERIFY_RATE_PER_IP, key="ip")


@require_safe
def receipt_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public: whether a receipt is genuine, and its facts (payer masked, no national code)."""
    if _verify_limited(request):
        raise Ratelimited()
    verification = receipt_verification(number)
    receipt = verification.receipt
    if receipt is not None and verification.status != "unknown" and receipt.number != number:
        return redirect("web:receipt_verify", number=receipt.number)
    payload = verification.payload
    context: dict[str, Any] = {
        "nav": "verify",
        "verification": verification,
        "typed": number[:40],
        "unit": settings.DAFTAR_MONEY_UNIT,
    }
    if verification.status != "unknown" and receipt is not None:
        context |= {
            "receipt": receipt,
            "bill": payload.get("bill") or {},
            "payer": payload.get("payer") or {},
            "items": payload.get("items") or [],
            "office": payload.get("office") or None,
            "city": payload.get("city") or {},
            "provider_label": PROVIDER_NAMES_FA.get(str(payload.get("provider")), payload.get("provider")),
            "paid_at": paid_at_of(payload),
        }
    status = 404 if verification.status == "unknown" else 200
    return render(request, "web/bills_receipt_verify.html", context, status=status)


@require_safe
def receipt_payload(request: HttpRequest, number: str) -> HttpResponse:
    """The signed bytes exactly as signed, for checking offline; signature and key id in headers."""
    if _verify_limited(request):
        raise Ratelimited()
    verification = receipt_verification(number)
    receipt = verification.receipt
    if verification.status == "unknown" or receipt is None:
        return JsonResponse({"detail": "unknown receipt"}, status=404)
    response = HttpResponse(receipt.payload.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["X-Daftar-Signature"] = receipt.signature
    response["X-Daftar-Key-Id"] = receipt.key_id
    response["X-Daftar-Status"] = verification.status
    response["Cache-Control"] = "no-cache"
    return response
