"""Builders for performance tests: cases filed through the real ``case_file`` and then moved to a
moment of a past month (a month built by hand, as the billing builders move payments), complaints
about an office filed online through the shipped ``complaint.office_conduct`` service, and tariff
earned through real counter and online payments.

The seeded month is Mehr 1405 (1405/07) in Tehran:

========  =====  ======  =======  ======  =======  ==========  =======  =========
office    filed  closed  on time  rated   average  complaints  tariff   score
========  =====  ======  =======  ======  =======  ==========  =======  =========
1102 (A)  6      4       2        3       11/3     2           550,000  45.0
2205 (B)  2      2       2        1       4        0           250,000  92.5
3301 (C)  0      0       0        0       —        0           0        — (idle)
========  =====  ======  =======  ======  =======  ==========  =======  =========

A also has one open case marked overdue. A's score: 100 × (50 × 0.5 + 30 × (11/3 − 1)/4 + 20 × 0)
/ 100 = 45.0 (2 complaints per 6 cases is past 10 per 100); B's: 100 × (50 + 30 × 0.75 + 20) / 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from daftar.accounts.models import Person, User
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.tests.builders import bill_issue, completed_at, office_open, online_pay, staff_member
from daftar.cases.models import Case
from daftar.cases.services import case_file
from daftar.catalog.models import ServiceCategory, ServiceVersion
from daftar.catalog.services import service_entry_compile, service_version_load
from daftar.core.jalali import TEHRAN, from_jalali
from daftar.offices.models import City, Office, Zone

YEAR, MONTH = 1405, 7  # Mehr 1405
TARIFF_A = 300_000
TARIFF_ONLINE_A = 250_000
TARIFF_B = 250_000
CASE_DATA = {"renewal_code": "۳-۱۲۳-۴۵-۶", "deed_number": "۱۲۳۴۵", "floors": "4", "use": "residential"}


def jalali_at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of a Jalali day in Tehran."""
    return datetime.combine(from_jalali(year, month, day), time(hour, minute), tzinfo=TEHRAN)


def jalali_day(year: int, month: int, day: int) -> date:
    return from_jalali(year, month, day)


def complaint_service() -> ServiceVersion:
    """The shipped ``complaint.office_conduct`` service (categories must be loaded)."""
    entries = yaml.safe_load(
        (Path(settings.DAFTAR_CATALOG_DIR) / "complaints.yaml").read_text(encoding="utf-8")
    )
    entry = next(e for e in entries if e["code"] == "complaint.office_conduct")
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    version, _changed = service_version_load(
        compiled=service_entry_compile(entry, workflows={}, categories=categories)
    )
    return version


def file_at(
    service: ServiceVersion, office: Office, operator: User, applicant: Person, when: datetime
) -> Case:
    """A case filed at the office's counter, moved to ``when``."""
    case = case_file(
        service=service, applicant=applicant, office=office, channel="office", data=CASE_DATA, actor=operator
    )
    Case.objects.filter(pk=case.pk).update(created_at=when)
    return case


def close_at(
    case: Case,
    when: datetime,
    *,
    due: date | None,
    overdue: bool = False,
    rating: int | None = None,
) -> None:
    """The case closed at ``when`` (its overall due date ``due``; marked overdue on the way or not),
    rated by the applicant or not."""
    Case.objects.filter(pk=case.pk).update(
        state="issued",
        outcome="approved",
        closed_at=when,
        due_date=due,
        overdue=overdue,
        rating=rating,
    )


def complain(service: ServiceVersion, citizen: User, office_code: str, when: datetime) -> Case:
    """A citizen's complaint about the office with ``office_code``, filed online, moved to ``when``."""
    assert citizen.person is not None
    case = case_file(
        service=service,
        applicant=citizen.person,
        office=None,
        channel="online",
        data={
            "office_code": office_code,
            "subject": "overcharging",
            "happened_on": "1405/07/01",
            "details": "دفتر بیش از تعرفه مصوب از من وجه دریافت کرد و رسید نداد.",
        },
        actor=citizen,
    )
    Case.objects.filter(pk=case.pk).update(created_at=when)
    return case


def counter_paid(
    city: City, office: Office, operator: User, *, tariff: int, reference: str, when: datetime
) -> Any:
    """A bill carrying ``office``'s tariff paid at ``office``'s own counter at ``when``."""
    payment = payment_collect_at_counter(
        bill=bill_issue(city, fee=2_000_000, tariff=tariff, office=office),
        office=office,
        actor=operator,
        terminal_reference=reference,
    )
    completed_at(payment, when)
    return payment


