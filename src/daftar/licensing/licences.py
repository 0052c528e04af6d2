"""Issuing and renewing an office's licence: the approving effect creates the office, makes the
applicant its manager, signs the certificate and activates the office; renewal extends it."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.certificates.models import Certificate
from daftar.certificates.services import certificate_issue
from daftar.core.errors import Conflict, NotFound
from daftar.core.jalali import fiscal_year_of, format_jalali_date, local_today
from daftar.offices.models import City, LicenceStatus, Office, Shift, Zone
from daftar.offices.services import hours_set_weekly, office_create, office_licence_status_set, staff_assign

from .models import LicenceApplication, LicenceRenewal, OfficeLicence, SiteVisit
from .services import sms_send_later

DEFAULT_VALID_YEARS = 5
# Approved hours a new office starts with (the municipality's standard: Saturday to Wednesday 8–14,
# Thursday 8–12), unless the catalogue's ``office_hours`` parameter says otherwise.
DEFAULT_OFFICE_HOURS: tuple[dict[str, Any], ...] = (
    {"weekdays": [5, 6, 0, 1, 2], "opens": "08:00", "closes": "14:00"},
    {"weekdays": [3], "opens": "08:00", "closes": "12:00"},
)


# --- the licence ---------------------------------------------------------------------------------


def _licence_number(city: City, today: date) -> str:
    """``TEH-1405-0007``: the city, the fiscal year and a sequence (the city row is locked)."""
    City.objects.select_for_update().get(pk=city.pk)
    prefix = f"{city.code[:3].upper()}-{fiscal_year_of(today)}-"
    count = OfficeLicence.objects.filter(city=city, number__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


def _office_code(city: City, zone: Zone) -> str:
    """The next free code in the district's range (district 3 → 301, 302 …), as the demo city uses."""
    taken = set(Office.objects.filter(city=city).values_list("code", flat=True))
    for base in (zone.number * 100, zone.number * 1000 + 900):
        for n in range(1, 100):
            if str(base + n) not in taken:
                return str(base + n)
    raise Conflict("licensing.no_office_code", _("No free office code is left in this district."))


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _valid_years(case: Case) -> int:
    years = ((case.service_version.parameters or {}).get("licence") or {}).get(
        "valid_years", DEFAULT_VALID_YEARS
    )
    return int(years)


def _years_later(day: date, years: int) -> date:
    """The day before the same date ``years`` later (a licence from 1405/01/10 runs to 1410/01/09)."""
    try:
        later = day.replace(year=day.year + years)
    except ValueError:  # 29 February
        later = day.replace(year=day.year + years, day=28)
    return later - timedelta(days=1)


def licence_certificate_fields(
    *, number: str, office: Office, zone: Zone, valid_from: date, valid_until: date
) -> list[list[str]]:
    return [
        ["شماره مجوز", number],
        ["نام دفتر", office.name],
        ["کد دفتر", office.code],
        ["منطقه", zone.name],
        ["نشانی دفتر", office.address],
        ["اعتبار از", format_jalali_date(valid_from, persian_digits=False)],
        ["اعتبار تا", format_jalali_date(valid_until, persian_digits=False)],
    ]


