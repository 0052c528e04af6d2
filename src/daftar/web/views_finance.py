"""The office counter's bill pages (find, collect, receipt, the day's cash-up) and the city's finance
pages (monthly settlement, reconciliation queue, amending and cancelling bills).

Who may do what:

* counter pages: staff with ``office_operator`` or ``office_manager`` at an active office, acting for
  the office chosen at the desk (the same session choice as the case desk). They find and collect
  bills of their office's city (a bill may be paid at any office of its city); a bill of another
  city is "not found". The cash-up shows only their office's payments.
* reversing a counter payment: only the ``office_manager`` of the office that took it, and only on
  the day it was taken (Tehran time): the terminal's slip and the cash are still at hand to check,
  and an earlier day's cash-up, already handed over, stays as it was. Later corrections are
  refunds, decided by finance.
* finance pages: the city-scoped roles ``finance_officer``, ``auditor`` and ``city_administrator``
  of the city read them; only a ``finance_officer`` acts (reconcile, refund, amend, cancel).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.billing.models import PAYABLE_STATUSES, Bill, PaymentStatus
from daftar.billing.numbers import bill_number_clean
from daftar.billing.payments import payment_amount_due, payment_collect_at_counter, payments_reconcile
from daftar.billing.refunds import payment_flag_refund, payment_reverse, refund_pay
from daftar.billing.selectors import FINANCE_ROLES, bill_items, payments_of_bill
from daftar.billing.services import bill_amend, bill_cancel
from daftar.billing.settlement import bill_events as bill_events_of
from daftar.billing.settlement import (
    bill_lines,
    cash_up_csv,
    counter_bill,
    counter_bills_find,
    counter_payment,
    counter_tariff_due,
    month_title,
    office_cash_up,
    office_settlement,
    payment_of_city,
    payments_awaiting_bank,
    payments_flagged,
    receipt_number_of,
    refund_payable,
    refunds_to_pay,
    settlement_csv,
    settlement_totals,
    settlement_xlsx,
)
from daftar.core.errors import DomainError
from daftar.core.jalali import local_today, tehran_date, to_jalali
from daftar.offices.models import City, Office
from daftar.offices.selectors import offices_staff_of

from .access import desk_offices
from .forms_finance import (
    AmendAddForm,
    AmendRemoveForm,
    BillNumberForm,
    CancelForm,
    CollectForm,
    CounterLookupForm,
    DayForm,
    FlagRefundForm,
    MonthForm,
    RefundPayForm,
    ReverseForm,
    domain_error_to_form,
)
from .templatetags.daftar import fa_digits
from .views import ratelimited
from .views_desk import SESSION_OFFICE

staff_required = login_required(login_url="web:staff_signin")
PENDING_AFTER = timedelta(minutes=15)  # an online payment still pending after this is worth a look


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _unit() -> str:
    return str(settings.DAFTAR_MONEY_UNIT)


def _url_or(name: str, *args: str) -> str:
    """The page's address, or "" while the page does not exist yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- the counter ---------------------------------------------------------------------------------


def _counter(request: HttpRequest) -> tuple[Office, bool]:
    """The office whose counter the user works (chosen at the desk) and whether they manage it."""
    user = _user(request)
    offices = desk_offices(user=user)
    if not offices:
        raise PermissionDenied
    chosen = request.session.get(SESSION_OFFICE)
    office = next((o for o in offices if o.pk == chosen), offices[0])
    manager = any(
        a.office_id == office.pk and a.role == Role.OFFICE_MANAGER.value for a in offices_staff_of(user=user)
    )
    return office, manager


def _lookup_limited(request: HttpRequest) -> bool:
    """Bills are found by codes that can be guessed: each user gets PAYMENT_LOOKUP_RATE_PER_IP."""
    return bool(
        is_ratelimited(
            request,
            group="counter-bill-lookup",
            key="user_or_ip",
            rate=settings.PAYMENT_LOOKUP_RATE_PER_IP,
            increment=True,
        )
    )


