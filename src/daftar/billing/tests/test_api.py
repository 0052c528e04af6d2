"""The bills API: who may look bills up and see the payer, paying online, reading a payment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from daftar.accounts.services import api_token_create
from daftar.billing.models import Payment

pytestmark = pytest.mark.django_db


def caller(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').secret}"}


def test_a_record_lookup_lists_its_open_bills_with_the_payer_masked(
    make_bill: Any, reviewer_user: Any
) -> None:
    bill = make_bill()
    rows = Client().get("/api/v1/bills", {"renewal_code": "3-123-45-6"}, **caller(reviewer_user)).json()
    assert [row["number"] for row in rows] == [bill.number]
    assert rows[0]["payer_national_code"] is None
    assert rows[0]["payer_name"] == "س… ا…"
    assert rows[0]["payments"] is None


def test_a_citizen_looks_up_only_their_own_bills_by_national_code(
    make_bill: Any, citizen_user: Any, reviewer_user: Any
) -> None:
    bill = make_bill()
    own = Client().get("/api/v1/bills", {"national_code": "0012345679"}, **caller(citizen_user))
    assert [row["number"] for row in own.json()] == [bill.number]
    assert own.json()[0]["payer_national_code"] == "0012345679"
    other = Client().get("/api/v1/bills", {"national_code": "0012345679"}, **caller(reviewer_user))
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "bill.not_yours"


def test_counter_staff_look_up_a_payer_even_with_nothing_owed_and_only_in_their_city(
    make_bill: Any, operator_user: Any
) -> None:
    from daftar.billing.lines import ItemSpec
    from daftar.billing.services import bill_create
    from daftar.core.jalali import local_today
    from daftar.offices.models import City

    assert (
        Client().get("/api/v1/bills", {"national_code": "0084575948"}, **caller(operator_user)).json() == []
    )
    bill = make_bill()
    karaj = City.objects.create(code="karaj", name_fa="کرج", name_en="Karaj")
    renewal = ItemSpec(
        line="municipal_fee", fee_type="renewal", title="نوسازی", amount=900_000, fiscal_year=1405
    )
    bill_create(
        city=karaj, kind="annual", title="عوارض کرج", fiscal_year=1405, due_date=local_today(),
        items=[renewal],
        payer_national_code="0012345679", payer_name="سارا احمدی",
    )  # fmt: skip
    rows = Client().get("/api/v1/bills", {"national_code": "0012345679"}, **caller(operator_user)).json()
    assert [row["number"] for row in rows] == [bill.number]
    assert rows[0]["payer_name"] == "سارا احمدی"


def test_paying_online_answers_the_bank_page_and_a_retry_with_the_same_key_starts_nothing_new(
    make_bill: Any, citizen_user: Any
) -> None:
    bill = make_bill()
    headers = {**caller(citizen_user), "HTTP_IDEMPOTENCY_KEY": "pay-1"}
    first = Client().post(
        f"/api/v1/bills/{bill.number}/payments",
        {"provider": "sandbox"},
        content_type="application/json",
        **headers,
    )
    again = Client().post(
        f"/api/v1/bills/{bill.number}/payments",
        {"provider": "sandbox"},
        content_type="application/json",
        **headers,
    )
    assert first.status_code == again.status_code == 201
    assert first.json()["order_id"] == again.json()["order_id"]
    assert "/sandbox-bank/pay/" in first.json()["redirect_url"]
    assert again.json()["redirect_url"] == first.json()["redirect_url"]
    assert Payment.objects.count() == 1
    read = Client().get(f"/api/v1/payments/{first.json()['order_id']}", **caller(citizen_user))
    assert (read.status_code, read.json()["status"]) == (200, "pending")


def test_a_gateway_not_offered_is_refused_with_the_field_named(make_bill: Any, citizen_user: Any) -> None:
    bill = make_bill()
    response = Client().post(
        f"/api/v1/bills/{bill.number}/payments",
        {"provider": "zarinpal"},
        content_type="application/json",
        **caller(citizen_user),
    )
    assert response.status_code == 400
    assert "provider" in response.json()["error"]["fields"]
    assert not Payment.objects.exists()


def test_a_payment_is_hidden_from_anyone_but_its_payer_starter_and_staff(
    make_bill: Any, citizen_user: Any, reviewer_user: Any
) -> None:
    bill = make_bill()
    started = Client().post(
        f"/api/v1/bills/{bill.number}/payments", {"provider": "sandbox"}, content_type="application/json",
        **caller(citizen_user),
    ).json()  # fmt: skip
    hidden = Client().get(f"/api/v1/payments/{started['order_id']}", **caller(reviewer_user))
    assert hidden.status_code == 404
