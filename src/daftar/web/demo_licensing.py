"""The demo city's licensing: the licences of its offices, one near expiry, one office suspended and
one warned, an open call, and an application waiting for its written exam. Loaded once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from shapely.geometry import shape

from daftar.accounts.models import Person, PersonKind, User
from daftar.accounts.roles import Role
from daftar.accounts.services import person_register, user_link_person
from daftar.billing.models import PAYABLE_STATUSES
from daftar.billing.payments import payment_collect_at_counter
from daftar.billing.selectors import bills_of_case
from daftar.cases.services import Location, case_act, case_auto_advance
from daftar.catalog.selectors import service_current
from daftar.core.jalali import fiscal_year_of, local_today
from daftar.documents.models import Document
from daftar.documents.services import case_file_with_documents, document_review
from daftar.licensing.models import ApplicationCall, OfficeLicence
from daftar.licensing.records import licence_register_existing
from daftar.licensing.services import assessment_schedule, call_open
from daftar.licensing.supervision import sanction_issue, violation_record
from daftar.offices.models import City, LicenceStatus, Office, Zone
from daftar.offices.services import office_licence_status_set

from .demo_cases import _sample_pdf

HOLDER_NAMES = ("رضا", "مینا", "کاوه", "لیلا", "بهرام", "شیرین", "آرش", "نسرین", "پرویز", "مهسا")
APPLICANT_MOBILE = "09127650000"
CALL_DISTRICTS = {4: 2, 5: 1, 22: 3}


def _national_code(serial: int) -> str:
    """A valid national code (check digit included) from a serial number, for demo people."""
    digits = f"{serial:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits))
    remainder = total % 11
    return digits + str(remainder if remainder < 2 else 11 - remainder)


def _person(serial: int, first: str, last: str, mobile: str = "") -> Person:
    code = _national_code(serial)
    found = Person.objects.filter(national_code=code).first()
    if found is not None:
        return found
    return person_register(
        kind=PersonKind.REAL, national_code=code, first_name=first, last_name=last, mobile=mobile
    )


def _licences(city: City) -> None:
    today = local_today()
    year = fiscal_year_of(today)
    for index, office in enumerate(Office.objects.filter(city=city).order_by("code")):
        holder = _person(500_000_100 + index, HOLDER_NAMES[index % len(HOLDER_NAMES)], "مدیری")
        # One licence runs out in 45 days: its reminders and renewal can be seen at work.
        until = today + timedelta(days=45) if index == 1 else today + timedelta(days=900 + 40 * index)
        licence_register_existing(
            office=office,
            holder=holder,
            number=f"TEH-{year - 3}-{index + 1:04d}",
            valid_from=until - timedelta(days=1825),
            valid_until=until,
        )


def _sanctions(city: City, officer: User) -> None:
    now = timezone.now()
    suspended = (
        Office.objects.filter(city=city, licence_status=LicenceStatus.SUSPENDED).order_by("code").first()
    )
    if suspended is not None:
        # The demo file marks it suspended; here it gets the violation and sanction behind that.
        office_licence_status_set(office=suspended, status=LicenceStatus.ACTIVE, reason="")
        violation = violation_record(
            office=suspended,
            actor=officer,
            type_code="above_approved_tariff",
            observed_at=now - timedelta(days=3),
            description="دریافت ۴۵۰٬۰۰۰ ریال بیش از تعرفه مصوب برای استعلام، بنا بر شکایت شهروند.",
        )
        sanction_issue(
            office=suspended,
            actor=officer,
            kind="suspension",
            violation_ids=[violation.pk],
            reason="تکرار دریافت وجه بیش از تعرفه پس از دو تذکر پیشین",
            ends_on=local_today() + timedelta(days=20),
        )
    warned = Office.objects.filter(city=city, licence_status=LicenceStatus.ACTIVE).order_by("-code").first()
    if warned is not None:
        violation = violation_record(
            office=warned,
            actor=officer,
            type_code="outside_approved_hours",
            observed_at=now - timedelta(days=6),
            description="پذیرش مراجعه‌کننده در ساعت ۱۹:۳۰ پس از پایان ساعت کاری مصوب.",
        )
        sanction_issue(
            office=warned,
            actor=officer,
            kind="warning",
            violation_ids=[violation.pk],
            reason="رعایت ساعت کاری مصوب الزامی است.",
        )


def _centre(zone: Zone) -> Location:
    point = shape(zone.boundary).representative_point()
    return Location(
        latitude=Decimal(f"{point.y:.6f}"), longitude=Decimal(f"{point.x:.6f}"), address=f"تهران، {zone.name}"
    )


APPLICATION: Mapping[str, Any] = {
    "person_type": "real",
    "nationality": "iranian",
    "office_name": "دفتر خدمات الکترونیک شهر پیروزی",
    "degree_level": "master",
    "degree_field": "urban_planning",
    "experience_years": 6,
    "experience_field": "urban_affairs",
    "course_e_city_services": True,
    "course_citizen_rights": True,
    "course_information_security": True,
    "is_state_employee": False,
    "represents_other_office": False,
    "premises_address": "تهران، خیابان پیروزی، نبش کوچه ششم، پلاک ۲۱۴، طبقه همکف",
    "premises_postal_code": "1768913541",
    "premises_use": "commercial",
    "premises_tenure": "leased",
    "premises_area_m2": 78,
    "counters": 3,
    "office_phone": "02133456789",
    "has_computers": True,
    "has_fast_internet": True,
    "has_printer": True,
    "has_sign": True,
    "has_visitor_facilities": True,
}


def _application(city: City, officer: User, cashier: User, office: Office) -> None:
    service = service_current(code="licensing.office_licence")
    zone = Zone.objects.filter(city=city, number=4, boundary__isnull=False).first()
    if service is None or zone is None:
        return
    user = User.objects.filter(mobile=APPLICANT_MOBILE).first()
    if user is None:
        user = User(username=APPLICANT_MOBILE, mobile=APPLICANT_MOBILE)
        user.set_unusable_password()
        user.save()
    if user.person_id is None:
        user_link_person(user=user, person=_person(500_000_900, "ناصر", "پیروزی", APPLICANT_MOBILE))
    assert user.person is not None
    pdf = _sample_pdf()
    case = case_file_with_documents(
        service=service,
        applicant=user.person,
        office=None,
        channel="online",
        data=dict(APPLICATION),
        actor=user,
        files=[(d["code"], pdf, f"{d['code']}.pdf") for d in service.documents if d["required"]],
        location=_centre(zone),
        idempotency_key="demo-licence-application",
    )
    for document in Document.objects.filter(case=case, superseded=False):
        document_review(document=document, actor=officer, verified=True)
    case.refresh_from_db()
    case_act(case=case, action="accept_documents", actor=officer, expected_version=case.version)
    for bill in bills_of_case(case_id=case.pk).filter(status__in=PAYABLE_STATUSES):
        payment_collect_at_counter(
            bill=bill, office=office, actor=cashier, terminal_reference=f"77{case.pk:06d}"
        )
    case = case_auto_advance(case_id=case.pk)  # the demo loads in one transaction: advance now
    if case.state == "exam":
        assessment_schedule(
            case=case,
            kind="exam",
            scheduled_at=timezone.now() + timedelta(days=7),
            place="سازمان فناوری اطلاعات شهرداری تهران، سالن همایش",
            actor=officer,
            panel="کمیته ارزیابی دفاتر",
        )


def demo_licensing_load(*, city: City, staff: Mapping[str, User], office: Office | None) -> None:
    """Load the demo's licensing once: skipped when the city's offices already have licences."""
    if OfficeLicence.objects.filter(city=city).exists():
        return
    officer = staff[Role.LICENSING_OFFICER.value]
    _licences(city)
    _sanctions(city, officer)
    if not ApplicationCall.objects.filter(city=city).exists():
        now = timezone.now()
        available = set(Zone.objects.filter(city=city).values_list("number", flat=True))
        call_open(
            city=city,
            title="فراخوان جذب متقاضیان دفاتر خدمات الکترونیک شهر — نوبت دوم ۱۴۰۵",
            description="برای مناطق ۴، ۵ و ۲۲ که دفتر کمتری نسبت به جمعیت دارند.",
            opens_at=now - timedelta(days=5),
            closes_at=now + timedelta(days=25),
            quotas={number: places for number, places in CALL_DISTRICTS.items() if number in available},
            actor=officer,
        )
    if office is not None:
        _application(city, officer, staff[Role.OFFICE_OPERATOR.value], office)
