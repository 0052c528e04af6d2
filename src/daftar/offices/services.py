"""Every write about cities, districts, offices, working hours, holidays and staff.

Bad input raises a :mod:`daftar.core.errors` domain error (``InvalidValue``, or ``Conflict`` when
the thing already exists) with a stable ``code`` and a translatable message.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, time
from decimal import Decimal
from functools import partial
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from daftar.accounts.roles import ROLE_BY_CODE, Scope
from daftar.core.errors import Conflict, InvalidValue
from daftar.core.jalali import fiscal_year_bounds
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.core.validators import validate_postal_code

from . import geo
from .models import (
    City,
    Holiday,
    HolidayKind,
    HoursOverride,
    LicenceStatus,
    Office,
    Shift,
    StaffAssignment,
    WeeklyHours,
    Zone,
)
from .selectors import calendar_memo
from .signals import day_closed, day_hours_changed, office_status_changed

if TYPE_CHECKING:
    from daftar.accounts.models import User

HOLIDAYS_LIB_SOURCE = "holidays-lib"
MANUAL_SOURCE = "manual"

_PERSIAN_LETTER = re.compile("[\u0600-\u06ff]")
_PHONE = re.compile(r"0\d{10}")
_COORDINATE_STEP = Decimal("0.000001")

Spans = Sequence[tuple[time, time]]


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


# --- holidays -------------------------------------------------------------------------------------


def _library_holidays(gregorian_years: Iterable[int]) -> dict[date, list[str]]:
    """Iran's official holidays from the ``holidays`` library, in Persian when it has them.

    ``language="fa"`` is tried first as documented; the library ships its Persian names under
    ``fa_IR`` and answers plain ``fa`` in English, so any ``fa*`` language it lists is tried
    next, and its default names are the last resort.
    """
    years = sorted(set(gregorian_years))
    supported = getattr(holidays_lib.country_holidays("IR"), "supported_languages", ()) or ()
    candidates: list[str] = [
        "fa",
        *(lang for lang in supported if lang.startswith("fa") and lang != "fa"),
    ]
    table: Any = None
    for language in candidates:
        table = holidays_lib.country_holidays("IR", years=years, language=language)
        if any(_PERSIAN_LETTER.search(name) for name in table.values()):
            break
    else:
        table = holidays_lib.country_holidays("IR", years=years)
    result: dict[date, list[str]] = {}
    for day in sorted(table):
        names = [normalize_persian(name)[:200] for name in table.get_list(day)]
        result[day] = list(dict.fromkeys(name for name in names if name))
    return result


def holidays_sync(*, jalali_years: list[int]) -> int:
    """Store Iran's official holidays for these Jalali years as national holidays; return how many were new.

    Idempotent: a holiday already stored (same date and name, whatever its source) is left
    alone, so running twice creates nothing. Rows staff added by hand (any source other than
    the library) are never touched. Library rows inside the synced years that the library no
    longer lists (an estimated date or name it has since corrected) are removed, so the
    calendar does not keep a stale estimate beside the corrected holiday.
    """
    if not jalali_years:
        return 0
    bounds = [fiscal_year_bounds(year) for year in sorted(set(jalali_years))]

    def synced(day: date) -> bool:
        return any(first <= day <= last for first, last in bounds)

    gregorian_years = {year for first, last in bounds for year in range(first.year, last.year + 1)}
    wanted = {
        (day, name)
        for day, names in _library_holidays(gregorian_years).items()
        if synced(day)
        for name in names
    }
    low, high = bounds[0][0], bounds[-1][1]
    with transaction.atomic():
        stored = {
            (row.date, row.name): row
            for row in Holiday.objects.select_for_update().filter(city__isnull=True, date__range=(low, high))
            if synced(row.date)
        }
        new = [
            Holiday(city=None, date=day, name=name, kind=HolidayKind.OFFICIAL, source=HOLIDAYS_LIB_SOURCE)
            for day, name in sorted(wanted - stored.keys())
        ]
        # ignore_conflicts: a concurrent sync that stored the same row first is not an error.
        Holiday.objects.bulk_create(new, ignore_conflicts=True)
        stale = [
            row.pk for key, row in stored.items() if row.source == HOLIDAYS_LIB_SOURCE and key not in wanted
        ]
        if stale:
            Holiday.objects.filter(pk__in=stale).delete()
        transaction.on_commit(calendar_memo.clear)  # bulk writes send no save signals
    return len(new)


def closure_declare(*, city: City, date: date, name: str) -> Holiday:
    """A day the city closes its offices (kind ``closure``); declaring it again returns the same row."""
    clean_name = normalize_persian(name)
    if not clean_name:
        raise InvalidValue("closure.name_required", _("Give the closure a name."))
    with transaction.atomic():
        holiday, _created = Holiday.objects.get_or_create(
            city=city,
            date=date,
            name=clean_name[:200],
            defaults={"kind": HolidayKind.CLOSURE, "source": MANUAL_SOURCE},
        )
        # Announced again when declared again: what hears it (appointments) is idempotent.
        day_closed_announce(city=city, office=None, day=date, reason=holiday.name)
    return holiday


# --- working hours --------------------------------------------------------------------------------


def _check_spans(spans: Spans) -> list[tuple[time, time]]:
    """Each span opens before it closes and no two overlap (touching is allowed); sorted."""
    ordered = sorted(spans)
    for opens, closes in ordered:
        if not opens < closes:
            raise InvalidValue(
                "hours.order",
                _("Opening time %(opens)s must be before closing time %(closes)s."),
                {"opens": _hhmm(opens), "closes": _hhmm(closes)},
            )
    for (first_opens, first_closes), (second_opens, second_closes) in pairwise(ordered):
        if second_opens < first_closes:
            raise InvalidValue(
                "hours.overlap",
                _("The hours %(first)s and %(second)s overlap."),
                {
                    "first": f"{_hhmm(first_opens)}–{_hhmm(first_closes)}",
                    "second": f"{_hhmm(second_opens)}–{_hhmm(second_closes)}",
                },
            )
    return ordered


def hours_set_weekly(
    *, office: Office, weekday: int, shift: Shift | str, opens: time, closes: time
) -> WeeklyHours:
    """Set one shift of an office's weekly schedule (Python weekday, Monday=0); replaces that shift."""
    if weekday not in range(7):
        raise InvalidValue("hours.weekday", _("The weekday must be between 0 (Monday) and 6 (Sunday)."))
    if shift not in Shift.values:
        raise InvalidValue("hours.shift", _("Unknown shift: %(shift)s."), {"shift": shift})
    others = WeeklyHours.objects.filter(office=office, weekday=weekday).exclude(shift=shift)
    _check_spans([(opens, closes), *((row.opens, row.closes) for row in others)])
    row, _created = WeeklyHours.objects.update_or_create(
        office=office, weekday=weekday, shift=shift, defaults={"opens": opens, "closes": closes}
    )
    return row


