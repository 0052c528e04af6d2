"""Licences granted before Daftar: registered from the city's records so that the public register,
supervision, expiry and renewal cover the offices that already work (``manage.py licences_import``)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person
from daftar.core.errors import Conflict, DomainError, InvalidValue
from daftar.core.jalali import local_today, parse_jalali_date
from daftar.core.text import to_latin_digits
from daftar.offices.models import City, LicenceStatus, Office

from .models import OfficeLicence


def licence_register_existing(
    *, office: Office, holder: Person, number: str, valid_from: date, valid_until: date
) -> OfficeLicence:
    """Record an office's existing licence (no application case, no signed certificate)."""
    clean = to_latin_digits(number).strip().upper()
    if not clean:
        raise InvalidValue("licence.number", _("Give the licence number."))
    if valid_from > valid_until:
        raise InvalidValue("licence.period", _("The licence must start before it ends."))
    with transaction.atomic():
        if OfficeLicence.objects.filter(office=office).exists():
            raise Conflict(
                "licence.exists", _("Office %(code)s already has a licence.") % {"code": office.code}
            )
        if OfficeLicence.objects.filter(number=clean).exists():
            raise Conflict(
                "licence.number_taken", _("Licence number %(number)s is taken.") % {"number": clean}
            )
        licence = OfficeLicence.objects.create(
            number=clean,
            city=office.city,
            office=office,
            holder=holder,
            zone=office.zone,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        Office.objects.filter(pk=office.pk).update(licence_valid_until=valid_until)
        if office.licence_status == LicenceStatus.PENDING and valid_until >= local_today():
            from daftar.offices.services import office_licence_status_set

            office_licence_status_set(office=office, status=LicenceStatus.ACTIVE, reason="ثبت مجوز موجود")
    return licence


@dataclass
class ImportReport:
    created: int = 0
    problems: list[str] = field(default_factory=list)


COLUMNS = ("office_code", "licence_number", "holder_national_code", "valid_from", "valid_until")


def licences_import(*, city: City, rows: Iterable[dict[str, str]]) -> ImportReport:
    """Register existing licences from CSV rows (see ``COLUMNS``; Jalali dates). Each bad row is
    reported by line with its reason and skipped; good rows are kept."""
    report = ImportReport()
    for line, row in enumerate(rows, start=2):
        try:
            office = Office.objects.filter(
                city=city, code=to_latin_digits(row.get("office_code", "")).strip()
            ).first()
            if office is None:
                raise InvalidValue("licence.office", _("No office with this code in the city."))
            holder = Person.objects.filter(
                national_code=to_latin_digits(row.get("holder_national_code", "")).strip()
            ).first()
            if holder is None:
                raise InvalidValue(
                    "licence.holder", _("The holder is not registered; register the person first.")
                )
            licence_register_existing(
                office=office,
                holder=holder,
                number=row.get("licence_number", ""),
                valid_from=parse_jalali_date(row.get("valid_from", "")),
                valid_until=parse_jalali_date(row.get("valid_until", "")),
            )
        except DomainError as exc:
            report.problems.append(f"{line}: {exc}")
        else:
            report.created += 1
    return report


def licences_csv_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(text.lstrip("\ufeff").splitlines())
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise InvalidValue(
            "licence.columns", _("Missing columns: %(names)s.") % {"names": ", ".join(missing)}
        )
    return list(reader)
