"""The sandbox bank's payment page. Thin: read the payment, call a service, redirect or render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from daftar.core.money import Unit, format_rials

from .forms import (
    CANCEL,
    CLOSE_AFTER_DEBIT,
    DEBIT_DIFFERENT,
    DEBITING,
    FAIL_AFTER_DEBIT,
    PAY,
    BankPayForm,
)
from .models import SandboxPayment, SandboxState
from .services import (
    MISMATCH_EXTRA,
    SandboxRefused,
    sandbox_payment_by_authority,
    sandbox_payment_cancel,
    sandbox_payment_debit,
    sandbox_payment_time_out,
)

# After these the payer is sent back to the merchant, claiming success (OK) or not (NOK).
RETURNS = {PAY: "OK", DEBIT_DIFFERENT: "OK", CANCEL: "NOK", FAIL_AFTER_DEBIT: "NOK"}


def callback_redirect(payment: SandboxPayment, status: str) -> HttpResponseRedirect:
    """A GET to the merchant's callback URL with ``authority`` and ``status``."""
    query = urlencode({"authority": payment.authority, "status": status})
    separator = "&" if "?" in payment.callback_url else "?"
    return HttpResponseRedirect(f"{payment.callback_url}{separator}{query}")


def _context(payment: SandboxPayment, **extra: Any) -> dict[str, Any]:
    unit: Unit = "toman" if settings.DAFTAR_MONEY_UNIT == "toman" else "rial"
    return {
        "payment": payment,
        "amount": format_rials(payment.amount, unit=unit),
        "debited": format_rials(payment.debited_amount, unit=unit) if payment.debited_amount else "",
        **extra,
    }


def _act(payment: SandboxPayment, action: str, card_number: str) -> SandboxPayment:
    if action in DEBITING:
        extra = MISMATCH_EXTRA if action == DEBIT_DIFFERENT else 0
        return sandbox_payment_debit(authority=payment.authority, card_number=card_number, extra=extra)
    if action == CANCEL:
        return sandbox_payment_cancel(authority=payment.authority)
    return sandbox_payment_time_out(authority=payment.authority)


@never_cache
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, authority: str) -> HttpResponse:
    payment = sandbox_payment_by_authority(authority=authority[:64])
    if payment is None:
        raise Http404
    if payment.state != SandboxState.CREATED:
        return render(request, "sandbox_bank/done.html", _context(payment, outcome="finished"))
    form = BankPayForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "sandbox_bank/pay.html", _context(payment, form=form), status=400)
        action = form.cleaned_data["action"]
        try:
            payment = _act(payment, action, form.cleaned_data.get("card_number") or "")
        except SandboxRefused:  # finished in the meantime (a second click, another tab)
            payment.refresh_from_db()
            return render(request, "sandbox_bank/done.html", _context(payment, outcome="finished"))
        if action in RETURNS:
            return callback_redirect(payment, RETURNS[action])
        outcome = "closed" if action == CLOSE_AFTER_DEBIT else "timed_out"
        return render(request, "sandbox_bank/done.html", _context(payment, outcome=outcome))
    return render(request, "sandbox_bank/pay.html", _context(payment, form=form))