def hours_clear_weekly(*, office: Office, weekday: int, shift: Shift | str) -> bool:
    """Remove one shift from an office's weekly schedule; whether there was one."""
    deleted, _details = WeeklyHours.objects.filter(office=office, weekday=weekday, shift=shift).delete()
    return deleted > 0


def _check_office_in_city(*, city: City, office: Office | None) -> None:
    if office is not None and office.city_id != city.pk:
        raise InvalidValue("office.city_mismatch", _("The office does not belong to this city."))


def hours_override_set(
    *,
    city: City,
    office: Office | None = None,
    date: date,
    closed: bool = False,
    spans: Spans = (),
    reason: str = "",
) -> list[HoursOverride]:
    """Replace the special hours of one date for the city (office None) or for one office.

    Either ``closed`` (no spans) or one or more non-overlapping spans. The replacement is
    atomic; if the stored rows already say the same, nothing is rewritten.
    """
    _check_office_in_city(city=city, office=office)
    if closed and spans:
        raise InvalidValue("hours.closed_with_spans", _("A day marked closed cannot have opening hours."))
    if not closed and not spans:
        raise InvalidValue(
            "hours.spans_required", _("Give opening and closing times, or mark the day closed.")
        )
    ordered = _check_spans(spans)
    clean_reason = normalize_persian(reason)[:200]
    wanted: list[tuple[bool, time | None, time | None, str]] = (
        [(True, None, None, clean_reason)] if closed else [(False, o, c, clean_reason) for o, c in ordered]
    )
    with transaction.atomic():
        current = list(
            HoursOverride.objects.select_for_update()
            .filter(city=city, office=office, date=date)
            .order_by("opens", "pk")
        )
        if Counter((row.closed, row.opens, row.closes, row.reason) for row in current) == Counter(wanted):
            return current
        HoursOverride.objects.filter(pk__in=[row.pk for row in current]).delete()
        created = HoursOverride.objects.bulk_create(
            HoursOverride(city=city, office=office, date=date, closed=c, opens=o, closes=e, reason=r)
            for c, o, e, r in wanted
        )
        if closed:
            day_closed_announce(city=city, office=office, day=date, reason=clean_reason)
        else:
            day_hours_announce(city=city, office=office, day=date, reason=clean_reason)
        return created


def hours_override_clear(*, city: City, office: Office | None = None, date: date) -> int:
    """Remove the special hours of one date for that scope; the weekly schedule applies again."""
    _check_office_in_city(city=city, office=office)
    deleted, _details = HoursOverride.objects.filter(city=city, office=office, date=date).delete()
    return deleted


# --- staff ----------------------------------------------------------------------------------------