@staff_required
@require_GET
def desk_bills(request: HttpRequest) -> HttpResponse:
    """Find bills of the office's city by bill ID, renewal code, plate or payer's national code."""
    office, _manager = _counter(request)
    form = CounterLookupForm(request.GET if "q" in request.GET else None)
    bills: list[Bill] | None = None
    status = 200
    if form.is_bound:
        if _lookup_limited(request):
            return ratelimited(request, Ratelimited())
        if form.is_valid():
            data = form.cleaned_data
            bills = counter_bills_find(
                city=office.city, kind=data["kind"], key=data["key"], open_only=not data["closed"]
            )
            if data["kind"] == "bill" and len(bills) == 1:
                return redirect("web:desk_bill", number=bills[0].number)
        else:
            status = 400
    return render(
        request,
        "web/desk_bills.html",
        {"nav": "desk_bills", "office": office, "form": form, "bills": bills, "unit": _unit()},
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def desk_bill(request: HttpRequest, number: str) -> HttpResponse:
    """A bill at the counter: its lines, what it owes today, and the form to record a card payment."""
    office, _manager = _counter(request)
    if request.method == "GET" and _lookup_limited(request):
        return ratelimited(request, Ratelimited())
    clean = bill_number_clean(number)
    bill = counter_bill(city=office.city, number=clean) if clean else None
    if bill is None:
        raise Http404
    payable = bill.status in PAYABLE_STATUSES and bill.outstanding > 0
    counter_tariff = counter_tariff_due(bill=bill, office=office) if payable else 0
    form = CollectForm(request.POST or None, partial=bill.allow_partial)
    status = 200
    if request.method == "POST":
        if not payable:
            form.add_error(None, _("This bill has nothing left to pay."))
            status = 409
        elif form.is_valid():
            try:
                payment = payment_collect_at_counter(
                    bill=bill,
                    office=office,
                    actor=_user(request),
                    terminal_reference=form.cleaned_data["reference"],
                    amount=form.cleaned_data.get("amount"),
                )
            except DomainError as exc:
                domain_error_to_form(form, exc)
                status = exc.status
            else:
                messages.success(request, _("The payment is recorded."))
                return redirect("web:desk_payment", order_id=payment.order_id)
        else:
            status = 400
    return render(
        request,
        "web/desk_bills_detail.html",
        {
            "nav": "desk_bills",
            "office": office,
            "bill": bill,
            "items": bill_items(bill=bill),
            "payments": list(payments_of_bill(bill=bill)),
            "due_today": payment_amount_due(bill=bill) + counter_tariff if payable else 0,
            "counter_tariff": counter_tariff,
            "payable": payable,
            "form": form,
            "unit": _unit(),
        },
        status=status,
    )


def _payment_page(
    request: HttpRequest,
    office: Office,
    manager: bool,
    order_id: str,
    *,
    form: ReverseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    payment = counter_payment(office=office, order_id=order_id)
    if payment is None:
        raise Http404
    # The signed PDF receipt: downloaded when issued, else issued on first request (citizen pages).
    receipt = receipt_number_of(payment=payment)
    if receipt:
        receipt_url = _url_or("web:receipt_pdf", receipt)
        receipt_url = f"{receipt_url}?bill={payment.bill.number}" if receipt_url else ""
    elif payment.status == PaymentStatus.SUCCEEDED:
        receipt_url = _url_or("web:payment_receipt", payment.order_id)
    else:
        receipt_url = ""
    reversible = (
        manager
        and payment.status == PaymentStatus.SUCCEEDED
        and payment.completed_at is not None
        and tehran_date(payment.completed_at) == local_today()
    )
    return render(
        request,
        "web/desk_bills_paid.html",
        {
            "nav": "desk_bills",
            "office": office,
            "payment": payment,
            "bill": payment.bill,
            "receipt_url": receipt_url,
            "bill_url": _url_or("web:bill", payment.bill.number),
            "reversible": reversible,
            "reverse_form": form or ReverseForm(),
            "unit": _unit(),
        },
        status=status,
    )


@staff_required
@require_GET
def desk_payment(request: HttpRequest, order_id: str) -> HttpResponse:
    """The printable record of a counter payment, for the office that took it."""
    office, manager = _counter(request)
    return _payment_page(request, office, manager, order_id)


@staff_required
@require_POST
def desk_payment_reverse(request: HttpRequest, order_id: str) -> HttpResponse:
    """The office manager undoes a counter payment taken today (wrong bill, slip entered by mistake)."""
    office, manager = _counter(request)
    if not manager:
        raise PermissionDenied
    payment = counter_payment(office=office, order_id=order_id)
    if payment is None:
        raise Http404
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _payment_page(request, office, manager, order_id, form=form, status=400)
    if payment.completed_at is None or tehran_date(payment.completed_at) != local_today():
        form.add_error(None, _("Only a payment taken today can be reversed here; ask finance for a refund."))
        return _payment_page(request, office, manager, order_id, form=form, status=409)
    try:
        payment_reverse(payment=payment, reason=form.cleaned_data["reason"], actor=_user(request))
    except DomainError as exc:
        domain_error_to_form(form, exc)
        return _payment_page(request, office, manager, order_id, form=form, status=exc.status)
    messages.success(request, _("The payment is reversed; the bill owes it again."))
    return redirect("web:desk_cashup")


def _cash_up(request: HttpRequest) -> tuple[Office, bool, DayForm, Any]:
    office, manager = _counter(request)
    form = DayForm(request.GET if "day" in request.GET else None)
    day = local_today()
    if form.is_bound and form.is_valid() and form.cleaned_data["day"]:
        day = form.cleaned_data["day"]
    return office, manager, form, office_cash_up(office=office, day=day)


@staff_required
@require_GET
def desk_cashup(request: HttpRequest) -> HttpResponse:
    """The office's counter payments of one day, per operator and in all; printable."""
    office, manager, form, cash = _cash_up(request)
    return render(
        request,
        "web/desk_cashup.html",
        {
            "nav": "desk_bills",
            "office": office,
            "manager": manager,
            "form": form,
            "cash": cash,
            "is_today": cash.day == local_today(),
            "day_text": "{:04d}/{:02d}/{:02d}".format(*_jalali_parts(cash.day)),
            "unit": _unit(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _jalali_parts(day: Any) -> tuple[int, int, int]:
    jd = to_jalali(day)
    return int(jd.year), int(jd.month), int(jd.day)


@staff_required
@require_GET
def desk_cashup_csv(request: HttpRequest) -> HttpResponse:
    office, _manager, form, cash = _cash_up(request)
    if form.is_bound and form.errors:
        return HttpResponse(status=400)
    year, month, day = _jalali_parts(cash.day)
    response = HttpResponse(cash_up_csv(cash), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="cashup-{office.code}-{year}-{month:02d}-{day:02d}.csv"'
    )
    return response


# --- finance -------------------------------------------------------------------------------------


def _finance_roles(request: HttpRequest) -> dict[int, tuple[City, set[str]]]:
    """The cities where the user holds a finance role, with those roles."""
    cities: dict[int, tuple[City, set[str]]] = {}
    for assignment in offices_staff_of(user=_user(request)):
        if assignment.office_id is None and assignment.role in FINANCE_ROLES:
            cities.setdefault(assignment.city_id, (assignment.city, set()))[1].add(assignment.role)
    return cities


def _finance(request: HttpRequest) -> tuple[City, bool]:
    """The finance city (``?city=code`` among the user's) and whether the user may act there."""
    cities = _finance_roles(request)
    if not cities:
        raise PermissionDenied
    wanted = request.GET.get("city", "")
    city, roles = next(
        (entry for entry in cities.values() if entry[0].code == wanted),
        sorted(cities.values(), key=lambda entry: entry[0].code)[0],
    )
    return city, Role.FINANCE_OFFICER.value in roles


def _month(request: HttpRequest) -> tuple[MonthForm, int, int]:
    form = MonthForm(request.GET if "month" in request.GET else None)
    today = to_jalali(local_today())
    year, month = int(today.year), int(today.month)
    if form.is_bound and form.is_valid() and form.cleaned_data["month"]:
        year, month = form.cleaned_data["month"]
    return form, year, month


@staff_required
@require_GET
def finance_settlement(request: HttpRequest) -> HttpResponse:
    """Each office's month: what it collected for the city, what it earned, what is owed either way."""
    city, _acts = _finance(request)
    form, year, month = _month(request)
    rows = office_settlement(city=city, year=year, month=month)
    return render(
        request,
        "web/finance_settlement.html",
        {
            "nav": "finance",
            "city": city,
            "form": form,
            "rows": rows,
            "totals": settlement_totals(rows),
            "month_title": month_title(year, month),
            "month_text": f"{year}/{month:02d}",
            "unit": _unit(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_required
@require_GET
def finance_settlement_export(request: HttpRequest, fmt: str) -> HttpResponse:
    city, _acts = _finance(request)
    form, year, month = _month(request)
    if form.is_bound and form.errors:
        return HttpResponse(status=400)
    rows = office_settlement(city=city, year=year, month=month)
    name = f"settlement-{city.code}-{year}-{month:02d}"
    if fmt == "csv":
        response = HttpResponse(settlement_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if fmt != "xlsx":
        raise Http404
    data = settlement_xlsx(rows, city=city, year=year, month=month, generated_at=timezone.now())
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _reconcile_page(
    request: HttpRequest,
    city: City,
    acts: bool,
    *,
    error: str = "",
    status: int = 200,
    forms: dict[str, Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/finance_reconcile.html",
        {
            "nav": "finance",
            "city": city,
            "acts": acts,
            "pending": list(payments_awaiting_bank(city=city, older_than=timezone.now() - PENDING_AFTER)),
            "flagged": list(payments_flagged(city=city)),
            "refunds": list(refunds_to_pay(city=city)),
            "error": error,
            "forms": forms or {},
            "unit": _unit(),
        },
        status=status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def finance_reconcile(request: HttpRequest) -> HttpResponse:
    """Payments the bank has not settled, payments held for an amount mismatch, refunds to pay back."""
    city, acts = _finance(request)
    if request.method == "GET":
        return _reconcile_page(request, city, acts)
    if not acts:
        raise PermissionDenied
    action = request.POST.get("action", "")
    user = _user(request)
    if action == "reconcile":
        report = payments_reconcile(now=timezone.now())
        messages.success(
            request,
            _(
                "Checked %(checked)s: %(settled)s paid, %(failed)s failed, %(expired)s expired, "
                "%(unreachable)s unanswered."
            )
            % {key: fa_digits(value) for key, value in vars(report).items()},
        )
        return redirect(f"{reverse('web:finance_reconcile')}?city={city.code}")
    try:
        if action == "flag_refund":
            flag_form = FlagRefundForm(request.POST)
            if not flag_form.is_valid():
                return _reconcile_page(request, city, acts, status=400, forms={"flag": flag_form})
            payment = payment_of_city(city=city, order_id=flag_form.cleaned_data["order_id"])
            if payment is None:
                raise Http404
            refund = payment_flag_refund(payment=payment, reason=flag_form.cleaned_data["reason"], actor=user)
            messages.success(request, _("Refund %(number)s is to be paid back.") % {"number": refund.number})
        elif action == "refund_pay":
            pay_form = RefundPayForm(request.POST)
            if not pay_form.is_valid():
                return _reconcile_page(request, city, acts, status=400, forms={"pay": pay_form})
            payable = refund_payable(city=city, number=pay_form.cleaned_data["refund"])
            if payable is None:
                raise Http404
            refund_pay(refund=payable, reference=pay_form.cleaned_data["reference"], actor=user)
            messages.success(
                request, _("Refund %(number)s is recorded as paid back.") % {"number": payable.number}
            )
        else:
            return _reconcile_page(request, city, acts, error=_("Unknown action."), status=400)
    except DomainError as exc:
        return _reconcile_page(request, city, acts, error=str(exc), status=exc.status)
    return redirect(f"{reverse('web:finance_reconcile')}?city={city.code}")


@staff_required
@require_GET
def finance_bills(request: HttpRequest) -> HttpResponse:
    """Open a bill by its ID."""
    city, _acts = _finance(request)
    form = BillNumberForm(request.GET if "number" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("web:finance_bill", number=form.cleaned_data["number"])
    return render(
        request,
        "web/finance_bills.html",
        {"nav": "finance", "city": city, "form": form},
        status=400 if form.is_bound else 200,
    )


def _finance_bill(request: HttpRequest, number: str) -> tuple[Bill, bool]:
    cities = _finance_roles(request)
    if not cities:
        raise PermissionDenied
    clean = bill_number_clean(number)
    bill = None
    for city, _roles in cities.values():
        if clean and (bill := counter_bill(city=city, number=clean)) is not None:
            break
    if bill is None:
        raise Http404
    return bill, Role.FINANCE_OFFICER.value in cities[bill.city_id][1]


@staff_required
@require_http_methods(["GET", "POST"])
def finance_bill(request: HttpRequest, number: str) -> HttpResponse:
    """A bill for finance: lines (taken-off ones too), payments, the audit trail; amend or cancel."""
    bill, acts = _finance_bill(request, number)
    cancel_form, add_form, remove_form = CancelForm(prefix="cancel"), AmendAddForm(prefix="add"), None
    status = 200
    if request.method == "POST":
        if not acts:
            raise PermissionDenied
        action = request.POST.get("action", "")
        user = _user(request)
        form: Any
        try:
            if action == "cancel":
                form = cancel_form = CancelForm(request.POST, prefix="cancel")
                if form.is_valid():
                    bill_cancel(bill=bill, reason=form.cleaned_data["reason"], actor=user)
                    messages.success(request, _("The bill is cancelled."))
                    return redirect("web:finance_bill", number=bill.number)
            elif action == "add":
                form = add_form = AmendAddForm(request.POST, prefix="add")
                if form.is_valid():
                    bill_amend(
                        bill=bill, reason=form.cleaned_data["reason"], actor=user, add=[form.item_spec(bill)]
                    )
                    messages.success(request, _("The line is added to the bill."))
                    return redirect("web:finance_bill", number=bill.number)
            elif action == "remove":
                form = remove_form = AmendRemoveForm(request.POST, prefix="remove")
                if form.is_valid():
                    bill_amend(
                        bill=bill,
                        reason=form.cleaned_data["reason"],
                        actor=user,
                        remove=[form.cleaned_data["seq"]],
                    )
                    messages.success(request, _("The line is taken off the bill."))
                    return redirect("web:finance_bill", number=bill.number)
            else:
                raise Http404
            status = 400
        except DomainError as exc:
            domain_error_to_form(form, exc)
            status = exc.status
    return render(
        request,
        "web/finance_bill.html",
        {
            "nav": "finance",
            "bill": bill,
            "items": bill_lines(bill=bill),
            "payments": list(payments_of_bill(bill=bill)),
            "events": bill_events_of(bill=bill),
            "acts": acts and bill.status in PAYABLE_STATUSES,
            "cancel_form": cancel_form,
            "add_form": add_form,
            "remove_form": remove_form,
            "unit": _unit(),
        },
        status=status,
    )
