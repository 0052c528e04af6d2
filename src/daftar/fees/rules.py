"""What the fees package registers with the engine: the registers as fee-rule context (a case's
linked property, business or vehicle), the ``record_has_no_debt`` guard of the clearance
certificate, and re-checking the cases of a record once one of its bills is paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from daftar.billing.models import Bill
from daftar.billing.payments import bill_paid
from daftar.billing.selectors import record_contexts
from daftar.cases.models import Case
from daftar.cases.services import case_auto_advance_on_commit
from daftar.core.money import Unit, format_rials
from daftar.core.text import to_persian_digits
from daftar.offices.models import City
from daftar.workflow.registry import GuardResult, guards

from .selectors import RECORD_KINDS, Debt, record_context, record_debts

DEBTS_LISTED = 10  # bills named in the guard's message; the rest are counted
CASES_RECHECKED = 20  # open cases of one record re-checked when its bill is paid


@record_contexts.register("property")
def property_record(city: City, key: str) -> Mapping[str, Any] | None:
    return record_context(city=city, kind="property", key=key)


@record_contexts.register("business")
def business_record(city: City, key: str) -> Mapping[str, Any] | None:
    return record_context(city=city, kind="business", key=key)


@record_contexts.register("vehicle")
def vehicle_record(city: City, key: str) -> Mapping[str, Any] | None:
    return record_context(city=city, kind="vehicle", key=key)


def case_debts(case: Case) -> list[Debt]:
    """Unpaid bills of the records the case is linked to, other than the case's own bills."""
    owed: list[Debt] = []
    for kind, key in (case.links or {}).items():
        if kind in RECORD_KINDS and key:
            owed += record_debts(
                city=case.city, subject_kind=kind, subject_key=str(key), exclude_case_id=case.pk
            ).debts
    return owed


@guards.register("record_has_no_debt")
def record_has_no_debt(case: Case) -> GuardResult:
    owed = case_debts(case)
    if not owed:
        return GuardResult.passed()
    unit: Unit = "toman" if settings.DAFTAR_MONEY_UNIT == "toman" else "rial"
    listed = [
        gettext("bill %(number)s «%(title)s»: %(amount)s")
        % {
            "number": to_persian_digits(debt.bill.number),
            "title": debt.bill.title,
            "amount": format_rials(debt.due, unit=unit),
        }
        for debt in owed[:DEBTS_LISTED]
    ]
    if len(owed) > DEBTS_LISTED:
        listed.append(
            gettext("and %(count)s more bills") % {"count": to_persian_digits(str(len(owed) - DEBTS_LISTED))}
        )
    return GuardResult.failed(
        gettext("The record still owes %(total)s; settle these first (one bill can pay them all): %(bills)s.")
        % {"total": format_rials(sum(debt.due for debt in owed), unit=unit), "bills": "؛ ".join(listed)}
    )


def _recheck_record_cases(sender: type[Bill], *, bill: Bill, **_kwargs: Any) -> None:
    """A record's bill was paid: its open cases (a clearance waiting on the debt) may move on now."""
    kind, key = bill.subject_kind, bill.subject_key
    if kind not in RECORD_KINDS or not key:
        return
    cases = Case.objects.filter(city_id=bill.city_id, closed_at__isnull=True)
    cases = cases.filter(renewal_code=key) if kind == "property" else cases.filter(**{f"links__{kind}": key})
    if bill.case_id is not None:  # billing re-checks the bill's own case
        cases = cases.exclude(pk=bill.case_id)
    for case_id in cases.order_by("-pk").values_list("pk", flat=True)[:CASES_RECHECKED]:
        case_auto_advance_on_commit(case_id=case_id)


bill_paid.connect(_recheck_record_cases, dispatch_uid="fees.record_cases")