def _check_staff_scope(*, role: str, city: City, office: Office | None) -> None:
    spec = ROLE_BY_CODE.get(role)
    if spec is None:
        raise InvalidValue("staff.unknown_role", _("Unknown role: %(role)s."), {"role": role})
    if spec.scope == Scope.OFFICE:
        if office is None:
            raise InvalidValue("staff.office_required", _("This role acts for an office: choose the office."))
        _check_office_in_city(city=city, office=office)
    elif office is not None:
        raise InvalidValue(
            "staff.office_not_allowed",
            _("This role acts for the whole city and cannot be tied to an office."),
        )


def staff_assign(*, user: User, role: str, city: City, office: Office | None = None) -> StaffAssignment:
    """Give a user a role for an office (office roles) or a city (municipal roles); idempotent.

    The user also joins the Django group named after the role, which carries its permissions.
    Assigning again returns the same row, re-activated if it had been ended.
    """
    _check_staff_scope(role=role, city=city, office=office)
    with transaction.atomic():
        assignment, _created = StaffAssignment.objects.get_or_create(
            user=user, role=role, city=city, office=office
        )
        if not assignment.is_active:
            assignment.is_active = True
            assignment.save(update_fields=["is_active"])
        group, _group_created = Group.objects.get_or_create(name=role)
        user.groups.add(group)
    return assignment


def staff_unassign(*, user: User, role: str, city: City, office: Office | None = None) -> bool:
    """End a user's role for that office or city; whether an active assignment was ended.

    The row is kept (inactive) as a record. The user leaves the role's group only when no
    other active assignment still gives them that role.
    """
    with transaction.atomic():
        ended = StaffAssignment.objects.filter(
            user=user, role=role, city=city, office=office, is_active=True
        ).update(is_active=False)
        if not StaffAssignment.objects.filter(user=user, role=role, is_active=True).exists():
            user.groups.remove(*Group.objects.filter(name=role))
    return ended > 0


# --- cities, districts, offices -------------------------------------------------------------------


