"""The clearance certificate (مفاصاحساب): issued by itself only when the property owes nothing else;
otherwise the guard lists what is owed and one bill settles it all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from daftar.billing.lines import ItemSpec
from daftar.billing.models import Bill, BillKind, BillStatus, FeeRule, ItemLine
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.services import bill_create
from daftar.cases.models import Case
from daftar.cases.services import case_file
from daftar.catalog.models import ServiceCategory, ServiceVersion
from daftar.catalog.services import service_entry_compile, service_version_load, yaml_load_strict
from daftar.certificates.models import Certificate
from daftar.core.errors import Conflict
from daftar.core.jalali import fiscal_year_bounds, local_today
from daftar.core.text import to_persian_digits
from daftar.fees.selectors import record_debts
from daftar.fees.services import annual_bills_run, clearance_bill_create
from daftar.offices.models import City, Office, Zone
from daftar.workflow.registry import guards

from .conftest import YEAR, property_add, tariffs_create
from .test_annual_billing import ledger_total, open_outstanding, receivable

CATALOG = Path(settings.DAFTAR_CATALOG_DIR)
RENEWAL_CODE = "3-123-45-6"
CLEARANCE_FEE = 500_000


@pytest.fixture
def clearance_service(categories: None, city: City) -> ServiceVersion:
    entries = yaml_load_strict(
        (CATALOG / "fees_tolls.yaml").read_text(encoding="utf-8"), source="fees_tolls.yaml"
    )
    entry = next(e for e in entries if e["code"] == "fees.clearance_certificate")
    workflows = yaml_load_strict(
        (CATALOG / "workflows.yaml").read_text(encoding="utf-8"), source="workflows.yaml"
    )
    categories_by_code = {c.code: c for c in ServiceCategory.objects.all()}
    compiled = service_entry_compile(entry, workflows=workflows, categories=categories_by_code)
    version, _changed = service_version_load(compiled=compiled)
    first, last = fiscal_year_bounds(YEAR)
    FeeRule.objects.create(
        city=city, fiscal_year=YEAR, code="fees.clearance_fee", title_fa="هزینه صدور گواهی مفاصاحساب",
        fee_type="clearance", kind="fixed", definition={"amount": CLEARANCE_FEE}, effective_from=first,
        effective_to=last,
    )  # fmt: skip
    return version


@pytest.fixture
def indebted_property(city: City, zone: Zone) -> Bill:
    """A property whose last year's annual bill is unpaid and overdue (6% late penalty by now)."""
    property_add(city, RENEWAL_CODE, zone=zone, area=120)
    tariffs_create(city, YEAR - 1, late_penalty_monthly_bp=200, overdue=True)
    annual_bills_run(city=city, fiscal_year=YEAR - 1, kind="property")
    return Bill.objects.get(subject_key=RENEWAL_CODE, fiscal_year=YEAR - 1)


def _file(service: ServiceVersion, office: Office, operator: Any, applicant: Any) -> Case:
    return case_file(
        service=service, applicant=applicant, office=office, channel="office", actor=operator,
        data={"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۴۰۲۵۵۱", "purpose": "transfer"},
    )  # fmt: skip


def _pay(bill: Bill, office: Office, operator: Any, reference: str) -> None:
    payment_collect_at_counter(bill=Bill.objects.get(pk=bill.pk), office=office, actor=operator,
                               terminal_reference=reference)  # fmt: skip


def test_the_guard_lists_what_the_property_owes_besides_the_cases_own_fee(
    clearance_service: ServiceVersion, indebted_property: Bill, office: Office, operator_user: Any,
    applicant_person: Any,
) -> None:  # fmt: skip
    case = _file(clearance_service, office, operator_user, applicant_person)
    own = Bill.objects.get(case=case)
    assert (own.total, own.status) == (CLEARANCE_FEE, BillStatus.OPEN)
    with translation.override("fa"):
        result = guards.get("record_has_no_debt")(case)
    assert not result.ok
    reason = str(result.reason)
    assert to_persian_digits(indebted_property.number) in reason
    assert indebted_property.title in reason
    owed = record_debts(
        city=case.city, subject_kind="property", subject_key=RENEWAL_CODE, exclude_case_id=case.pk
    ).total
    assert owed > indebted_property.total  # the late penalty is owed too
    assert to_persian_digits(f"{owed:,}".replace(",", "٬")) in reason
    assert to_persian_digits(f"{own.number}") not in reason  # the case's own bill is not a debt


def test_debts_include_the_penalty_due_today(indebted_property: Bill, city: City) -> None:
    debts = record_debts(city=city, subject_kind="property", subject_key="۳-۱۲۳-۴۵-۶")
    [debt] = debts.debts
    assert debt.bill == indebted_property
    assert debt.outstanding == indebted_property.total
    assert debt.penalty == indebted_property.total * 600 // 10_000  # three months late, 2% a month
    assert debts.total == debt.outstanding + debt.penalty


