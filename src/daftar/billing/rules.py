"""What billing registers with the engine: the case's bill on filing, the ``bill_paid`` guard,
and moving a case on once its bill is paid."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.cases.services import case_auto_advance_on_commit, case_filed
from daftar.workflow.registry import GuardResult, guards

from .models import Bill
from .payments import bill_paid
from .selectors import case_bills_settled
from .services import bill_for_case_create


def _issue_case_bill(sender: type[Case], *, case: Case, actor: User | None, **_kwargs: Any) -> None:
    bill_for_case_create(case=case, actor=actor, case_is_new=True)  # case_filed: inside the filing


def _advance_paid_case(sender: type[Bill], *, bill: Bill, **_kwargs: Any) -> None:
    if bill.case_id is not None:
        case_auto_advance_on_commit(case_id=bill.case_id)


case_filed.connect(_issue_case_bill, dispatch_uid="billing.case_bill")
bill_paid.connect(_advance_paid_case, dispatch_uid="billing.case_advance")


@guards.register("bill_paid")
def bill_paid_guard(case: Case) -> GuardResult:
    if case_bills_settled(case_id=case.pk):
        return GuardResult.passed()
    return GuardResult.failed(_("The case's fees have not been paid yet."))
