"""Bills and payments API. Thin: every rule lives in services, payments and selectors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from ninja import Field, Header, Router, Schema
from ninja.responses import Status

from daftar.accounts.models import User
from daftar.cases.api import visible_case
from daftar.core.errors import Forbidden, InvalidValue, NotFound, RateLimited
from daftar.core.plates import validate_car_plate
from daftar.core.text import to_latin_digits
from daftar.core.validators import validate_national_code
from daftar.offices.models import Office

from .models import Bill, Payment, SubjectKind
from .numbers import bill_number_clean
from .payments import payment_amount_due, payment_collect_at_counter, payment_start
from .selectors import (
    bill_by_number,
    bill_items,
    bill_viewer_is_private,
    bills_of_case,
    bills_of_payer,
    bills_of_subject,
    payer_data_cities,
    payer_name_masked,
    payment_by_order_id,
    payments_of_bill,
)

router = Router(tags=["bills"])
MAX_LISTED = 100


class ItemOut(Schema):
    seq: int
    line: str
    fee_type: str
    title: str
    fiscal_year: int
    amount: int
    paid: int


class PaymentOut(Schema):
    order_id: str
    provider: str
    amount: int
    status: str
    reference: str
    office: str | None
    started_at: datetime
    completed_at: datetime | None


class BillOut(Schema):
    number: str
    kind: str
    status: str
    title: str
    payer_name: str
    payer_national_code: str | None
    subject_kind: str
    subject_key: str
    fiscal_year: int
    total: int
    paid: int
    outstanding: int
    due_today: int = Field(
        ..., description="what paying the whole bill today costs (rebate or penalty included)"
    )
    due_date: date
    allow_partial: bool
    case: str | None
    items: list[ItemOut]
    payments: list[PaymentOut] | None = Field(None, description="only for the payer and staff")


class PayIn(Schema):
    provider: str = Field(..., description="one of the city's online gateways, e.g. sandbox, zarinpal, zibal")
    amount: int | None = Field(None, description="rials; only for bills that allow part payment")
    return_url: str = ""


class PayOut(Schema):
    order_id: str
    amount: int
    status: str
    redirect_url: str


class CounterIn(Schema):
    office: str = Field(..., description="office code")
    terminal_reference: str
    amount: int | None = None


def _payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "order_id": payment.order_id,
        "provider": payment.provider,
        "amount": payment.amount,
        "status": payment.status,
        "reference": payment.reference,
        "office": payment.office.code if payment.office else None,
        "started_at": payment.started_at,
        "completed_at": payment.completed_at,
    }


def bill_out(bill: Bill, *, private: bool) -> dict[str, Any]:
    return {
        "number": bill.number,
        "kind": bill.kind,
        "status": bill.status,
        "title": bill.title,
        "payer_name": bill.payer_name if private else payer_name_masked(bill.payer_name),
        "payer_national_code": bill.payer_national_code if private else None,
        "subject_kind": bill.subject_kind,
        "subject_key": bill.subject_key,
        "fiscal_year": bill.fiscal_year,
        "total": bill.total,
        "paid": bill.paid,
        "outstanding": bill.outstanding,
        "due_today": payment_amount_due(bill=bill) if bill.outstanding else 0,
        "due_date": bill.due_date,
        "allow_partial": bill.allow_partial,
        "case": bill.case.tracking_code if bill.case_id and bill.case else None,
        "items": [
            {
                "seq": i.seq,
                "line": i.line,
                "fee_type": i.fee_type,
                "title": i.title,
                "fiscal_year": i.fiscal_year,
                "amount": i.amount,
                "paid": i.paid,
            }
            for i in bill_items(bill=bill)
        ],
        "payments": [_payment_out(p) for p in payments_of_bill(bill=bill)] if private else None,
    }


def _limit(request: HttpRequest) -> None:
    if is_ratelimited(
        request, group="bill-lookup", key="ip", rate=settings.PAYMENT_LOOKUP_RATE_PER_IP, increment=True
    ):
        raise RateLimited("bill.lookup_rate", _("Too many lookups; try again in a minute."), retry_after=60)


def _bill(request: HttpRequest, number: str) -> Bill:
    _limit(request)
    clean = bill_number_clean(number)
    bill = bill_by_number(number=clean) if clean else None
    if bill is None:
        raise NotFound("bill.not_found", _("No bill with this bill ID was found."))
    return bill


def _subject(kind: str, key: str) -> str:
    if kind == SubjectKind.VEHICLE:
        return validate_car_plate(key)
    text = to_latin_digits(key).strip()
    if not text:
        raise InvalidValue("bill.subject_key", _("Enter the code to look up."))
    return text


@router.get("/bills", response=list[BillOut], summary="Bills of a record (public), or your own (signed in)")
def list_bills(
    request: HttpRequest,
    renewal_code: str = "",
    plate: str = "",
    licence: str = "",
    national_code: str = "",
    include_closed: bool = False,
) -> list[dict[str, Any]]:
    user: User = request.user  # type: ignore[assignment]
    open_only = not include_closed
    lookups = [
        (SubjectKind.PROPERTY, renewal_code),
        (SubjectKind.VEHICLE, plate),
        (SubjectKind.BUSINESS, licence),
    ]
    given = [(kind, key) for kind, key in lookups if key]
    if given:
        _limit(request)
        kind, key = given[0]
        bills = bills_of_subject(kind=kind, key=_subject(kind, key), open_only=open_only)
    elif national_code:
        code = validate_national_code(national_code)
        own = bool(user.person_id and user.person and user.person.national_code == code)
        cities = payer_data_cities(user=user)
        if not own and not cities:
            raise Forbidden("bill.not_yours", _("You may look up only your own bills by national code."))
        bills = bills_of_payer(national_code=code, open_only=open_only)
        if not own:  # staff: the payer's bills in the cities they work for
            bills = bills.filter(city_id__in=cities)
    elif user.person_id and user.person:
        bills = bills_of_payer(national_code=user.person.national_code, open_only=open_only)
    else:
        raise InvalidValue("bill.lookup_missing", _("Give a renewal code, a plate or a licence number."))
    return [bill_out(b, private=bill_viewer_is_private(bill=b, user=user)) for b in bills[:MAX_LISTED]]


@router.get("/bills/{number}", response=BillOut, summary="A bill by its bill ID")
def read_bill(request: HttpRequest, number: str) -> dict[str, Any]:
    bill = _bill(request, number)
    return bill_out(bill, private=bill_viewer_is_private(bill=bill, user=request.user))


@router.post(
    "/bills/{number}/payments",
    response={201: PayOut},
    summary="Start paying a bill online (idempotent with Idempotency-Key); send the payer to redirect_url",
)
def pay_online(
    request: HttpRequest,
    number: str,
    body: PayIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    bill = _bill(request, number)
    if body.provider not in settings.DAFTAR_PAYMENT_PROVIDERS:
        raise InvalidValue(
            "payment.provider",
            _("This payment gateway is not offered."),
            fields={"provider": [_("Choose one of the offered gateways.")]},
        )
    user: User = request.user  # type: ignore[assignment]
    callback = request.build_absolute_uri(reverse("web:pay_callback", args=[body.provider]))
    started = payment_start(
        bill=bill,
        provider=body.provider,
        callback_url=callback,
        return_url=body.return_url,
        actor=user,
        payer=user.person if user.person_id else None,
        amount=body.amount,
        idempotency_key=idempotency_key,
    )
    payment = started.payment
    return Status(
        201,
        {
            "order_id": payment.order_id,
            "amount": payment.amount,
            "status": payment.status,
            "redirect_url": request.build_absolute_uri(started.redirect_url) if started.redirect_url else "",
        },
    )


@router.post(
    "/bills/{number}/counter-payments",
    response={201: PaymentOut},
    summary="Record a payment taken on the office's card terminal (office staff)",
)
def pay_at_counter(request: HttpRequest, number: str, body: CounterIn) -> Status:
    bill = _bill(request, number)
    office = Office.objects.filter(city=bill.city, code=body.office).first()
    if office is None:
        raise NotFound("office.not_found", _("No such office."))
    payment = payment_collect_at_counter(
        bill=bill,
        office=office,
        actor=request.user,  # type: ignore[arg-type]
        terminal_reference=body.terminal_reference,
        amount=body.amount,
    )
    return Status(201, _payment_out(payment))


@router.get(
    "/payments/{order_id}", response=PaymentOut, summary="A payment's status (payer, starter or staff)"
)
def read_payment(request: HttpRequest, order_id: str) -> dict[str, Any]:
    payment = payment_by_order_id(order_id=to_latin_digits(order_id).strip())
    if payment is None or not (
        payment.started_by_id == request.user.pk
        or bill_viewer_is_private(bill=payment.bill, user=request.user)
    ):
        raise NotFound("payment.not_found", _("No such payment."))
    return _payment_out(payment)


@router.get("/cases/{code}/bills", response=list[BillOut], summary="The bills of a case you have a role on")
def case_bills(request: HttpRequest, code: str) -> list[dict[str, Any]]:
    case, _roles = visible_case(request, code)
    return [bill_out(b, private=True) for b in bills_of_case(case_id=case.pk)]