@dataclass
class SeededMonth:
    a: Office
    b: Office
    c: Office
    operator_a: User
    operator_b: User
    cases: dict[str, Case]


def seed_month(
    *, city: City, zone: Zone, office: Office, operator: User, service: ServiceVersion, citizen: User
) -> SeededMonth:
    """Mehr 1405 as in the table above (``office`` is A, 1102 of the shared fixtures)."""
    a = office
    b = office_open(city, zone, code="2205", name="دفتر خدمات الکترونیک شهر کد ۲۲۰۵ — تجریش")
    c = office_open(city, zone, code="3301", name="دفتر خدمات الکترونیک شهر کد ۳۳۰۱ — پونک")
    operator_b = staff_member("operator-b", "office_operator", city, b)
    applicant = citizen.person
    assert applicant is not None
    y, m = YEAR, MONTH
    due = jalali_day(y, m, 10)
    cases = {
        # filed the evening before the month: not Mehr's; closed late on its due day: on time
        "k1": file_at(service, a, operator, applicant, jalali_at(y, 6, 31, 23, 30)),
        # filed just after midnight on the month's first day; closed an hour into the day after its
        # due date (still the due date in UTC): late
        "k2": file_at(service, a, operator, applicant, jalali_at(y, m, 1, 0, 30)),
        "k3": file_at(service, a, operator, applicant, jalali_at(y, m, 2)),  # closed in time but overdue
        "k4": file_at(service, a, operator, applicant, jalali_at(y, m, 3)),  # no due date, on time
        "k5": file_at(service, a, operator, applicant, jalali_at(y, m, 5)),  # open, overdue
        "k6": file_at(service, a, operator, applicant, jalali_at(y, m, 30, 23, 50)),  # open
        "k7": file_at(service, a, operator, applicant, jalali_at(y, 8, 1, 0, 10)),  # Aban's
        "k8": file_at(service, a, operator, applicant, jalali_at(y, m, 6)),  # closed in Aban
        "b1": file_at(service, b, operator_b, applicant, jalali_at(y, m, 8)),
        "b2": file_at(service, b, operator_b, applicant, jalali_at(y, m, 9)),
    }
    close_at(cases["k1"], jalali_at(y, m, 10, 23), due=due, rating=5)
    close_at(cases["k2"], jalali_at(y, m, 11, 1), due=due, rating=2)
    close_at(cases["k3"], jalali_at(y, m, 20), due=jalali_day(y, m, 25), overdue=True)
    close_at(cases["k4"], jalali_at(y, m, 15), due=None, rating=4)
    Case.objects.filter(pk=cases["k5"].pk).update(overdue=True)
    close_at(cases["k8"], jalali_at(y, 8, 1, 0, 30), due=jalali_day(y, 8, 20), rating=1)
    close_at(cases["b1"], jalali_at(y, m, 20), due=jalali_day(y, m, 22), rating=4)
    close_at(cases["b2"], jalali_at(y, m, 21), due=jalali_day(y, m, 22))
    complaints = complaint_service()
    complain(complaints, citizen, a.code, jalali_at(y, m, 12))
    complain(complaints, citizen, a.code, jalali_at(y, m, 30, 23, 59))
    complain(complaints, citizen, a.code, jalali_at(y, 8, 1, 0, 5))  # Aban's
    complain(complaints, citizen, b.code, jalali_at(y, 8, 3))  # Aban's
    # Tariff: A's own at its counter, A's on a bill paid online, A's at its counter in Aban (not
    # Mehr's), and B's on a bill collected at A's counter (earned by B, not by A).
    counter_paid(city, a, operator, tariff=TARIFF_A, reference="700001", when=jalali_at(y, m, 10))
    online = online_pay(bill_issue(city, fee=1_000_000, tariff=TARIFF_ONLINE_A, office=a), office=a)
    completed_at(online, jalali_at(y, m, 20))
    counter_paid(city, a, operator, tariff=TARIFF_A, reference="700003", when=jalali_at(y, 8, 2))
    for_b = payment_collect_at_counter(
        bill=bill_issue(city, fee=900_000, tariff=TARIFF_B, office=b),
        office=a,
        actor=operator,
        terminal_reference="700004",
    )
    completed_at(for_b, jalali_at(y, m, 25))
    return SeededMonth(a=a, b=b, c=c, operator_a=operator, operator_b=operator_b, cases=cases)