def licence_issue(*, case: Case, actor: User | None) -> OfficeLicence:
    """Grant the licence of an approved application: create the office in its district with the
    standard hours, make the applicant its manager, sign the certificate and activate the office.

    Runs inside the approving action's transaction, so a failure leaves the application undecided.
    """
    application = LicenceApplication.objects.select_related("zone", "case__city").filter(case=case).first()
    if application is None:
        raise NotFound("licensing.not_application", _("This case is not an office licence application."))
    if OfficeLicence.objects.filter(application=case).exists():
        raise Conflict(
            "licensing.already_licensed", _("A licence has already been issued for this application.")
        )
    data = case.data or {}
    city, zone = case.city, application.zone
    visit = SiteVisit.objects.filter(application=application).first()
    today = local_today()
    valid_until = _years_later(today, _valid_years(case))
    lat = visit.latitude if visit else case.latitude
    lon = visit.longitude if visit else case.longitude
    office = office_create(
        city=city,
        zone=zone,
        code=_office_code(city, zone),
        name=str(data.get("office_name") or ""),
        address=str(data.get("premises_address") or case.address or ""),
        postal_code=str(data.get("premises_postal_code") or ""),
        phone=str(data.get("office_phone") or ""),
        latitude=lat,
        longitude=lon,
        area_m2=int(visit.measured_area_m2) if visit else None,
        counters=int(data.get("counters") or 1),
    )
    shifts = ((case.service_version.parameters or {}).get("office_hours") or {}).get(
        "shifts"
    ) or DEFAULT_OFFICE_HOURS
    for shift in shifts:
        for weekday in shift["weekdays"]:
            hours_set_weekly(
                office=office,
                weekday=int(weekday),
                shift=str(shift.get("shift") or Shift.MORNING),
                opens=_clock(str(shift["opens"])),
                closes=_clock(str(shift["closes"])),
            )
    number = _licence_number(city, today)
    certificate = certificate_issue(
        case=case,
        actor=actor,
        extra_fields=licence_certificate_fields(
            number=number, office=office, zone=zone, valid_from=today, valid_until=valid_until
        ),
        valid_until=valid_until,
    )
    licence = OfficeLicence.objects.create(
        number=number,
        city=city,
        office=office,
        holder=case.applicant,
        zone=zone,
        application=case,
        certificate=certificate,
        valid_from=today,
        valid_until=valid_until,
    )
    Office.objects.filter(pk=office.pk).update(licence_valid_until=valid_until)
    office.licence_valid_until = valid_until
    manager = case.filed_by
    if manager.person_id == case.applicant_id:
        staff_assign(user=manager, role=Role.OFFICE_MANAGER, city=city, office=office)
    office_licence_status_set(office=office, status=LicenceStatus.ACTIVE, reason="صدور مجوز")
    sms_send_later(
        mobile=case.applicant.mobile,
        body=(
            f"مجوز دفتر خدمات الکترونیک شهر به شماره {number} صادر شد. کد دفتر: {office.code}. "
            "با همین شماره همراه به سامانه دفتر وارد شوید."
        ),
        purpose="licence_issued",
        key=f"licence-{licence.pk}-issued",
    )
    return licence


def licence_renew(*, case: Case, actor: User | None) -> LicenceRenewal:
    """Extend a licence by a renewal case: a new certificate for the next period; an expired licence
    becomes active again (a suspension or revocation is not lifted by renewing)."""
    code = str((case.links or {}).get("office") or (case.data or {}).get("office_code") or "")
    licence = (
        OfficeLicence.objects.select_for_update()
        .select_related("office", "zone")
        .filter(city=case.city, office__code=code)
        .first()
    )
    if licence is None:
        raise NotFound(
            "licensing.no_licence", _("No licence was found for office %(code)s.") % {"code": code}
        )
    if licence.revoked_at is not None:
        raise Conflict("licensing.revoked", _("A revoked licence cannot be renewed."))
    today = local_today()
    start = max(today, licence.valid_until + timedelta(days=1))
    valid_until = _years_later(start, _valid_years(case))
    certificate = licence_certificate_issue(
        licence=licence, case=case, actor=actor, valid_from=start, valid_until=valid_until
    )
    renewal = LicenceRenewal.objects.create(
        licence=licence,
        case=case,
        previous_until=licence.valid_until,
        valid_until=valid_until,
        certificate=certificate,
    )
    licence.valid_until, licence.certificate = valid_until, certificate
    licence.save(update_fields=["valid_until", "certificate"])
    Office.objects.filter(pk=licence.office_id).update(licence_valid_until=valid_until)
    if licence.office.licence_status == LicenceStatus.EXPIRED:
        office_licence_status_set(office=licence.office, status=LicenceStatus.ACTIVE, reason="تمدید مجوز")
    return renewal


def licence_certificate_issue(
    *, licence: OfficeLicence, case: Case, actor: User | None, valid_from: date, valid_until: date
) -> Certificate:
    """A new signed certificate of an existing licence for a period (renewal, a revocation overturned)."""
    return certificate_issue(
        case=case,
        actor=actor,
        extra_fields=licence_certificate_fields(
            number=licence.number,
            office=licence.office,
            zone=licence.zone,
            valid_from=valid_from,
            valid_until=valid_until,
        ),
        valid_until=valid_until,
    )