def _coordinate(value: Decimal | float | str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(_COORDINATE_STEP)
    except ArithmeticError as exc:
        raise InvalidValue("geo.number", _("Enter the coordinates as numbers.")) from exc


def _check_point(latitude: Decimal | None, longitude: Decimal | None) -> None:
    if (latitude is None) != (longitude is None):
        raise InvalidValue("geo.pair", _("Give both latitude and longitude, or neither."))
    if (
        latitude is not None
        and longitude is not None
        and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        raise InvalidValue("geo.range", _("The coordinates are out of range."))


def city_create(
    *,
    code: str,
    name_fa: str,
    name_en: str,
    timezone: str = "Asia/Tehran",
    center_latitude: Decimal | float | None = None,
    center_longitude: Decimal | float | None = None,
    min_office_area_m2: int = 60,
    working_weekdays: Sequence[int] | None = None,
) -> City:
    """A new city (municipality). The code is its stable slug (``tehran``)."""
    code = code.strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", code):
        raise InvalidValue("city.code", _("The city code is lowercase Latin letters, digits and dashes."))
    if City.objects.filter(code=code).exists():
        raise Conflict("city.duplicate", _("A city with code %(code)s already exists."), {"code": code})
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidValue("city.timezone", _("Unknown time zone: %(zone)s."), {"zone": timezone}) from exc
    weekdays = sorted(set(working_weekdays)) if working_weekdays is not None else [5, 6, 0, 1, 2, 3]
    if not weekdays or any(day not in range(7) for day in weekdays):
        raise InvalidValue("city.weekdays", _("Working weekdays are numbers from 0 (Monday) to 6 (Sunday)."))
    latitude, longitude = _coordinate(center_latitude), _coordinate(center_longitude)
    _check_point(latitude, longitude)
    return City.objects.create(
        code=code,
        name_fa=normalize_persian(name_fa),
        name_en=name_en.strip(),
        timezone=timezone,
        center_latitude=latitude,
        center_longitude=longitude,
        min_office_area_m2=min_office_area_m2,
        working_weekdays=weekdays,
    )


def zone_create(*, city: City, number: int, name: str, boundary: dict[str, Any] | None = None) -> Zone:
    """A district of the city; its boundary, if given, is a GeoJSON Polygon or MultiPolygon (lon, lat)."""
    if number < 1:
        raise InvalidValue("zone.number", _("District numbers start at 1."))
    if Zone.objects.filter(city=city, number=number).exists():
        raise Conflict(
            "zone.duplicate", _("District %(number)d already exists in this city."), {"number": number}
        )
    if boundary is not None:
        try:
            geo.parse_boundary(boundary)
        except geo.BoundaryError as exc:
            raise InvalidValue("zone.boundary", _("The boundary is not a valid GeoJSON polygon.")) from exc
    clean_name = normalize_persian(name)
    if not clean_name:
        raise InvalidValue("zone.name_required", _("Give the district a name."))
    return Zone.objects.create(city=city, number=number, name=clean_name, boundary=boundary)


def office_create(
    *,
    city: City,
    zone: Zone,
    code: str,
    name: str,
    address: str,
    licence_status: LicenceStatus | str = LicenceStatus.PENDING,
    postal_code: str = "",
    phone: str = "",
    latitude: Decimal | float | None = None,
    longitude: Decimal | float | None = None,
    area_m2: int | None = None,
    counters: int = 1,
) -> Office:
    """A new office in a district of the city.

    The code is unique within the city; a location, when given, must lie inside the district's
    boundary (when it has one); the useful area, when given, must meet the city's minimum.
    """
    if zone.city_id != city.pk:
        raise InvalidValue("office.zone_city", _("The district does not belong to this city."))
    clean_code = to_latin_digits(code).strip()
    if not clean_code:
        raise InvalidValue("office.code_required", _("Give the office a code."))
    if Office.objects.filter(city=city, code=clean_code).exists():
        raise Conflict(
            "office.duplicate",
            _("An office with code %(code)s already exists in this city."),
            {"code": clean_code},
        )
    clean_name, clean_address = normalize_persian(name), normalize_persian(address)
    if not clean_name or not clean_address:
        raise InvalidValue("office.name_address", _("The office needs a name and an address."))
    if licence_status not in LicenceStatus.values:
        raise InvalidValue(
            "office.status", _("Unknown licence status: %(status)s."), {"status": licence_status}
        )
    clean_postal = ""
    if postal_code.strip():
        clean_postal = validate_postal_code(postal_code)  # its InvalidValue propagates as it is
    clean_phone = "".join(ch for ch in to_latin_digits(phone) if ch.isdigit())
    if phone.strip() and not _PHONE.fullmatch(clean_phone):
        raise InvalidValue(
            "office.phone", _("Enter the telephone number with its area code: 11 digits starting with 0.")
        )
    if counters < 1:
        raise InvalidValue("office.counters", _("An office has at least one service counter."))
    if area_m2 is not None and area_m2 < city.min_office_area_m2:
        raise InvalidValue(
            "office.area",
            _("The useful area must be at least %(minimum)d m²."),
            {"minimum": city.min_office_area_m2},
        )
    lat, lon = _coordinate(latitude), _coordinate(longitude)
    _check_point(lat, lon)
    if lat is not None and lon is not None and zone.boundary:
        geometry = geo.zone_geometry(zone.pk, zone.boundary)
        if not geo.covers_point(geometry, latitude=float(lat), longitude=float(lon)):
            raise InvalidValue(
                "office.outside_zone", _("The office's location is outside %(zone)s."), {"zone": zone.name}
            )
    return Office.objects.create(
        city=city,
        zone=zone,
        code=clean_code,
        name=clean_name,
        address=clean_address,
        licence_status=licence_status,
        postal_code=clean_postal,
        phone=clean_phone,
        latitude=lat,
        longitude=lon,
        area_m2=area_m2,
        counters=counters,
    )


def day_closed_announce(*, city: City | None, office: Office | None, day: date, reason: str) -> None:
    """Once the current transaction commits, tell the layers above that ``day`` is closed: for one
    office, for a city's offices, or (``city`` None: a national holiday) for every city's."""
    cities = [city] if city is not None else list(City.objects.filter(is_active=True))
    for each in cities:
        transaction.on_commit(
            partial(day_closed.send, sender=Holiday, city=each, office=office, day=day, reason=reason)
        )


def day_hours_announce(*, city: City, office: Office | None, day: date, reason: str) -> None:
    """Once the current transaction commits, tell the layers above that ``day``'s hours changed."""
    transaction.on_commit(
        partial(
            day_hours_changed.send, sender=HoursOverride, city=city, office=office, day=day, reason=reason
        )
    )


def office_licence_status_set(*, office: Office, status: LicenceStatus | str, reason: str = "") -> Office:
    """Set an office's licence status; once committed, ``office_status_changed`` is announced.

    An office that can no longer serve (suspended, revoked, expired) has its future bookings
    cancelled by the appointments app, which listens. Setting the same status again changes nothing.
    """
    if status not in LicenceStatus.values:
        raise InvalidValue("office.status", _("Unknown licence status: %(status)s."), {"status": status})
    with transaction.atomic():
        locked = Office.objects.select_for_update().get(pk=office.pk)
        if locked.licence_status == status:
            return locked
        locked.licence_status = status
        locked.save(update_fields=["licence_status"])
        transaction.on_commit(
            partial(
                office_status_changed.send,
                sender=Office,
                office=locked,
                reason=normalize_persian(reason)[:200],
            )
        )
    office.licence_status = locked.licence_status
    return locked