def test_one_bill_settles_every_open_bill_of_the_property(
    city: City, indebted_property: Bill, applicant_person: Any
) -> None:
    other = bill_create(
        city=city, kind=BillKind.ANNUAL, title="عوارض نوسازی سال قبل", fiscal_year=YEAR - 1,
        due_date=local_today(),
        items=[ItemSpec(ItemLine.MUNICIPAL_FEE, "renewal", "عوارض نوسازی", 2_400_000, YEAR - 1)],
        subject_kind="property", subject_key=RENEWAL_CODE,
    )  # fmt: skip
    case_fees = bill_create(
        city=city, kind=BillKind.CASE, title="عوارض گواهی عدم خلاف", fiscal_year=YEAR, due_date=local_today(),
        items=[ItemSpec(ItemLine.MUNICIPAL_FEE, "building", "عوارض گواهی عدم خلاف", 2_500_000, YEAR)],
        subject_kind="property", subject_key=RENEWAL_CODE,
    )  # fmt: skip
    owed = record_debts(city=city, subject_kind="property", subject_key=RENEWAL_CODE)
    # a case's own fees are the applicant's, paid with that case: not a debt of the property
    assert case_fees.pk not in {debt.bill.pk for debt in owed.debts}
    bill = clearance_bill_create(
        city=city, subject_kind="property", subject_key="۳-۱۲۳-۴۵-۶", actor=None, payer=applicant_person
    )
    assert (bill.kind, bill.subject_key, bill.payer, bill.total) == (
        "clearance",
        RENEWAL_CODE,
        applicant_person,
        owed.total,
    )
    lines = list(bill.items.order_by("seq").values_list("line", "amount", "carried_from"))
    assert sorted(lines, key=str) == sorted(
        [
            ("penalty", owed.debts[0].penalty, None),
            ("arrears", indebted_property.total, indebted_property.pk),
            ("arrears", 2_400_000, other.pk),
        ],
        key=str,
    )
    assert set(
        Bill.objects.filter(pk__in=[indebted_property.pk, other.pk]).values_list("status", flat=True)
    ) == {BillStatus.CARRIED}
    assert record_debts(city=city, subject_kind="property", subject_key=RENEWAL_CODE).debts[0].bill == bill
    assert ledger_total() == 0
    assert receivable(city) == open_outstanding(city)


def test_a_property_that_owes_nothing_gets_no_settlement_bill(city: City, zone: Zone) -> None:
    property_add(city, RENEWAL_CODE, zone=zone)
    with pytest.raises(Conflict) as caught:
        clearance_bill_create(
            city=city, subject_kind="property", subject_key=RENEWAL_CODE, actor=None, payer=None
        )
    assert caught.value.code == "fees.nothing_owed"


def test_the_certificate_is_issued_by_itself_once_the_fee_and_every_debt_are_paid(
    clearance_service: ServiceVersion, indebted_property: Bill, office: Office, operator_user: Any,
    applicant_person: Any, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        case = _file(clearance_service, office, operator_user, applicant_person)
    assert Case.objects.get(pk=case.pk).state == "submitted"
    with django_capture_on_commit_callbacks(execute=True):
        _pay(Bill.objects.get(case=case), office, operator_user, "310001")
    assert Case.objects.get(pk=case.pk).state == "submitted"  # the old annual bill is still owed
    assert not Certificate.objects.filter(case=case).exists()

    settlement = clearance_bill_create(
        city=case.city, subject_kind="property", subject_key=RENEWAL_CODE, actor=operator_user, payer=None
    )
    assert settlement.payer_national_code == "0012345679"  # the owner, when no payer is named
    with django_capture_on_commit_callbacks(execute=True):
        _pay(settlement, office, operator_user, "310002")
    case.refresh_from_db()
    assert (case.state, case.outcome) == ("issued", "approved")
    assert Certificate.objects.filter(case=case).count() == 1
    assert ledger_total() == 0
    assert receivable(case.city) == open_outstanding(case.city) == 0


def test_a_property_without_debts_is_cleared_as_soon_as_the_fee_is_paid(
    clearance_service: ServiceVersion, city: City, zone: Zone, office: Office, operator_user: Any,
    applicant_person: Any, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    property_add(city, RENEWAL_CODE, zone=zone)
    case = _file(clearance_service, office, operator_user, applicant_person)
    assert guards.get("record_has_no_debt")(case).ok
    with django_capture_on_commit_callbacks(execute=True):
        _pay(Bill.objects.get(case=case), office, operator_user, "320001")
    assert Case.objects.get(pk=case.pk).state == "issued"
    assert Certificate.objects.filter(case=case).count() == 1


def test_paying_a_records_bill_rechecks_the_open_cases_linked_to_it(
    clearance_service: ServiceVersion, indebted_property: Bill, office: Office, operator_user: Any,
    applicant_person: Any, django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:  # fmt: skip
    from daftar.fees.rules import _recheck_record_cases

    case = _file(clearance_service, office, operator_user, applicant_person)
    with django_capture_on_commit_callbacks() as callbacks:
        _recheck_record_cases(Bill, bill=indebted_property)
    assert len(callbacks) == 1  # the clearance case of the property
    other = bill_create(
        city=case.city, kind=BillKind.CASE, title="عوارض کسب و پیشه", fiscal_year=YEAR,
        due_date=local_today(), items=[ItemSpec(ItemLine.MUNICIPAL_FEE, "business", "کسب", 3_200_000, YEAR)],
        subject_kind="business", subject_key="5931728154",
    )  # fmt: skip
    with django_capture_on_commit_callbacks() as callbacks:
        _recheck_record_cases(Bill, bill=other)
    assert callbacks == []  # no open case is linked to that business
