"""Every write about a licence's life once issued: expiry and renewal reminders, the nightly check
of activity outside approved hours (and its review), and offices' requests to change their hours.

Background entry points (Celery tasks, run daily) call ``licences_expire_due``,
``licences_remind_renewal`` and ``activity_flag_day``; each is idempotent, so a re-run or a run
that overlaps another changes nothing twice and sends no SMS twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.appointments.conf import horizon_days
from daftar.catalog.models import ServiceVersion, VersionStatus
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import format_jalali_date
from daftar.core.text import normalize_persian, to_latin_digits, to_persian_digits
from daftar.offices.calendar import Span
from daftar.offices.models import City, LicenceStatus, Office, Shift, WeeklyHours
from daftar.offices.selectors import city_timezone, offices_staff_of
from daftar.offices.services import (
    day_hours_announce,
    hours_clear_weekly,
    hours_set_weekly,
    office_licence_status_set,
)

from .lifecycle_selectors import (
    ShiftKey,
    activity_outside_hours,
    licences_ending_between,
    manager_mobiles,
    weekly_entries_of,
)
from .models import (
    ActivityFlag,
    HoursChangeRequest,
    HoursRequestStatus,
    LicenceReminder,
    OfficeLicence,
    Violation,
)
from .services import LICENSING_ROLES, require_city_role, sms_send_later
from .supervision import violation_record

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


RENEWAL_SERVICE = "licensing.office_licence_renewal"
RENEWAL_SERVICE_NAME = "تمدید مجوز دفتر خدمات الکترونیک شهر"  # when the catalogue is not loaded
# Reminders go this many days before a licence's last valid day, each once per licence period.
REMINDER_DAYS = (60, 30, 7)
# ... and once after it has ended, recorded with days_before 0. A run missed for a few days still
# sends it up to this many days late; older expiries are not reminded of again.
AFTER_EXPIRY = 0
AFTER_EXPIRY_CATCH_UP_DAYS = 7
EXPIRED_REASON = "پایان اعتبار مجوز"
HOURS_CHANGED_REASON = "تغییر ساعت کار مصوب دفتر"
OUT_OF_HOURS_VIOLATION = "outside_approved_hours"
FLAG_REVIEW_ROLES = frozenset({Role.LICENSING_OFFICER.value, Role.TECHNICAL_INSPECTOR.value})

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def _local_today(city: City) -> date:
    return timezone.now().astimezone(city_timezone(city=city)).date()


def _user_mobile(user: User | None) -> str:
    if user is None:
        return ""
    person = user.person if user.person_id else None
    return user.mobile or (person.mobile if person is not None else "") or ""


def _renewal_how() -> str:
    name = (
        ServiceVersion.objects.filter(service_type__code=RENEWAL_SERVICE, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .values_list("name_fa", flat=True)
        .first()
        or RENEWAL_SERVICE_NAME
    )
    base = str(getattr(settings, "DAFTAR_PUBLIC_BASE_URL", "")).rstrip("/")
    where = f" در {base}" if base else ""
    return f"برای تمدید، درخواست «{name}» را به‌صورت برخط{where} ثبت کنید."


# --- expiry and reminders ------------------------------------------------------------------------


def _expired_key(licence: OfficeLicence, until: date, mobile: str) -> str:
    """One notice of an ended licence per number: the sweep's and the day-after reminder's share it,
    so the holder, told by whichever runs first, is not told twice."""
    return f"licence-{licence.pk}-expired-{until.isoformat()}-{mobile}"


def licences_expire_due(*, today: date) -> int:
    """Active offices whose licence ended before ``today`` become EXPIRED (their bookings are then
    cancelled by appointments, which hears the status change); the holder is told by SMS.

    Idempotent: an office already expired (or suspended, revoked) is left alone. Returns how many
    offices were expired by this run. The engine already refuses service past the last valid day,
    so a late run only tidies the status.
    """
    due = list(
        Office.objects.filter(licence_status=LicenceStatus.ACTIVE, licence_valid_until__lt=today).order_by(
            "pk"
        )
    )
    licences = {
        licence.office_id: licence
        for licence in OfficeLicence.objects.filter(office__in=due).select_related("holder")
    }
    how = _renewal_how() if due else ""
    expired = 0
    for office in due:
        with transaction.atomic():
            locked = Office.objects.select_for_update().get(pk=office.pk)
            until = locked.licence_valid_until
            if locked.licence_status != LicenceStatus.ACTIVE or until is None or until >= today:
                continue
            office_licence_status_set(office=locked, status=LicenceStatus.EXPIRED, reason=EXPIRED_REASON)
            expired += 1
            licence = licences.get(office.pk)
            if licence is not None:
                sms_send_later(
                    mobile=licence.holder.mobile,
                    body=(
                        f"اعتبار مجوز دفتر خدمات الکترونیک شهر کد {locked.code} (شماره {licence.number}) "
                        f"در {format_jalali_date(until)} به پایان رسید و دفتر تا تمدید مجوز نمی‌تواند "
                        f"خدمت ارائه کند. {how}"
                    ),
                    purpose="licence_expired",
                    key=_expired_key(licence, until, licence.holder.mobile),
                )
    return expired


def _reminder_due(days_left: int) -> int | None:
    """Which reminder is due with ``days_left`` days of validity left (0: today is the last day), or
    None. Only the nearest threshold is sent, so a run missed for a while does not send several."""
    if days_left >= 0:
        passed = [days for days in REMINDER_DAYS if days_left <= days]
        return min(passed) if passed else None
    if days_left >= -AFTER_EXPIRY_CATCH_UP_DAYS:
        return AFTER_EXPIRY
    return None


def _reminder_body(licence: OfficeLicence, days_before: int, how: str) -> str:
    until = format_jalali_date(licence.valid_until)
    office = licence.office
    if days_before == AFTER_EXPIRY:
        return (
            f"اعتبار مجوز دفتر خدمات الکترونیک شهر کد {office.code} (شماره {licence.number}) "
            f"در {until} به پایان رسیده است. {how}"
        )
    return (
        f"اعتبار مجوز دفتر خدمات الکترونیک شهر کد {office.code} (شماره {licence.number}) تا {until} است "
        f"({to_persian_digits(str(days_before))} روز یا کمتر مانده). {how}"
    )


def licences_remind_renewal(*, today: date) -> int:
    """Remind holders and office managers by SMS 60, 30 and 7 days before a licence ends, and once
    after it has ended. Each reminder is recorded once per licence and expiry date
    (``LicenceReminder``), so a re-run sends nothing twice, and a renewed licence (a new last valid
    day) is reminded afresh. Revoked licences get none. Returns how many reminders were sent.
    """
    licences = [
        licence
        for licence in licences_ending_between(
            first=today - timedelta(days=AFTER_EXPIRY_CATCH_UP_DAYS),
            last=today + timedelta(days=max(REMINDER_DAYS)),
        )
        if licence.office.licence_status != LicenceStatus.REVOKED
    ]
    due = {
        licence.pk: days
        for licence in licences
        if (days := _reminder_due((licence.valid_until - today).days)) is not None
    }
    if not due:
        return 0
    sent_before = set(
        LicenceReminder.objects.filter(licence_id__in=list(due)).values_list(
            "licence_id", "valid_until", "days_before"
        )
    )
    managers = manager_mobiles(office_ids=[licence.office_id for licence in licences if licence.pk in due])
    how = _renewal_how()
    sent = 0
    for licence in licences:
        days_before = due.get(licence.pk)
        if days_before is None or (licence.pk, licence.valid_until, days_before) in sent_before:
            continue
        with transaction.atomic():
            _reminder, created = LicenceReminder.objects.get_or_create(
                licence=licence, valid_until=licence.valid_until, days_before=days_before
            )
            if not created:  # another run got here first
                continue
            body = _reminder_body(licence, days_before, how)
            for mobile in dict.fromkeys([licence.holder.mobile, *managers.get(licence.office_id, [])]):
                sms_send_later(
                    mobile=mobile,
                    body=body,
                    purpose="licence_renewal_reminder",
                    key=(
                        _expired_key(licence, licence.valid_until, mobile)
                        if days_before == AFTER_EXPIRY
                        else f"licence-{licence.pk}-remind-{licence.valid_until}-{days_before}-{mobile}"
                    ),
                )
            sent += 1
    return sent


# --- activity outside approved hours -------------------------------------------------------------


def activity_flag_day(*, day: date) -> int:
    """Flag, for each office of each active city, the activity recorded outside its hours on the
    local ``day`` (cases filed at its counter, counter payments, queue tickets): one ``ActivityFlag``
    per office, day and kind, with the count and the first and last times.

    Idempotent: a re-run updates the flags not yet reviewed and removes those no longer borne out
    (special hours added afterwards, say); reviewed flags are kept as they were reviewed. Returns
    how many flags the day has (reviewed or not) for activity found by this run.
    """
    flagged = 0
    for city in City.objects.filter(is_active=True).order_by("pk"):
        rows = {(row.office_id, row.activity): row for row in activity_outside_hours(city=city, day=day)}
        with transaction.atomic():
            existing = {
                (flag.office_id, flag.activity): flag
                for flag in ActivityFlag.objects.select_for_update(of=("self",)).filter(
                    day=day, office__city=city
                )
            }
            stale = [
                flag.pk for key, flag in existing.items() if key not in rows and flag.reviewed_at is None
            ]
            if stale:
                ActivityFlag.objects.filter(pk__in=stale).delete()
            new = []
            for key, row in rows.items():
                flag = existing.get(key)
                values = {"count": row.count, "first_at": row.first_at, "last_at": row.last_at}
                if flag is None:
                    new.append(
                        ActivityFlag(office_id=row.office_id, day=day, activity=row.activity, **values)
                    )
                elif flag.reviewed_at is None and any(getattr(flag, k) != v for k, v in values.items()):
                    ActivityFlag.objects.filter(pk=flag.pk).update(**values)
            # a run at the same moment that created the same flag has already said the same
            ActivityFlag.objects.bulk_create(new, ignore_conflicts=True)
        flagged += len(rows)
    return flagged


def _reviewable(flag: ActivityFlag, actor: User) -> ActivityFlag:
    """The flag locked for review; Forbidden unless the actor supervises its city, Conflict if reviewed."""
    office = Office.objects.select_related("city").get(pk=flag.office_id)
    require_city_role(actor=actor, city=office.city, roles=FLAG_REVIEW_ROLES)
    locked = ActivityFlag.objects.select_for_update(of=("self",)).select_related("office").get(pk=flag.pk)
    if locked.reviewed_at is not None:
        raise Conflict("activity_flag.reviewed", _("This flag has already been reviewed."))
    return locked


def _required_text(value: str, *, field: str, code: str, message: StrOrPromise) -> str:
    text = normalize_persian(value or "", multiline=True)
    if not text:
        raise InvalidValue(code, message, fields={field: [_("This field is required.")]})
    return text


def activity_flag_dismiss(*, flag: ActivityFlag, actor: User, reason: str) -> ActivityFlag:
    """Close a flag as explained (an approved extra shift, a clock error), with the reason; once."""
    text = _required_text(
        reason, field="reason", code="activity_flag.reason_required", message=_("Give the reason.")
    )
    with transaction.atomic():
        locked = _reviewable(flag, actor)
        locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, timezone.now(), text
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    return locked


def activity_flag_to_violation(*, flag: ActivityFlag, actor: User, description: str) -> Violation:
    """Record the flag as a violation of the approved hours (type ``outside_approved_hours``),
    observed at its first activity; once. The sanction, if any, is decided in supervision."""
    text = _required_text(
        description,
        field="description",
        code="activity_flag.description_required",
        message=_("Describe what was observed."),
    )
    with transaction.atomic():
        locked = _reviewable(flag, actor)
        violation = violation_record(
            office=locked.office,
            actor=actor,
            type_code=OUT_OF_HOURS_VIOLATION,
            observed_at=locked.first_at,
            description=text,
        )
        locked.reviewed_by, locked.reviewed_at, locked.violation = actor, timezone.now(), violation
        locked.save(update_fields=["reviewed_by", "reviewed_at", "violation"])
    return violation


# --- requests to change the approved hours -------------------------------------------------------


def _clock(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    match = _CLOCK.fullmatch(to_latin_digits(str(value or "")).strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return time(hours, minutes) if hours < 24 and minutes < 60 else None


def _add(errors: dict[str, list[Any]], key: str, message: Any) -> None:
    errors.setdefault(key, []).append(message)


def _schedule_parse(schedule: Iterable[Mapping[str, Any]]) -> dict[ShiftKey, Span]:
    """Check the shape of a proposed week: every shift on a weekday 0–6, morning or evening, with
    hours:minutes times, opening before closing, each shift once, the evening after the morning."""
    errors: dict[str, list[Any]] = {}
    entries: dict[ShiftKey, Span] = {}
    for item in schedule:
        if not isinstance(item, Mapping):
            _add(errors, "schedule", _("Each shift needs a weekday from 0 (Monday) to 6 (Sunday)."))
            continue
        weekday, shift = item.get("weekday"), item.get("shift")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or weekday not in range(7):
            _add(errors, "schedule", _("Each shift needs a weekday from 0 (Monday) to 6 (Sunday)."))
            continue
        if shift not in Shift.values:
            _add(errors, "schedule", _("A shift is either the morning or the evening shift."))
            continue
        key = f"{weekday}.{shift}"
        opens, closes = _clock(item.get("opens")), _clock(item.get("closes"))
        if opens is None or closes is None:
            _add(errors, key, _("Enter the times as hours:minutes, for example 08:00."))
        elif not opens < closes:
            _add(errors, key, _("The opening time must be before the closing time."))
        elif (weekday, shift) in entries:
            _add(errors, key, _("This shift is given twice."))
        else:
            entries[(weekday, str(shift))] = Span(opens, closes)
    for weekday in range(7):
        morning = entries.get((weekday, Shift.MORNING.value))
        evening = entries.get((weekday, Shift.EVENING.value))
        if morning is not None and evening is not None and evening.opens < morning.closes:
            _add(
                errors,
                f"{weekday}.{Shift.EVENING.value}",
                _("The evening shift must start after the morning shift ends."),
            )
    if not entries and not errors:
        _add(errors, "schedule", _("Give at least one working shift in the week."))
    if errors:
        raise InvalidValue(
            "hours_request.invalid",
            _("The proposed hours are not valid; see the marked days."),
            fields=errors,
        )
    return entries


def _week_apply(*, office: Office, entries: Mapping[ShiftKey, Span]) -> None:
    """Replace the office's weekly hours with ``entries`` through offices' own services (their
    checks apply: weekday, shift, order, no overlap)."""
    for weekday, shift in WeeklyHours.objects.filter(office=office).values_list("weekday", "shift"):
        hours_clear_weekly(office=office, weekday=weekday, shift=shift)
    for (weekday, shift), span in sorted(entries.items()):
        hours_set_weekly(office=office, weekday=weekday, shift=shift, opens=span.opens, closes=span.closes)


class _DryRun(Exception):
    pass


def _week_check(*, office: Office, entries: Mapping[ShiftKey, Span]) -> None:
    """Apply the week in a savepoint that is always rolled back: what approval will do must succeed."""
    try:
        with transaction.atomic():
            _week_apply(office=office, entries=entries)
            raise _DryRun
    except _DryRun:
        pass
    except InvalidValue as exc:
        raise InvalidValue(
            "hours_request.invalid",
            _("The proposed hours are not valid; see the marked days."),
            fields={"schedule": [str(exc)]},
        ) from exc


def _stored(entries: Mapping[ShiftKey, Span]) -> list[dict[str, Any]]:
    return [
        {"weekday": weekday, "shift": shift, "opens": f"{span.opens:%H:%M}", "closes": f"{span.closes:%H:%M}"}
        for (weekday, shift), span in sorted(entries.items())
    ]


def hours_request_submit(
    *, office: Office, actor: User, schedule: list[dict[str, Any]], reason: str
) -> HoursChangeRequest:
    """An office manager proposes a whole new week of hours for the municipality to approve.

    Every shift is checked (weekday 0–6, morning or evening, opening before closing, no overlap);
    the week must differ from the approved one; an office has at most one pending request.
    """
    if not any(
        a.role == Role.OFFICE_MANAGER.value and a.office_id == office.pk for a in offices_staff_of(user=actor)
    ):
        raise Forbidden(
            "hours_request.not_manager", _("Only the office's manager may ask to change its hours.")
        )
    entries = _schedule_parse(schedule)
    text = _required_text(
        reason,
        field="reason",
        code="hours_request.reason_required",
        message=_("Give the reason for the change."),
    )
    with transaction.atomic():
        Office.objects.select_for_update().get(pk=office.pk)
        if HoursChangeRequest.objects.filter(office=office, status=HoursRequestStatus.PENDING).exists():
            raise Conflict(
                "hours_request.pending",
                _("The office already has a request awaiting approval; wait for its decision."),
            )
        if weekly_entries_of(office_ids=[office.pk]).get(office.pk, {}) == entries:
            raise Conflict(
                "hours_request.unchanged", _("The proposed hours are the same as the approved ones.")
            )
        _week_check(office=office, entries=entries)
        try:
            with transaction.atomic():
                return HoursChangeRequest.objects.create(
                    office=office, requested_by=actor, schedule=_stored(entries), reason=text
                )
        except IntegrityError as exc:  # a request submitted at the same moment
            raise Conflict(
                "hours_request.pending",
                _("The office already has a request awaiting approval; wait for its decision."),
            ) from exc


def _changed_weekdays(before: Mapping[ShiftKey, Span], after: Mapping[ShiftKey, Span]) -> set[int]:
    def spans(entries: Mapping[ShiftKey, Span], weekday: int) -> list[Span]:
        return sorted(span for (day, _shift), span in entries.items() if day == weekday)

    return {weekday for weekday in range(7) if spans(before, weekday) != spans(after, weekday)}


def hours_request_decide(
    *, request: HoursChangeRequest, actor: User, approve: bool, reason: str
) -> HoursChangeRequest:
    """A licensing officer or city administrator approves (the week replaces the office's weekly
    hours; bookings that no longer fit are cancelled) or rejects (with a reason) a pending request.
    The manager who asked is told by SMS."""
    office = Office.objects.select_related("city").get(pk=request.office_id)
    require_city_role(actor=actor, city=office.city, roles=LICENSING_ROLES)
    text = normalize_persian(reason or "", multiline=True)
    if not approve and not text:
        raise InvalidValue(
            "hours_request.reason_required",
            _("Give the reason for rejecting the request."),
            fields={"reason": [_("This field is required.")]},
        )
    with transaction.atomic():
        locked = (
            HoursChangeRequest.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=request.pk)
        )
        if locked.status != HoursRequestStatus.PENDING:
            raise Conflict("hours_request.decided", _("This request has already been decided."))
        if approve:
            entries = _schedule_parse(locked.schedule)
            before = weekly_entries_of(office_ids=[office.pk]).get(office.pk, {})
            _week_apply(office=office, entries=entries)
            changed = _changed_weekdays(before, entries)
            today = _local_today(office.city)
            for n in range(horizon_days()):
                day = today + timedelta(days=n)
                if day.weekday() in changed:
                    day_hours_announce(city=office.city, office=office, day=day, reason=HOURS_CHANGED_REASON)
        locked.status = HoursRequestStatus.APPROVED if approve else HoursRequestStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), text
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        outcome = "تأیید شد و از امروز اعمال می‌شود" if approve else f"رد شد. دلیل: {text}"
        sms_send_later(
            mobile=_user_mobile(locked.requested_by),
            body=f"درخواست تغییر ساعت کار دفتر کد {office.code} {outcome}",
            purpose="hours_request_decided",
            key=f"hours-request-{locked.pk}-decided",
        )
    return locked
