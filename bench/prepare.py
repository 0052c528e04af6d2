"""Data the load benchmark needs, made in-process through the services (run under bench.settings):

    python -m bench.prepare fixture --out F --cases N   # token, office, cases, tracking pairs, rows
    python -m bench.prepare payments --out F --count K  # K debited sandbox payments awaiting callback

The fixture file is JSON that bench/locustfile.py reads (BENCH_FIXTURE).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

FIRST_NAMES = ["سارا", "علی", "مریم", "محمد", "زهرا", "حسین", "فاطمه", "رضا", "نرگس", "امیر", "لیلا", "مهدی"]
LAST_NAMES = ["احمدی", "رضایی", "کریمی", "موسوی", "حسینی", "جعفری", "صادقی", "نوری", "اکبری", "تهرانی"]
SERVICE = "building.no_violation_certificate"
OPERATOR = "operator"  # demo_load's office operator: files cases
REVIEWER = "reviewer"  # demo_load's municipal reviewer: the staff inbox and search


def national_code(rng: random.Random) -> str:
    """A random national code with a valid check digit."""
    while True:
        body = [rng.randrange(10) for _ in range(9)]
        if len(set(body)) == 1:
            continue
        total = sum(d * (10 - i) for i, d in enumerate(body)) % 11
        check = total if total < 2 else 11 - total
        return "".join(map(str, body)) + str(check)


def intake(rng: random.Random) -> dict[str, Any]:
    return {
        "renewal_code": "-".join(
            str(n)
            for n in (rng.randint(1, 22), rng.randint(1, 999), rng.randint(1, 99), rng.randint(1, 9), 1, 1)
        ),
        "permit_number": f"1401/{rng.randint(1000, 9999)}",
        "construction_stage": "frame",
        "purpose": "bank_loan",
    }


def applicant(rng: random.Random) -> dict[str, str]:
    return {
        "national_code": national_code(rng),
        "first_name": rng.choice(FIRST_NAMES),
        "last_name": rng.choice(LAST_NAMES),
    }


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def fixture(out: Path, cases: int) -> dict[str, Any]:
    from daftar.accounts.models import PersonKind, User
    from daftar.accounts.services import api_token_create, person_register
    from daftar.cases.models import Case
    from daftar.cases.services import Location, case_file
    from daftar.catalog.selectors import service_current
    from daftar.offices.selectors import offices_staff_of

    from .baseline.models import BenchRow

    rng = random.Random(1405)  # noqa: S311 - test data
    operator = User.objects.get(username=OPERATOR)
    office = next(a.office for a in offices_staff_of(user=operator) if a.office is not None)
    service = service_current(code=SERVICE)
    assert service is not None, f"{SERVICE} is not in the catalogue: run demo_load"
    location = None
    if service.location != "none":
        location = Location(latitude=Decimal("35.7575"), longitude=Decimal("51.41"), address="تهران، ونک")
    have = Case.objects.count()
    started = time.monotonic()
    for i in range(max(0, cases - have)):
        person = person_register(kind=PersonKind.REAL, **applicant(rng))
        case_file(
            service=service,
            applicant=person,
            office=office,
            channel="office",
            data=intake(rng),
            actor=operator,
            idempotency_key=f"bench-prep-{have + i}",
            location=location,
        )
    filed = max(0, cases - have)
    if filed:
        print(f"filed {filed} cases in-process in {time.monotonic() - started:.1f}s", file=sys.stderr)
    if BenchRow.objects.count() < 1000:
        BenchRow.objects.bulk_create(BenchRow(name=f"ردیف {i}", number=i) for i in range(1000))
    rows = list(BenchRow.objects.order_by("id").values_list("id", flat=True)[:1000])
    pairs = list(Case.objects.order_by("?").values_list("tracking_code", "applicant__national_code")[:2000])
    names = list(Case.objects.order_by("?").values_list("applicant__last_name", flat=True)[:50])
    data = {
        "token": api_token_create(user=operator, name=f"bench {time.time():.0f}").secret,
        "staff_token": api_token_create(
            user=User.objects.get(username=REVIEWER), name=f"bench {time.time():.0f}"
        ).secret,
        "office": office.code,
        "service": SERVICE,
        "location": {"latitude": "35.7575", "longitude": "51.41", "address": "تهران، ونک"}
        if location
        else None,
        "tracking": [[code, nc] for code, nc in pairs if nc],
        "search": sorted({n for n in names if n}) or ["احمدی"],
        "rows": rows,
        "cases": Case.objects.count(),
    }
    out.write_text(json.dumps(data, ensure_ascii=False))
    return data


def payments(out: Path, count: int, base_url: str) -> int:
    """Start and debit ``count`` sandbox payments on unpaid case bills; write their authorities."""
    from daftar.billing.models import Bill, BillStatus, Payment
    from daftar.billing.payments import payment_start
    from daftar.simulators.bank.services import sandbox_payment_debit

    used = Payment.objects.values("bill_id")
    bills = Bill.objects.filter(status=BillStatus.OPEN, case__isnull=False, total__gt=0).exclude(pk__in=used)
    callback = f"{base_url}/pay/callback/sandbox/"
    authorities = []
    started = time.monotonic()
    for bill in bills.order_by("id")[:count]:
        payment = payment_start(bill=bill, provider="sandbox", callback_url=callback).payment
        sandbox_payment_debit(authority=payment.authority, card_number="6037991234561234")
        authorities.append(payment.authority)
    print(
        f"{len(authorities)} payments started and debited in {time.monotonic() - started:.1f}s",
        file=sys.stderr,
    )
    out.write_text(json.dumps(authorities))
    return len(authorities)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    fx = sub.add_parser("fixture")
    fx.add_argument("--out", type=Path, required=True)
    fx.add_argument("--cases", type=int, default=300)
    pay = sub.add_parser("payments")
    pay.add_argument("--out", type=Path, required=True)
    pay.add_argument("--count", type=int, default=1000)
    pay.add_argument("--base-url", default="http://127.0.0.1:8000")
    args = parser.parse_args()
    _setup()
    if args.what == "fixture":
        fixture(args.out, args.cases)
    else:
        payments(args.out, args.count, args.base_url)


if __name__ == "__main__":
    main()
