"""Citizens' bill pages: lookups, my bills, the bill page, paying through the sandbox bank (every
button of it), the bank's callback and the result page, receipts and who may download them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from daftar.accounts.models import Person, User
from daftar.billing.lines import ItemSpec
from daftar.billing.models import (
    Bill,
    FiscalPolicy,
    LedgerTransaction,
    Payment,
    PaymentAllocation,
    Receipt,
)
from daftar.billing.payments import payments_reconcile
from daftar.billing.services import bill_create
from daftar.billing.tests.builders import ANNUAL_TOTAL, CARD, RENEWAL, annual_bill, office_open, staff_member
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.core.text import to_persian_digits
from daftar.offices.models import City, Office

pytestmark = pytest.mark.django_db
RENEWAL_TYPED = "۳-۱۲۳-۴۵-۶"


@pytest.fixture
def bill(city: City, applicant_person: Person) -> Bill:
    return annual_bill(city, applicant_person)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_citizen(db: None) -> User:
    person = Person.objects.create(
        national_code="0084575948", first_name="علی", last_name="کریمی", mobile="09351112233"
    )
    return User.objects.create_user(username="09351112233", mobile="09351112233", person=person)


@pytest.fixture
def finance_user(city: City) -> User:
    return staff_member("finance1", "finance_officer", city, password="x-test-password-1405")


def _lookup(client: Client, kind: str, code: str) -> Any:
    return client.post(reverse("web:bills"), {"kind": kind, "code": code})


def _pay_key(client: Client, bill: Bill) -> str:
    html = client.get(reverse("web:bill", args=[bill.number])).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)
    assert key is not None
    return key.group(1)


def _start(client: Client, bill: Bill, **extra: str) -> str:
    """Press «pay» on the bill page; returns the sandbox bank's page address."""
    data = {"provider": "sandbox", "idempotency_key": _pay_key(client, bill), **extra}
    response = client.post(reverse("web:bill_pay", args=[bill.number]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith("/sandbox-bank/pay/")
    return str(response["Location"])


def _press(client: Client, bank_page: str, action: str) -> Any:
    return client.post(bank_page, {"action": action, "card_number": CARD})


def _back_from_bank(client: Client, bank_response: Any) -> Any:
    """Follow the bank's redirect to our callback, and the callback's to the result page."""
    assert bank_response.status_code == 302
    callback = client.get(bank_response["Location"])
    assert callback.status_code == 302
    assert callback["Location"].startswith("/pay/result/")
    return client.get(callback["Location"])


def _payments(kind: str = "payment") -> int:
    return LedgerTransaction.objects.filter(kind=kind).count()


# --- the lookup -----------------------------------------------------------------------------------


def test_lookup_by_renewal_code_lists_open_bills_with_the_payer_masked(bill: Bill, city: City) -> None:
    paid_before = annual_bill(city, key=RENEWAL, source="older-bill")
    Bill.objects.filter(pk=paid_before.pk).update(status="cancelled")
    response = _lookup(Client(), "renewal_code", RENEWAL_TYPED)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-bill="{bill.number}"' in html
    assert f'data-bill="{paid_before.number}"' not in html  # open bills only
    assert "۶٬۷۷۰٬۰۰۰ ریال" in html
    assert "عوارض سالانه نوسازی و پسماند" in html
    assert "س… ا…" in html
    assert "سارا احمدی" not in html
    assert "0012345679" not in html
    assert to_persian_digits("0012345679") not in html


def test_lookup_by_plate_and_by_bill_id(city: City) -> None:
    vehicle = annual_bill(city, key="12ب345-67", subject="vehicle")
    html = _lookup(Client(), "plate", "۱۲ ب ۳۴۵ ایران ۶۷").content.decode()
    assert f'data-bill="{vehicle.number}"' in html
    html = _lookup(Client(), "bill", to_persian_digits(vehicle.number)).content.decode()
    assert f'data-bill="{vehicle.number}"' in html


def test_bad_codes_get_persian_messages_and_status_400(bill: Bill) -> None:
    wrong_check_digit = bill.number[:-1] + str((int(bill.number[-1]) + 1) % 10)
    response = _lookup(Client(), "bill", wrong_check_digit)
    assert response.status_code == 400
    assert "شناسه قبض درست نیست" in response.content.decode()
    response = _lookup(Client(), "renewal_code", "ملک من")
    assert response.status_code == 400
    assert "کد نوسازی از عددهایی" in response.content.decode()
    response = _lookup(Client(), "plate", "۱۲۳")
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_lookups_are_rate_limited_per_connection(bill: Bill, settings: Any) -> None:
    settings.PAYMENT_LOOKUP_RATE_PER_IP = "3/m"
    client = Client()
    for _ in range(3):
        assert _lookup(client, "renewal_code", RENEWAL).status_code == 200
    assert _lookup(client, "renewal_code", RENEWAL).status_code == 429
    assert _lookup(Client(REMOTE_ADDR="10.1.2.3"), "renewal_code", RENEWAL).status_code == 200


# --- my bills -------------------------------------------------------------------------------------


def test_a_citizen_sees_their_own_bills_open_first_and_paginated(
    city: City, applicant_person: Person, citizen_user: User
) -> None:
    paid = annual_bill(city, applicant_person, key="3-1-1-1")
    Bill.objects.filter(pk=paid.pk).update(status="paid", paid=paid.total)
    bills = [annual_bill(city, applicant_person, key=f"3-123-45-{n}") for n in range(1, 21)]
    client = signed_in(citizen_user)
    html = client.get(reverse("web:bills")).content.decode()
    numbers = re.findall(r'<tr data-bill="(\d{13})" data-bill-status="(\w+)"', html)
    assert len(numbers) == 20
    assert all(status == "open" for _number, status in numbers)
    assert paid.number not in html
    second = client.get(reverse("web:bills") + "?page=2").content.decode()
    assert f'data-bill="{paid.number}" data-bill-status="paid"' in second
    assert {n for n, _s in numbers} | {paid.number} == {b.number for b in [*bills, paid]}


def test_a_citizen_cannot_see_another_citizens_bills(bill: Bill, other_citizen: User) -> None:
    html = signed_in(other_citizen).get(reverse("web:bills")).content.decode()
    assert bill.number not in html
    assert "قبضی به نام شما نیست" in html


def test_anyone_may_open_the_lookup_page(bill: Bill) -> None:
    response = Client().get(reverse("web:bills"))
    assert response.status_code == 200
    assert bill.number not in response.content.decode()


# --- the bill page --------------------------------------------------------------------------------


def test_the_bill_page_shows_items_totals_due_date_and_the_pay_form(bill: Bill) -> None:
    html = Client().get(reverse("web:bill", args=[bill.number])).content.decode()
    assert "عوارض نوسازی" in html
    assert "۴٬۸۵۰٬۰۰۰ ریال" in html
    assert "عوارض پسماند" in html
    assert "۱٬۹۲۰٬۰۰۰ ریال" in html
    assert re.search(r"data-outstanding>۶٬۷۷۰٬۰۰۰ ریال<", html)
    assert re.search(r"data-due-today>۶٬۷۷۰٬۰۰۰ ریال<", html)
    assert 'data-bill-status="open"' in html
    assert "بانک آزمایشی" in html
    assert 'name="amount"' not in html  # this bill must be paid in full
    assert "س… ا…" in html
    assert "سارا احمدی" not in html
    assert "data-payer-code" not in html


def test_the_payer_and_staff_see_the_personal_data(
    bill: Bill, citizen_user: User, operator_user: User, finance_user: User, other_citizen: User
) -> None:
    for user in (citizen_user, operator_user, finance_user):
        html = signed_in(user).get(reverse("web:bill", args=[bill.number])).content.decode()
        assert "سارا احمدی" in html
        assert to_persian_digits("0012345679") in html
    html = signed_in(other_citizen).get(reverse("web:bill", args=[bill.number])).content.decode()
    assert "سارا احمدی" not in html


def test_an_early_payment_rebate_lowers_what_is_due_today(bill: Bill, city: City) -> None:
    FiscalPolicy.objects.create(
        city=city,
        fiscal_year=bill.fiscal_year,
        annual_due_date=bill.due_date,
        early_payment_until=local_today() + timedelta(days=10),
        early_payment_rebate_bp=1000,  # 10%
    )
    html = Client().get(reverse("web:bill", args=[bill.number])).content.decode()
    assert 'data-adjustment="rebate"' in html
    assert re.search(r"data-due-today>۶٬۰۹۳٬۰۰۰ ریال<", html)


def test_a_part_payment_bill_offers_an_amount_field(city: City) -> None:
    partial = annual_bill(city, key="3-9-9-9", allow_partial=True)
    html = Client().get(reverse("web:bill", args=[partial.number])).content.decode()
    assert 'name="amount"' in html


def test_unknown_or_malformed_bill_ids_are_404(bill: Bill) -> None:
    assert Client().get(reverse("web:bill", args=["1234567890123"])).status_code == 404
    assert Client().get(reverse("web:bill", args=["abc"])).status_code == 404


def test_the_bill_page_is_rate_limited(bill: Bill, settings: Any) -> None:
    settings.PAYMENT_LOOKUP_RATE_PER_IP = "2/m"
    client = Client()
    assert client.get(reverse("web:bill", args=[bill.number])).status_code == 200
    assert client.get(reverse("web:bill", args=["1234567890123"])).status_code == 404
    assert client.get(reverse("web:bill", args=[bill.number])).status_code == 429


# --- paying through the sandbox bank --------------------------------------------------------------


def test_pay_then_ok_is_paid_with_one_balanced_payment(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    bank = client.get(bank_page).content.decode()
    assert "۶٬۷۷۰٬۰۰۰ ریال" in bank
    result = _back_from_bank(client, _press(client, bank_page, "pay"))
    html = result.content.decode()
    assert 'data-result="paid"' in html
    assert "پرداخت شد" in html
    assert "data-receipt-link" in html
    bill.refresh_from_db()
    assert bill.status == "paid"
    assert bill.paid == ANNUAL_TOTAL
    payment = Payment.objects.get()
    assert payment.status == "succeeded"
    assert payment.card_mask == "6037-99**-****-1234"
    assert sum(a.amount for a in PaymentAllocation.objects.all()) == ANNUAL_TOTAL
    assert _payments() == 1


def test_payment_references_are_shown_only_to_the_payer_and_staff(bill: Bill, citizen_user: User) -> None:
    client = Client()
    _back_from_bank(client, _press(client, _start(client, bill), "pay"))
    reference = to_persian_digits(Payment.objects.get().reference)
    url = reverse("web:bill", args=[bill.number])
    assert reference not in Client().get(url).content.decode()
    assert reference in signed_in(citizen_user).get(url).content.decode()


def test_cancel_at_the_bank_leaves_the_bill_open_and_offers_another_try(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    html = _back_from_bank(client, client.post(bank_page, {"action": "cancel"})).content.decode()
    assert 'data-result="failed"' in html
    assert 'data-payment-status="cancelled"' in html
    assert "پرداخت انجام نشد" in html
    assert "تلاش دوباره" in html
    bill.refresh_from_db()
    assert bill.status == "open"
    assert _payments() == 0


def test_an_error_after_the_debit_still_ends_paid_because_we_verify(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    html = _back_from_bank(client, _press(client, bank_page, "fail_after_debit")).content.decode()
    assert 'data-result="paid"' in html
    bill.refresh_from_db()
    assert bill.status == "paid"
    assert Payment.objects.get().status == "succeeded"


def test_a_payer_who_closes_the_page_is_found_paid_by_reconciliation(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    assert _press(client, bank_page, "close_after_debit").status_code == 200
    payment = Payment.objects.get()
    assert payment.status == "pending"
    html = client.get(reverse("web:pay_result", args=[payment.order_id])).content.decode()
    assert 'data-result="pending"' in html
    assert "بررسی دوباره" in html
    report = payments_reconcile(now=timezone.now() + timedelta(minutes=15))
    assert report.settled == 1
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    bill.refresh_from_db()
    assert bill.status == "paid"
    html = client.get(reverse("web:pay_result", args=[payment.order_id])).content.decode()
    assert 'data-result="paid"' in html


def test_a_timeout_at_the_bank_ends_failed_after_reconciliation(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    assert client.post(bank_page, {"action": "time_out"}).status_code == 200
    payment = Payment.objects.get()
    payments_reconcile(now=timezone.now() + timedelta(minutes=15))
    payment.refresh_from_db()
    assert payment.status == "pending"  # the payer might still be at the bank
    payments_reconcile(now=timezone.now() + timedelta(hours=1))
    payment.refresh_from_db()
    assert payment.status == "failed"
    bill.refresh_from_db()
    assert bill.status == "open"
    assert _payments() == 0


def test_a_different_amount_is_held_for_review_and_books_nothing(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    html = _back_from_bank(client, _press(client, bank_page, "debit_different")).content.decode()
    assert 'data-result="flagged"' in html
    assert "امور مالی" in html
    payment = Payment.objects.get()
    assert payment.status == "flagged"
    assert payment.received_amount == ANNUAL_TOTAL + 1_000
    bill.refresh_from_db()
    assert bill.status == "open"
    assert _payments() == 0
    assert client.get(reverse("web:payment_receipt", args=[payment.order_id])).status_code == 404


def test_replaying_the_callback_ten_times_records_one_payment(bill: Bill) -> None:
    client = Client()
    bank_page = _start(client, bill)
    callback = _press(client, bank_page, "pay")["Location"]
    for _ in range(10):
        response = client.get(callback)
        assert response.status_code == 302
    # The bank may also post it.
    authority = bank_page.rstrip("/").rsplit("/", 1)[1]
    response = Client(enforce_csrf_checks=True).post(
        reverse("web:pay_callback", args=["sandbox"]), {"authority": authority, "status": "OK"}
    )
    assert response.status_code == 302
    assert Payment.objects.count() == 1
    assert Payment.objects.get().status == "succeeded"
    assert PaymentAllocation.objects.count() == 2  # one per bill item
    assert _payments() == 1
    bill.refresh_from_db()
    assert bill.paid == ANNUAL_TOTAL


def test_a_part_payment_pays_what_was_asked(city: City) -> None:
    partial = annual_bill(city, key="3-9-9-9", allow_partial=True)
    client = Client()
    bank_page = _start(client, partial, amount="۲٬۰۰۰٬۰۰۰")
    assert "۲٬۰۰۰٬۰۰۰ ریال" in client.get(bank_page).content.decode()
    _back_from_bank(client, _press(client, bank_page, "pay"))
    partial.refresh_from_db()
    assert partial.status == "partly_paid"
    assert partial.paid == 2_000_000


def test_a_part_payment_above_what_is_owed_is_refused_and_writes_nothing(city: City) -> None:
    partial = annual_bill(city, key="3-9-9-9", allow_partial=True)
    client = Client()
    data = {"provider": "sandbox", "idempotency_key": _pay_key(client, partial), "amount": "99,000,000"}
    response = client.post(reverse("web:bill_pay", args=[partial.number]), data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not Payment.objects.exists()


def test_the_same_pay_form_sent_twice_is_one_payment(bill: Bill) -> None:
    client = Client()
    data = {"provider": "sandbox", "idempotency_key": _pay_key(client, bill)}
    first = client.post(reverse("web:bill_pay", args=[bill.number]), data)
    second = client.post(reverse("web:bill_pay", args=[bill.number]), data)
    assert first.status_code == second.status_code == 302
    assert Payment.objects.count() == 1


def test_a_paid_bill_cannot_be_paid_again(bill: Bill) -> None:
    client = Client()
    _back_from_bank(client, _press(client, _start(client, bill), "pay"))
    html = client.get(reverse("web:bill", args=[bill.number])).content.decode()
    assert 'data-bill-status="paid"' in html
    assert f"/bills/{bill.number}/pay/" not in html
    response = client.post(
        reverse("web:bill_pay", args=[bill.number]), {"provider": "sandbox", "idempotency_key": "a" * 32}
    )
    assert response.status_code == 409
    assert Payment.objects.count() == 1


def test_an_unknown_provider_is_refused_in_the_form(bill: Bill) -> None:
    client = Client()
    data = {"provider": "paypal", "idempotency_key": _pay_key(client, bill)}
    assert client.post(reverse("web:bill_pay", args=[bill.number]), data).status_code == 400
    assert not Payment.objects.exists()


def test_bad_callbacks_are_refused_without_a_stack_trace(bill: Bill) -> None:
    client = Client()
    assert client.get(reverse("web:pay_callback", args=["paypal"])).status_code == 404
    response = client.get(reverse("web:pay_callback", args=["sandbox"]) + "?authority=../x&status=OK")
    assert response.status_code == 400
    response = client.get(reverse("web:pay_callback", args=["sandbox"]) + "?authority=SBXNOPE&status=OK")
    assert response.status_code == 404


# --- receipts -------------------------------------------------------------------------------------


def _paid(client: Client, bill: Bill) -> Payment:
    _back_from_bank(client, _press(client, _start(client, bill), "pay"))
    return Payment.objects.get(status="succeeded")


def test_the_receipt_is_issued_once_and_downloads_as_a_pdf(bill: Bill) -> None:
    client = Client()
    payment = _paid(client, bill)
    first = client.get(reverse("web:payment_receipt", args=[payment.order_id]))
    second = client.get(reverse("web:payment_receipt", args=[payment.order_id]))
    assert Receipt.objects.count() == 1
    receipt = Receipt.objects.get()
    expected = f"{reverse('web:receipt_pdf', args=[receipt.number])}?bill={bill.number}"
    assert first["Location"] == second["Location"] == expected
    response = client.get(expected)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "private" in response["Cache-Control"]


def test_who_may_download_a_receipt(
    bill: Bill,
    citizen_user: User,
    other_citizen: User,
    finance_user: User,
    operator_user: User,
) -> None:
    payment = _paid(Client(), bill)
    Client().get(reverse("web:payment_receipt", args=[payment.order_id]))
    url = reverse("web:receipt_pdf", args=[Receipt.objects.get().number])
    assert Client().get(url).status_code == 404
    assert Client().get(url + "?bill=1234567890123").status_code == 404
    assert signed_in(other_citizen).get(url).status_code == 404
    # an office's counter staff, but the payment was online and the bill is not that office's
    assert signed_in(operator_user).get(url).status_code == 404
    assert signed_in(citizen_user).get(url).status_code == 200  # the payer
    assert signed_in(finance_user).get(url).status_code == 200  # the city's finance officer


def test_the_collecting_offices_staff_may_download_the_receipt(
    city: City, office: Office, operator_user: User
) -> None:
    from daftar.billing.payments import payment_collect_at_counter
    from daftar.billing.receipts import receipt_issue

    counter_bill = annual_bill(city, key="3-7-7-7")
    payment = payment_collect_at_counter(
        bill=counter_bill, office=office, actor=operator_user, terminal_reference="۴۵۶۷۸۹۱۲۳"
    )
    receipt = receipt_issue(payment=payment)
    url = reverse("web:receipt_pdf", args=[receipt.number])
    assert signed_in(operator_user).get(url).status_code == 200
    elsewhere = office_open(city, office.zone, code="1207", name="دفتر ۱۲۰۷")
    stranger = staff_member("operator2", "office_operator", city, elsewhere, password="x-test-password-1405")
    assert signed_in(stranger).get(url).status_code == 404


def test_the_public_verification_page_shows_the_facts_but_no_personal_data(bill: Bill) -> None:
    client = Client()
    payment = _paid(client, bill)
    client.get(reverse("web:payment_receipt", args=[payment.order_id]))
    receipt = Receipt.objects.get()
    response = Client().get(reverse("web:receipt_verify", args=[receipt.number]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-receipt-status="valid"' in html
    assert "معتبر" in html
    assert "س… ا…" in html
    assert "سارا احمدی" not in html
    assert to_persian_digits("0012345679") not in html
    assert "۶٬۷۷۰٬۰۰۰ ریال" in html
    lowercase = Client().get(reverse("web:receipt_verify", args=[receipt.number.lower()]))
    assert lowercase.status_code == 302
    payload = Client().get(reverse("web:receipt_payload", args=[receipt.number]))
    assert payload.content.decode() == receipt.payload
    assert payload["X-Daftar-Signature"] == receipt.signature


def test_a_tampered_or_unknown_receipt_does_not_verify(bill: Bill) -> None:
    client = Client()
    payment = _paid(client, bill)
    client.get(reverse("web:payment_receipt", args=[payment.order_id]))
    receipt = Receipt.objects.get()
    Receipt.objects.filter(pk=receipt.pk).update(payload=receipt.payload.replace("6770000", "677000"))
    response = Client().get(reverse("web:receipt_verify", args=[receipt.number]))
    assert response.status_code == 404
    assert 'data-receipt-status="unknown"' in response.content.decode()
    assert Client().get(reverse("web:receipt_verify", args=["P00000000000"])).status_code == 404


def test_the_case_page_lists_the_cases_bills(filed_case: Any, citizen_user: User) -> None:
    year = fiscal_year_of(local_today())
    case_bill = bill_create(
        city=filed_case.city,
        kind="case",
        title="گواهی عدم خلاف",
        fiscal_year=year,
        due_date=local_today() + timedelta(days=30),
        items=[
            ItemSpec(
                line="municipal_fee",
                fee_type="building",
                title="عوارض صدور گواهی",
                amount=2_400_000,
                fiscal_year=year,
            )
        ],
        payer=filed_case.applicant,
        case_id=filed_case.pk,
        source_key=f"test-case:{filed_case.pk}",
    )
    html = signed_in(citizen_user).get(reverse("web:case", args=[filed_case.tracking_code])).content.decode()
    for bill in Bill.objects.filter(case=filed_case):
        assert f'data-bill="{bill.number}"' in html
    assert f'href="/bills/{case_bill.number}/"' in html
    assert "۲٬۴۰۰٬۰۰۰ ریال" in html


def test_a_record_with_several_unpaid_bills_is_offered_one_bill_that_settles_them_all(
    city: City, applicant_person: Person
) -> None:
    first = annual_bill(city, applicant_person, source="annual:old")
    second = annual_bill(city, applicant_person, source="annual:new")
    client = Client()
    page = _lookup(client, "renewal_code", RENEWAL)
    assert "یک قبض برای همه" in page.content.decode()
    response = client.post(reverse("web:bills_settle"), {"kind": "property", "key": RENEWAL})
    assert response.status_code == 302
    one = Bill.objects.get(kind="clearance")
    assert response["Location"] == reverse("web:bill", args=[one.number])
    assert one.total == first.total + second.total
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("carried", "carried")
    # nothing left to settle: a second try says so in Persian
    again = client.post(reverse("web:bills_settle"), {"kind": "property", "key": "9-9-9-9"})
    assert again.status_code == 409
