"""Every write about licensing an office: calls and quotas, an application's place, its exam and
interview, and the site visit. Issuing and renewing the licence: ``licences.py``.

Supervision (inspections, violations, sanctions, appeals) lives in ``supervision.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.accounts.roles import Role
from daftar.cases.models import Case
from daftar.cases.services import case_auto_advance_on_commit
from daftar.cases.tracking import display
from daftar.core.errors import Conflict, Forbidden, InvalidValue, NotFound
from daftar.core.jalali import format_jalali_datetime
from daftar.core.text import normalize_persian
from daftar.documents.content import detect_type
from daftar.offices.models import City, Zone
from daftar.offices.selectors import offices_staff_of, zone_for_point
from daftar.outbox.services import outbox_enqueue

from .models import (
    ApplicationCall,
    Assessment,
    AssessmentKind,
    BuildingUse,
    CallQuota,
    LicenceApplication,
    SiteVisit,
    SiteVisitPhoto,
)
from .selectors import calls_open, quota_taken

logger = logging.getLogger(__name__)

LICENSING_ROLES = frozenset({Role.LICENSING_OFFICER.value, Role.CITY_ADMINISTRATOR.value})
INSPECTOR_ROLES = frozenset({Role.TECHNICAL_INSPECTOR.value, Role.LICENSING_OFFICER.value})
PHOTO_TYPES = ("image/jpeg", "image/png")
PHOTO_MAX_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 12


def require_city_role(*, actor: User, city: City, roles: Iterable[str]) -> None:
    """Forbidden unless the actor holds one of ``roles`` for ``city`` (municipal roles only)."""
    allowed = set(roles)
    if not any(
        a.role in allowed and a.city_id == city.pk and a.office_id is None
        for a in offices_staff_of(user=actor)
    ):
        raise Forbidden("licensing.role", _("You may not do this for this city."))


def sms_send_later(*, mobile: str, body: str, purpose: str, key: str) -> None:
    if mobile:
        outbox_enqueue(
            kind="sms.send", payload={"to": mobile, "body": body, "purpose": purpose}, idempotency_key=key
        )


# --- calls for applications ----------------------------------------------------------------------


def call_open(
    *,
    city: City,
    title: str,
    opens_at: datetime,
    closes_at: datetime,
    quotas: Mapping[int, int],
    actor: User,
    description: str = "",
) -> ApplicationCall:
    """Announce a call with its window and the places per district (district number → places)."""
    require_city_role(actor=actor, city=city, roles=LICENSING_ROLES)
    clean_title = normalize_persian(title)
    fields: dict[str, list[Any]] = {}
    if not clean_title:
        fields["title"] = [_("This field is required.")]
    if opens_at >= closes_at:
        fields["closes_at"] = [_("The call must close after it opens.")]
    if not quotas:
        fields["quotas"] = [_("Give at least one district with its number of places.")]
    zones = {z.number: z for z in Zone.objects.filter(city=city, number__in=list(quotas))}
    for number, places in quotas.items():
        if number not in zones:
            fields.setdefault("quotas", []).append(
                _("District %(number)s is not in this city.") % {"number": number}
            )
        elif not isinstance(places, int) or places < 1 or places > 1000:
            fields.setdefault("quotas", []).append(
                _("District %(number)s: places must be a whole number from 1 to 1000.") % {"number": number}
            )
    if fields:
        raise InvalidValue(
            "call.invalid", _("The call could not be saved; see the marked fields."), fields=fields
        )
    with transaction.atomic():
        call = ApplicationCall.objects.create(
            city=city,
            title=clean_title,
            description=normalize_persian(description, multiline=True),
            opens_at=opens_at,
            closes_at=closes_at,
            created_by=actor,
        )
        CallQuota.objects.bulk_create(
            [
                CallQuota(call=call, zone=zones[number], places=places)
                for number, places in sorted(quotas.items())
            ]
        )
    return call


def call_cancel(*, call: ApplicationCall, actor: User, reason: str) -> ApplicationCall:
    """Withdraw a call: no new applications; those filed stay and proceed."""
    require_city_role(actor=actor, city=call.city, roles=LICENSING_ROLES)
    text = normalize_persian(reason, multiline=True)
    if not text:
        raise InvalidValue(
            "call.reason_required",
            _("Give the reason for cancelling the call."),
            fields={"reason": [_("This field is required.")]},
        )
    with transaction.atomic():
        locked = ApplicationCall.objects.select_for_update().get(pk=call.pk)
        if locked.cancelled_at is not None:
            raise Conflict("call.already_cancelled", _("This call has already been cancelled."))
        locked.cancelled_at, locked.cancel_reason = timezone.now(), text
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
    return locked


@dataclass(frozen=True)
class CallPlace:
    call: ApplicationCall
    quota: CallQuota


def call_place_find(*, case: Case, lock: bool) -> CallPlace | str:
    """The open call and district quota the case's premises may take, or why there is none.

    With ``lock`` the quota row is locked for the rest of the transaction, so two applicants cannot
    both take the last place (on SQLite, writers are serialised anyway).
    """
    calls = list(calls_open(city=case.city))
    if not calls:
        return str(
            _(
                "No call for office licence applications is open now; "
                "applications can be filed only during a call."
            )
        )
    zone = case.zone
    if zone is None and case.latitude is not None and case.longitude is not None:
        zone = zone_for_point(city=case.city, latitude=float(case.latitude), longitude=float(case.longitude))
    if zone is None:
        return str(_("The premises' location is not inside any district of the city."))
    quotas = (
        CallQuota.objects.filter(call__in=calls, zone=zone).select_related("call").order_by("call__closes_at")
    )
    if lock:
        quotas = quotas.select_for_update()
    found = list(quotas)
    if not found:
        return str(
            _("The open call has no places in %(zone)s; no application can be filed there.")
            % {"zone": zone.name}
        )
    for quota in found:
        if quota_taken(quota=quota) < quota.places:
            return CallPlace(call=quota.call, quota=quota)
    return str(_("All places in %(zone)s in this call have been taken.") % {"zone": zone.name})


def application_register(*, case: Case) -> LicenceApplication:
    """Give a newly filed application its place in the call (run in the filing transaction).

    Entering the start state again (after a correction) keeps the place it already has."""
    existing = LicenceApplication.objects.filter(case=case).first()
    if existing is not None:
        return existing
    place = call_place_find(case=case, lock=True)
    if isinstance(place, str):
        raise Conflict("licensing.no_place", place)
    return LicenceApplication.objects.create(
        case=case, call=place.call, quota=place.quota, zone=place.quota.zone
    )


# --- exam and interview --------------------------------------------------------------------------

# The workflow state in which each assessment is held.
ASSESSMENT_STATE = {AssessmentKind.EXAM: "exam", AssessmentKind.INTERVIEW: "interview"}


def _application_in_state(case: Case, state: str) -> LicenceApplication:
    application = LicenceApplication.objects.select_related("case", "case__city").filter(case=case).first()
    if application is None:
        raise NotFound("licensing.not_application", _("This case is not an office licence application."))
    if case.state != state or not case.is_open:
        raise Conflict("licensing.wrong_stage", _("The application is not at this stage."))
    return application


def assessment_schedule(
    *, case: Case, kind: str, scheduled_at: datetime, place: str, actor: User, panel: str = ""
) -> Assessment:
    """Set (or move) the date and place of the exam or interview; the applicant gets an SMS."""
    if kind not in AssessmentKind.values:
        raise InvalidValue("assessment.kind", _("Unknown assessment."))
    require_city_role(actor=actor, city=case.city, roles=LICENSING_ROLES)
    application = _application_in_state(case, ASSESSMENT_STATE[AssessmentKind(kind)])
    clean_place = normalize_persian(place)
    if not clean_place:
        raise InvalidValue(
            "assessment.place", _("Give the place."), fields={"place": [_("This field is required.")]}
        )
    if scheduled_at <= timezone.now():
        raise InvalidValue(
            "assessment.past",
            _("The date must be in the future."),
            fields={"scheduled_at": [_("The date must be in the future.")]},
        )
    with transaction.atomic():
        existing = Assessment.objects.select_for_update().filter(application=application, kind=kind).first()
        if existing is not None and existing.is_recorded:
            raise Conflict(
                "assessment.recorded", _("The result has already been recorded; it cannot be rescheduled.")
            )
        assessment, _created = Assessment.objects.update_or_create(
            application=application,
            kind=kind,
            defaults={
                "scheduled_at": scheduled_at,
                "place": clean_place,
                "panel": normalize_persian(panel),
                "scheduled_by": actor,
            },
        )
        when = format_jalali_datetime(scheduled_at)
        sms_send_later(
            mobile=case.applicant.mobile,
            body=(
                f"{AssessmentKind(kind).label} مجوز دفتر (پرونده {display(case.tracking_code)}): "
                f"{when}، {clean_place}"
            ),
            purpose="licence_assessment",
            key=f"assessment-{assessment.pk}-{int(scheduled_at.timestamp())}",
        )
    return assessment


def _pass_mark(case: Case, kind: str) -> Decimal:
    rule = "applicant_passed_exam" if kind == AssessmentKind.EXAM else "applicant_passed_interview"
    raw = ((case.service_version.parameters or {}).get(rule) or {}).get("pass_mark", 60)
    return Decimal(str(raw))


def _score(value: Decimal | int | float | str | None) -> Decimal:
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        score = Decimal(-1)
    if not Decimal(0) <= score <= Decimal(100):
        message = _("The score must be a number from 0 to 100.")
        raise InvalidValue("assessment.score", message, fields={"score": [message]})
    return score


def assessment_record(
    *,
    case: Case,
    kind: str,
    actor: User,
    score: Decimal | int | float | str | None = None,
    absent: bool = False,
    notes: str = "",
) -> Assessment:
    """Record the score (or the absence) once; the case moves on or is closed by its workflow."""
    if kind not in AssessmentKind.values:
        raise InvalidValue("assessment.kind", _("Unknown assessment."))
    require_city_role(actor=actor, city=case.city, roles=LICENSING_ROLES)
    application = _application_in_state(case, ASSESSMENT_STATE[AssessmentKind(kind)])
    value = None if absent else _score(score)
    with transaction.atomic():
        assessment = Assessment.objects.select_for_update().filter(application=application, kind=kind).first()
        if assessment is None:
            raise Conflict("assessment.not_scheduled", _("Schedule it before recording its result."))
        if assessment.is_recorded:
            raise Conflict("assessment.recorded", _("The result has already been recorded."))
        if assessment.scheduled_at > timezone.now():
            raise Conflict(
                "assessment.not_held", _("The result can be recorded only after it has been held.")
            )
        assessment.score, assessment.absent = value, absent
        assessment.pass_mark = _pass_mark(case, kind)
        assessment.notes = normalize_persian(notes, multiline=True)
        assessment.recorded_by, assessment.recorded_at = actor, timezone.now()
        assessment.save()
        outcome = "قبول" if assessment.passed else "مردود"
        sms_send_later(
            mobile=case.applicant.mobile,
            body=(
                f"نتیجه {AssessmentKind(kind).label} مجوز دفتر "
                f"(پرونده {display(case.tracking_code)}): {outcome}"
            ),
            purpose="licence_assessment",
            key=f"assessment-{assessment.pk}-result",
        )
        case_auto_advance_on_commit(case_id=case.pk)
    return assessment


# --- the site visit ------------------------------------------------------------------------------


def _decimal(value: Any, field: str, *, low: Decimal, high: Decimal) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = low - 1
    if not low <= number <= high:
        message = _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        raise InvalidValue("site_visit.invalid", message, fields={field: [message]})
    return number


def site_visit_record(
    *,
    case: Case,
    actor: User,
    measured_area_m2: Decimal | float | str,
    building_use: str,
    equipment: Mapping[str, bool],
    latitude: Decimal | float | str,
    longitude: Decimal | float | str,
    notes: str = "",
    photos: Iterable[tuple[str, bytes]] = (),
) -> SiteVisit:
    """The inspector's record of the premises, with photos checked by content; once per application."""
    require_city_role(actor=actor, city=case.city, roles=INSPECTOR_ROLES)
    application = _application_in_state(case, "site_visit")
    area = _decimal(measured_area_m2, "measured_area_m2", low=Decimal(1), high=Decimal(100000))
    lat = _decimal(latitude, "latitude", low=Decimal(-90), high=Decimal(90)).quantize(Decimal("0.000001"))
    lon = _decimal(longitude, "longitude", low=Decimal(-180), high=Decimal(180)).quantize(Decimal("0.000001"))
    if building_use not in BuildingUse.values:
        message = _("Choose one of the listed options.")
        raise InvalidValue("site_visit.invalid", message, fields={"building_use": [message]})
    files = list(photos)
    if len(files) > MAX_PHOTOS:
        too_many = _("At most %(count)d photos.") % {"count": MAX_PHOTOS}
        raise InvalidValue("site_visit.photos", too_many, fields={"photos": [too_many]})
    checked = [(name, content, _photo_type(content)) for name, content in files]
    known = set((case.data or {}).keys())
    clean_equipment = {
        str(k): bool(v) for k, v in equipment.items() if str(k) in known or str(k).startswith("has_")
    }
    with transaction.atomic():
        if SiteVisit.objects.filter(application=application).exists():
            raise Conflict("site_visit.recorded", _("The site visit has already been recorded."))
        visit = SiteVisit.objects.create(
            application=application,
            inspector=actor,
            measured_area_m2=area,
            building_use=building_use,
            equipment=clean_equipment,
            latitude=lat,
            longitude=lon,
            notes=normalize_persian(notes, multiline=True),
        )
        for index, (_name, content, content_type) in enumerate(checked):
            photo = SiteVisitPhoto(visit=visit, content_type=content_type, size=len(content))
            suffix = "jpg" if content_type == "image/jpeg" else "png"
            photo.file.save(f"{index + 1}-{timezone.now():%H%M%S}.{suffix}", ContentFile(content), save=False)
            photo.save()
        case_auto_advance_on_commit(case_id=case.pk)
    return visit


def _photo_type(content: bytes) -> str:
    if not content:
        raise InvalidValue(
            "site_visit.photo_empty",
            _("A photo file is empty."),
            fields={"photos": [_("A photo file is empty.")]},
        )
    if len(content) > PHOTO_MAX_BYTES:
        too_large = _("A photo is larger than %(mb)d MB.") % {"mb": PHOTO_MAX_BYTES // (1024 * 1024)}
        raise InvalidValue("site_visit.photo_large", too_large, fields={"photos": [too_large]})
    detected = detect_type(content)
    if detected not in PHOTO_TYPES:
        message = _("Photos must be JPEG or PNG images.")
        raise InvalidValue("site_visit.photo_type", message, fields={"photos": [message]})
    return detected
