"""The office counter's bill pages (find, collect, receipt, cash-up, reversal) and the finance pages
(settlement, reconciliation queue, amending and cancelling bills): flows and who may do what."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override
from openpyxl import load_workbook

from daftar.accounts.models import User
from daftar.billing.models import Bill, BillStatus, Payment, PaymentStatus, Refund, RefundStatus
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.tests.builders import (
    bill_issue,
    office_open,
    online_debit,
    online_pay,
    online_start,
    staff_member,
)
from daftar.offices.models import City, LicenceStatus, Office

pytestmark = pytest.mark.django_db
TARIFF = 300_000


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff(username: str, role: str, city: City, office: Office | None = None) -> User:
    return staff_member(username, role, city, office, first_name="کاربر", last_name=username)


@pytest.fixture
def bill(city: City, office: Office) -> Bill:
    return bill_issue(city, fee=2_000_000, tariff=TARIFF, office=office, subject_key="3-123-45-6")


@pytest.fixture
def desk(operator_user: Any) -> Client:
    return signed_in(operator_user)


@pytest.fixture
def manager(city: City, office: Office) -> User:
    return staff("manager1", "office_manager", city, office)


@pytest.fixture
def other_office(city: City, zone: Any) -> Office:
    return office_open(city, zone, code="2205", name="دفتر ۲۲۰۵ — تجریش", address="تهران")


def collect(client: Client, bill: Bill, reference: str, **extra: str) -> Any:
    return client.post(reverse("web:desk_bill", args=[bill.number]), {"reference": reference, **extra})


def persian_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


# --- who may open the counter pages ----------------------------------------------------------------


def test_counter_pages_send_visitors_to_sign_in_and_refuse_citizens(citizen_user: Any, bill: Bill) -> None:
    for url in (
        reverse("web:desk_bills"),
        reverse("web:desk_bill", args=[bill.number]),
        reverse("web:desk_cashup"),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:staff_signin"))
        assert signed_in(citizen_user).get(url).status_code == 403


def test_an_operator_of_another_city_finds_no_bill_here(bill: Bill, zone: Any) -> None:
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    office = office_open(karaj, zone, code="0101", name="دفتر کرج", address="کرج")
    client = signed_in(staff("karaj-operator", "office_operator", karaj, office))
    assert client.get(reverse("web:desk_bill", args=[bill.number])).status_code == 404
    assert collect(client, bill, "123456").status_code == 404
    assert not Payment.objects.exists()


def test_staff_of_an_office_whose_licence_is_suspended_are_refused(
    city: City, office: Office, bill: Bill
) -> None:
    client = signed_in(staff("op-susp", "office_operator", city, office))
    Office.objects.filter(pk=office.pk).update(licence_status=LicenceStatus.SUSPENDED)
    assert client.get(reverse("web:desk_bill", args=[bill.number])).status_code == 403


# --- finding and collecting ------------------------------------------------------------------------


def test_a_bill_id_typed_in_persian_digits_opens_the_bill_and_a_mistyped_one_is_refused(
    desk: Client, bill: Bill
) -> None:
    response = desk.get(reverse("web:desk_bills"), {"kind": "bill", "q": persian_digits(bill.number)})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:desk_bill", args=[bill.number])
    wrong = bill.number[:-1] + str((int(bill.number[-1]) + 1) % 10)
    response = desk.get(reverse("web:desk_bills"), {"kind": "bill", "q": wrong})
    assert response.status_code == 400
    assert 'id="id_q_errors"' in response.content.decode()


def test_bills_are_found_by_renewal_code_and_by_a_valid_payer_national_code(desk: Client, bill: Bill) -> None:
    page = desk.get(reverse("web:desk_bills"), {"kind": "renewal_code", "q": "۳-۱۲۳-۴۵-۶"}).content.decode()
    assert f'data-bill="{bill.number}"' in page
    page = desk.get(reverse("web:desk_bills"), {"kind": "national_code", "q": "۰۰۱۲۳۴۵۶۷۹"}).content.decode()
    assert f'data-bill="{bill.number}"' in page
    response = desk.get(reverse("web:desk_bills"), {"kind": "national_code", "q": "0012345678"})
    assert response.status_code == 400
    assert 'data-bill="' not in response.content.decode()


@override_settings(PAYMENT_LOOKUP_RATE_PER_IP="3/m")
def test_bill_lookups_at_the_counter_are_rate_limited(desk: Client, bill: Bill) -> None:
    for _ in range(3):
        assert desk.get(reverse("web:desk_bills"), {"kind": "renewal_code", "q": "3-1-1"}).status_code == 200
    assert desk.get(reverse("web:desk_bills"), {"kind": "renewal_code", "q": "3-1-1"}).status_code == 429


def test_collecting_at_the_counter_records_the_payment_and_prints_a_receipt(desk: Client, bill: Bill) -> None:
    page = desk.get(reverse("web:desk_bill", args=[bill.number])).content.decode()
    assert "data-due-today" in page
    assert 'name="amount"' not in page
    response = collect(desk, bill, "۶۰۳۷۹۹۱۲")
    payment = Payment.objects.get(bill=bill)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:desk_payment", args=[payment.order_id])
    assert (payment.amount, payment.reference, payment.status) == (
        2_300_000,
        "60379912",
        PaymentStatus.SUCCEEDED,
    )
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.PAID
    receipt = desk.get(response["Location"]).content.decode()
    assert "data-print" in receipt
    assert "data-reference>۶۰۳۷۹۹۱۲<" in receipt
    assert "data-amount>۲٬۳۰۰٬۰۰۰ ریال<" in receipt
    signed = reverse("web:payment_receipt", args=[payment.order_id])
    assert f'href="{signed}"' in receipt
    pdf = desk.get(signed, follow=True)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"


def test_the_same_terminal_reference_twice_is_refused_and_records_nothing(
    desk: Client, bill: Bill, city: City, office: Office
) -> None:
    assert collect(desk, bill, "60379912").status_code == 302
    second = bill_issue(city, fee=1_000_000)
    response = collect(desk, second, "60379912")
    assert response.status_code == 409
    with override("fa"):
        expected = gettext("This terminal reference has already been recorded at this office.")
    assert expected in response.content.decode()
    assert Payment.objects.filter(bill=second).count() == 0
    assert Bill.objects.get(pk=second.pk).status == BillStatus.OPEN


def test_part_payment_at_the_counter_only_where_the_bill_allows_it(desk: Client, city: City) -> None:
    partial = bill_issue(city, fee=5_000_000, allow_partial=True)
    assert 'name="amount"' in desk.get(reverse("web:desk_bill", args=[partial.number])).content.decode()
    assert collect(desk, partial, "700001", amount="6,000,000").status_code == 400
    assert collect(desk, partial, "700001", amount="ده").status_code == 400
    assert collect(desk, partial, "700001", amount="۲٬۰۰۰٬۰۰۰").status_code == 302
    fresh = Bill.objects.get(pk=partial.pk)
    assert (fresh.status, fresh.paid) == (BillStatus.PARTLY_PAID, 2_000_000)


def test_the_amount_due_at_the_counter_includes_the_offices_collection_tariff(
    desk: Client, city: City, office: Office
) -> None:
    from daftar.billing.models import OfficeTariff
    from daftar.billing.tariffs import COUNTER_COLLECTION
    from daftar.core.jalali import fiscal_year_bounds, fiscal_year_of, local_today

    first, last = fiscal_year_bounds(fiscal_year_of(local_today()))
    OfficeTariff.objects.create(
        city=city,
        fiscal_year=fiscal_year_of(local_today()),
        service_code=COUNTER_COLLECTION,
        amount=120_000,
        effective_from=first,
        effective_to=last,
    )
    annual = bill_issue(city, fee=3_000_000, kind="annual")
    page = desk.get(reverse("web:desk_bill", args=[annual.number])).content.decode()
    assert 'data-counter-tariff="120000"' in page
    assert "data-due-today>۳٬۱۲۰٬۰۰۰ ریال<" in page
    assert collect(desk, annual, "123987").status_code == 302
    assert Payment.objects.get(bill=annual).amount == 3_120_000  # what the terminal was told to charge


def test_a_paid_bill_offers_no_collection(desk: Client, bill: Bill) -> None:
    collect(desk, bill, "700002")
    assert 'name="reference"' not in desk.get(reverse("web:desk_bill", args=[bill.number])).content.decode()
    assert collect(desk, bill, "700003").status_code == 409
    assert Payment.objects.filter(bill=bill).count() == 1


# --- cash-up and reversal --------------------------------------------------------------------------


def test_cash_up_totals_the_day_per_operator_and_downloads_as_csv(
    desk: Client,
    manager: User,
    bill: Bill,
    city: City,
    office: Office,
    other_office: Office,
    operator_user: Any,
) -> None:
    collect(desk, bill, "800001")
    collect(signed_in(manager), bill_issue(city, fee=1_500_000), "800002")
    elsewhere_operator = staff("op-2205", "office_operator", city, other_office)
    payment_collect_at_counter(
        bill=bill_issue(city, fee=900_000),
        office=other_office,
        actor=elsewhere_operator,
        terminal_reference="800003",
    )
    page = desk.get(reverse("web:desk_cashup")).content.decode()
    assert page.count("data-payment=") == 2  # not the other office's
    assert "data-cash-total>۳٬۸۰۰٬۰۰۰ ریال<" in page
    assert page.count("data-operator") == 2
    csv = desk.get(reverse("web:desk_cashup_csv"))
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert "3800000" in csv.content.decode("utf-8-sig").splitlines()[-1]
    yesterday = desk.get(reverse("web:desk_cashup"), {"day": "1400/01/01"}).content.decode()
    assert "data-payment=" not in yesterday
    assert desk.get(reverse("web:desk_cashup"), {"day": "1400/13/01"}).status_code == 400


def test_only_the_office_manager_reverses_a_payment_and_only_on_its_day(
    desk: Client, manager: User, bill: Bill, city: City
) -> None:
    collect(desk, bill, "900001")
    payment = Payment.objects.get(bill=bill)
    url = reverse("web:desk_payment_reverse", args=[payment.order_id])
    assert desk.post(url, {"reason": "قبض اشتباه"}).status_code == 403
    boss = signed_in(manager)
    assert (
        f'action="{url}"' in boss.get(reverse("web:desk_payment", args=[payment.order_id])).content.decode()
    )
    assert (
        f'action="{url}"'
        not in desk.get(reverse("web:desk_payment", args=[payment.order_id])).content.decode()
    )
    assert boss.post(url, {"reason": ""}).status_code == 400
    response = boss.post(url, {"reason": "ثبت روی قبض اشتباه"})
    assert response.status_code == 302
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REVERSED
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.OPEN
    page = boss.get(reverse("web:desk_cashup")).content.decode()
    assert 'data-payment-status="reversed"' in page
    assert "data-cash-total>۰ ریال<" in page
    # The terminal reference of a reversed payment may be entered again (on the right bill).
    assert collect(desk, bill, "900001").status_code == 302
    # A payment of an earlier day stays as it was.
    older = Payment.objects.get(bill=bill, status=PaymentStatus.SUCCEEDED)
    Payment.objects.filter(pk=older.pk).update(completed_at=timezone.now() - timedelta(days=1))
    response = boss.post(reverse("web:desk_payment_reverse", args=[older.order_id]), {"reason": "دیروز"})
    assert response.status_code == 409
    assert Payment.objects.get(pk=older.pk).status == PaymentStatus.SUCCEEDED


def test_an_office_sees_only_its_own_payments(
    desk: Client, bill: Bill, city: City, other_office: Office
) -> None:
    collect(desk, bill, "910001")
    payment = Payment.objects.get(bill=bill)
    other_manager = signed_in(staff("mgr-2205", "office_manager", city, other_office))
    assert other_manager.get(reverse("web:desk_payment", args=[payment.order_id])).status_code == 404
    reverse_url = reverse("web:desk_payment_reverse", args=[payment.order_id])
    assert other_manager.post(reverse_url, {"reason": "x"}).status_code == 404
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


# --- finance -------------------------------------------------------------------------------------


@pytest.fixture
def finance(city: City) -> Client:
    return signed_in(staff("finance1", "finance_officer", city))


@pytest.fixture
def auditor(city: City) -> Client:
    return signed_in(staff("auditor1", "auditor", city))


def test_finance_pages_are_forbidden_to_office_staff_and_citizens(
    desk: Client, citizen_user: Any, bill: Bill
) -> None:
    urls = [
        reverse("web:finance_settlement"),
        reverse("web:finance_settlement_export", args=["xlsx"]),
        reverse("web:finance_reconcile"),
        reverse("web:finance_bills"),
        reverse("web:finance_bill", args=[bill.number]),
    ]
    for url in urls:
        assert desk.get(url).status_code == 403
        assert signed_in(citizen_user).get(url).status_code == 403
    assert desk.post(reverse("web:finance_bill", args=[bill.number]), {"action": "cancel"}).status_code == 403


def test_settlement_page_shows_each_office_and_totals_and_downloads_excel_and_csv(
    finance: Client, desk: Client, bill: Bill, city: City, office: Office
) -> None:
    collect(desk, bill, "950001")  # 2,000,000 for the city + 300,000 tariff at the office's own counter
    online_pay(bill_issue(city, fee=1_000_000, tariff=TARIFF, office=office))
    page = finance.get(reverse("web:finance_settlement")).content.decode()
    assert 'data-office="1102"' in page
    assert 'data-net="1700000"' in page  # 2,000,000 collected for the city less 300,000 earned online
    assert page.count('data-net="1700000"') == 2  # the office and the totals
    xlsx = finance.get(reverse("web:finance_settlement_export", args=["xlsx"]))
    assert xlsx.status_code == 200
    assert "attachment" in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet.sheet_view.rightToLeft
    assert [c.value for c in sheet[sheet.max_row]][2:] == [
        2_300_000,
        300_000,
        2_000_000,
        300_000,
        0,
        600_000,
        1_700_000,
    ]
    csv = finance.get(reverse("web:finance_settlement_export", args=["csv"]), {"month": "1400/01"})
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert finance.get(reverse("web:finance_settlement"), {"month": "1405/13"}).status_code == 400
    assert finance.get(reverse("web:finance_settlement_export", args=["pdf"])).status_code == 404


def test_reconciliation_queue_refunds_a_flagged_payment_and_records_the_refund_paid(
    finance: Client, auditor: Client, city: City
) -> None:
    flagged = online_pay(bill_issue(city, fee=1_500_000), received=1_400_000)
    stale = online_start(bill_issue(city, fee=800_000))
    Payment.objects.filter(pk=stale.pk).update(  # twenty minutes have passed
        started_at=timezone.now() - timedelta(minutes=20),
        next_check_at=timezone.now() - timedelta(minutes=10),
    )
    online_start(bill_issue(city, fee=700_000))  # started just now: not yet worth a look
    page = finance.get(reverse("web:finance_reconcile")).content.decode()
    assert f'data-flagged="{flagged.order_id}"' in page
    assert page.count("data-pending=") == 1
    assert f'data-pending="{stale.order_id}"' in page
    # the auditor reads, never acts
    assert (
        f'data-flagged="{flagged.order_id}"' in auditor.get(reverse("web:finance_reconcile")).content.decode()
    )
    refund_post = {"action": "flag_refund", "order_id": flagged.order_id, "reason": "مبلغ نابرابر"}
    assert auditor.post(reverse("web:finance_reconcile"), refund_post).status_code == 403
    assert finance.post(reverse("web:finance_reconcile"), {**refund_post, "reason": ""}).status_code == 400
    assert finance.post(reverse("web:finance_reconcile"), refund_post).status_code == 302
    refund = Refund.objects.get(payment=flagged)
    assert (refund.amount, refund.status) == (1_400_000, RefundStatus.PAYABLE)
    assert finance.post(reverse("web:finance_reconcile"), refund_post).status_code == 409  # no longer held
    pay = {"action": "refund_pay", "refund": refund.number, "reference": "IR-TR-55871"}
    assert finance.post(reverse("web:finance_reconcile"), pay).status_code == 302
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.PAID
    assert finance.post(reverse("web:finance_reconcile"), pay).status_code == 404  # nothing left to pay
    online_debit(stale)  # the payer paid at the bank but never came back
    response = finance.post(reverse("web:finance_reconcile"), {"action": "reconcile"}, follow=True)
    assert response.status_code == 200
    assert Payment.objects.get(pk=stale.pk).status == PaymentStatus.SUCCEEDED


def test_finance_amends_and_cancels_a_bill_with_a_reason_shown_in_its_audit_trail(
    finance: Client, auditor: Client, bill: Bill, city: City
) -> None:
    url = reverse("web:finance_bill", args=[bill.number])
    add = {
        "action": "add",
        "add-line": "municipal_fee",
        "add-fee_type": "waste",
        "add-title": "عوارض پسماند",
        "add-amount": "۴۰۰٬۰۰۰",
        "add-reason": "جاافتادن عوارض پسماند",
    }
    assert finance.post(url, {**add, "add-reason": ""}).status_code == 400
    assert finance.post(url, add).status_code == 302
    assert Bill.objects.get(pk=bill.pk).total == 2_700_000
    response = finance.post(url, {"action": "remove", "remove-seq": "2", "remove-reason": "کارمزد تکراری"})
    assert response.status_code == 302
    assert Bill.objects.get(pk=bill.pk).total == 2_400_000
    assert finance.post(url, {"action": "cancel", "cancel-reason": ""}).status_code == 400
    assert auditor.post(url, {"action": "cancel", "cancel-reason": "x"}).status_code == 403
    assert finance.post(url, {"action": "cancel", "cancel-reason": "صدور اشتباه"}).status_code == 302
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.CANCELLED
    page = auditor.get(url).content.decode()
    assert page.count("data-event") == 4  # issued, amended twice, cancelled
    for reason in ("جاافتادن عوارض پسماند", "کارمزد تکراری", "صدور اشتباه"):
        assert reason in page
    assert "data-removed" in page
    assert 'name="action"' not in page


def test_a_paid_bill_cannot_be_cancelled_and_says_why(finance: Client, desk: Client, bill: Bill) -> None:
    collect(desk, bill, "990001")
    url = reverse("web:finance_bill", args=[bill.number])
    assert 'value="cancel"' not in finance.get(url).content.decode()
    response = finance.post(url, {"action": "cancel", "cancel-reason": "صدور اشتباه"})
    assert response.status_code == 409
    assert Bill.objects.get(pk=bill.pk).status == BillStatus.PAID


def test_finance_opens_a_bill_by_its_id_only_in_its_own_city(finance: Client, bill: Bill, zone: Any) -> None:
    response = finance.get(reverse("web:finance_bills"), {"number": persian_digits(bill.number)})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:finance_bill", args=[bill.number])
    assert finance.get(reverse("web:finance_bills"), {"number": "123"}).status_code == 400
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    stranger = signed_in(staff("karaj-finance", "finance_officer", karaj))
    assert stranger.get(reverse("web:finance_bill", args=[bill.number])).status_code == 404
    assert re.search(
        r"data-bill-number>[۰-۹]{13}<",
        finance.get(reverse("web:finance_bill", args=[bill.number])).content.decode(),
    )
