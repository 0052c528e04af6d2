"""Every write about supervising the offices: inspections and violations, the graduated sanctions
(تذکر، تعلیق، لغو), the nightly sweep that starts and ends suspensions, and appeals (اعتراض).

Who may do what (municipal roles of the office's city):

* inspections and violations: ``technical_inspector`` or ``licensing_officer``;
* sanctions: ``licensing_officer`` or ``city_administrator``;
* appeals: filed by an active ``office_manager`` of the office or the licence holder, within
  ``APPEAL_WINDOW_DAYS`` of the sanction, once; decided by a ``city_administrator`` who did not
  issue the sanction.

The office's licence status is derived in one place, ``office_standing_recompute``, and always
set through ``offices.services.office_licence_status_set`` (so an office that can no longer serve
has its bookings cancelled).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import User
from daftar.cases.models import Case
from daftar.certificates.services import certificate_revoke
from daftar.core.errors import Conflict, Forbidden, InvalidValue
from daftar.core.jalali import format_jalali_date, local_today, tehran_date
from daftar.core.text import normalize_persian
from daftar.offices.models import LicenceStatus, Office
from daftar.offices.services import office_licence_status_set
from daftar.outbox.services import outbox_enqueue

from .licences import licence_certificate_issue
from .models import (
    SANCTION_SEVERITY,
    Appeal,
    AppealStatus,
    Inspection,
    InspectionKind,
    LicenceRenewal,
    OfficeLicence,
    Sanction,
    SanctionKind,
    SanctionStatus,
    Violation,
    ViolationType,
)
from .services import require_city_role
from .supervision_selectors import (
    APPEAL_WINDOW_DAYS,
    CHECKLIST_ITEMS,
    DECIDE_ROLES,
    RECORD_ROLES,
    SANCTION_ROLES,
    appeal_deadline,
    may_answer_for,
    office_notice_mobiles,
    sanction_ladder,
    standing_due,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)

# A moment "now" may be ahead of the server's clock by this much (a phone's clock).
CLOCK_TOLERANCE = timedelta(minutes=5)
SANCTION_NAMES_FA = {
    SanctionKind.WARNING: "تذکر",
    SanctionKind.SUSPENSION: "تعلیق",
    SanctionKind.REVOCATION: "لغو مجوز",
}
CERTIFICATE_REVOKE_REASON = "مجوز دفتر به حکم شهرداری لغو شد."
SMS_PURPOSE = "office_sanction"


def _notify(*, office: Office, body: str, key: str) -> None:
    """An SMS to the office's managers and licence holder, through the outbox (once per key)."""
    for mobile in office_notice_mobiles(office=office):
        outbox_enqueue(
            kind="sms.send",
            payload={"to": mobile, "body": body, "purpose": SMS_PURPOSE},
            idempotency_key=f"{key}-{mobile}",
        )


def _not_future(moment: datetime, field: str) -> None:
    if timezone.is_naive(moment):
        raise ValueError("pass an aware datetime")
    if moment > timezone.now() + CLOCK_TOLERANCE:
        message = _("This cannot be in the future.")
        raise InvalidValue(f"supervision.{field}_future", message, fields={field: [message]})


# --- inspections and violations ------------------------------------------------------------------


def _checklist(items: Mapping[str, bool]) -> dict[str, bool]:
    unknown = sorted(str(key) for key in items if key not in CHECKLIST_ITEMS)
    if unknown:
        message = _("Unknown checklist items: %(items)s.") % {"items": ", ".join(unknown)}
        raise InvalidValue("inspection.checklist", message, fields={"checklist": [message]})
    return {key: bool(items[key]) for key in CHECKLIST_ITEMS if key in items}


def inspection_record(
    *,
    office: Office,
    actor: User,
    kind: str,
    inspected_at: datetime,
    checklist: Mapping[str, bool],
    findings: str,
    related_case: Case | None = None,
) -> Inspection:
    """Record a visit to (or desk review of) an office: its checklist as found and the findings."""
    require_city_role(actor=actor, city=office.city, roles=RECORD_ROLES)
    if kind not in InspectionKind.values:
        message = _("Choose one of the listed options.")
        raise InvalidValue("inspection.kind", message, fields={"kind": [message]})
    _not_future(inspected_at, "inspected_at")
    clean = _checklist(checklist)
    if related_case is not None and related_case.city_id != office.city_id:
        message = _("The complaint is not about an office of this city.")
        raise InvalidValue("inspection.related_case", message, fields={"complaint": [message]})
    with transaction.atomic():
        return Inspection.objects.create(
            office=office,
            inspector=actor,
            kind=kind,
            inspected_at=inspected_at,
            checklist=clean,
            findings=normalize_persian(findings or "", multiline=True),
            related_case=related_case,
        )


def violation_record(
    *,
    office: Office,
    actor: User,
    type_code: str,
    observed_at: datetime,
    description: str,
    inspection: Inspection | None = None,
) -> Violation:
    """Record one violation against an office (from an inspection, a complaint or an activity flag)."""
    require_city_role(actor=actor, city=office.city, roles=RECORD_ROLES)
    kind = ViolationType.objects.filter(code=type_code, is_active=True).first()
    if kind is None:
        message = _("Unknown violation type.")
        raise InvalidValue("violation.type", message, fields={"type_code": [message]})
    _not_future(observed_at, "observed_at")
    text = normalize_persian(description or "", multiline=True)
    if not text:
        message = _("Describe what was observed.")
        raise InvalidValue("violation.description", message, fields={"description": [message]})
    if inspection is not None and inspection.office_id != office.pk:
        raise InvalidValue("violation.inspection", _("The inspection is of another office."))
    with transaction.atomic():
        return Violation.objects.create(
            office=office,
            type=kind,
            inspection=inspection,
            observed_at=observed_at,
            description=text,
            recorded_by=actor,
        )


@dataclass(frozen=True)
class ViolationSpec:
    type_code: str
    description: str


def inspection_report(
    *,
    office: Office,
    actor: User,
    kind: str,
    inspected_at: datetime,
    checklist: Mapping[str, bool],
    findings: str,
    violations: Sequence[ViolationSpec] = (),
    related_case: Case | None = None,
) -> Inspection:
    """An inspection and the violations found in it, all or nothing (the inspection form)."""
    with transaction.atomic():
        inspection = inspection_record(
            office=office,
            actor=actor,
            kind=kind,
            inspected_at=inspected_at,
            checklist=checklist,
            findings=findings,
            related_case=related_case,
        )
        for spec in violations:
            violation_record(
                office=office,
                actor=actor,
                type_code=spec.type_code,
                observed_at=inspected_at,
                description=spec.description,
                inspection=inspection,
            )
    return inspection


# --- sanctions -----------------------------------------------------------------------------------


def sanction_suggest(*, office: Office, violations: Iterable[Violation]) -> SanctionKind:
    """The sanction the graduated ladder suggests (see ``supervision_selectors``: LADDER_LOOKBACK_DAYS,
    WARNINGS_BEFORE_SUSPENSION): warning; after two warnings in a year, suspension; after any
    suspension in a year, revocation; never below the strictest least sanction of the violations."""
    return sanction_ladder(office=office, violations=violations).kind


def _sanction_dates(
    kind: str,
    starts_on: date | None,
    ends_on: date | None,
    today: date,
    fields: dict[str, list[StrOrPromise]],
) -> date:
    if kind != SanctionKind.SUSPENSION:
        if ends_on is not None:
            fields.setdefault("ends_on", []).append(_("Only a suspension has an end date."))
        if starts_on is not None and starts_on != today:
            fields.setdefault("starts_on", []).append(
                _("A warning or revocation takes effect on the day it is issued.")
            )
        return today
    start = starts_on or today
    if ends_on is None:
        fields.setdefault("ends_on", []).append(_("Give the day the suspension ends."))
    elif ends_on <= start:
        fields.setdefault("ends_on", []).append(_("The suspension must end after it starts."))
    elif ends_on <= today:
        fields.setdefault("ends_on", []).append(_("The suspension must end after today."))
    return start


def _ids(values: Iterable[int | str]) -> list[int]:
    try:
        return sorted({int(value) for value in values})
    except (TypeError, ValueError):
        message = _("Tick the violations from the list.")
        raise InvalidValue("sanction.violations", message, fields={"violations": [message]}) from None


def sanction_issue(
    *,
    office: Office,
    actor: User,
    kind: str,
    violation_ids: Iterable[int | str],
    reason: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Sanction:
    """Issue a warning, suspension or revocation for some of the office's violations, with reasons.

    A suspension starting today or earlier suspends the office at once (a later one is applied by
    ``sanctions_due_apply``); a revocation revokes the licence and its certificate. The office is
    told by SMS.
    """
    require_city_role(actor=actor, city=office.city, roles=SANCTION_ROLES)
    today = local_today()
    fields: dict[str, list[StrOrPromise]] = {}
    if kind not in SanctionKind.values:
        fields["kind"] = [_("Choose one of the listed options.")]
    text = normalize_persian(reason or "", multiline=True)
    if not text:
        fields["reason"] = [_("Give the reasons for the sanction.")]
    ids = _ids(violation_ids)
    if not ids:
        fields["violations"] = [_("Tick at least one violation.")]
    start = _sanction_dates(kind, starts_on, ends_on, today, fields)
    if fields:
        raise InvalidValue(
            "sanction.invalid",
            _("The sanction could not be issued; see the marked fields."),
            fields=fields,
        )
    sanction_kind = SanctionKind(kind)
    with transaction.atomic():
        locked = Office.objects.select_for_update(of=("self",)).select_related("city").get(pk=office.pk)
        if LicenceStatus.REVOKED in (locked.licence_status, standing_due(office=locked, today=today)):
            raise Conflict("sanction.office_revoked", _("This office's licence is revoked."))
        violations = list(Violation.objects.filter(pk__in=ids, office=locked).select_related("type"))
        if len(violations) != len(ids):
            message = _("Tick only violations of this office.")
            raise InvalidValue("sanction.violations", message, fields={"violations": [message]})
        through = Sanction.violations.through
        if (
            through.objects.filter(violation_id__in=ids)
            .exclude(sanction__status=SanctionStatus.OVERTURNED)
            .exists()
        ):
            raise Conflict(
                "sanction.violation_taken",
                _("A sanction has already been issued for one of these violations."),
            )
        floor = max(
            (SanctionKind(v.type.min_sanction) for v in violations), key=SANCTION_SEVERITY.__getitem__
        )
        if SANCTION_SEVERITY[sanction_kind] < SANCTION_SEVERITY[floor]:
            too_light = _("These violations draw at least: %(kind)s.") % {"kind": floor.label}
            raise InvalidValue("sanction.below_minimum", too_light, fields={"kind": [too_light]})
        sanction = Sanction.objects.create(
            office=locked,
            kind=sanction_kind,
            reason=text,
            starts_on=start,
            ends_on=ends_on if sanction_kind == SanctionKind.SUSPENSION else None,
            previous_status="" if sanction_kind == SanctionKind.WARNING else locked.licence_status,
            issued_by=actor,
        )
        sanction.violations.set(violations)
        if sanction_kind == SanctionKind.REVOCATION:
            _licence_revoke(office=locked, actor=actor)
        if sanction_kind != SanctionKind.WARNING:
            office_standing_recompute(office=locked, today=today, reason=SANCTION_NAMES_FA[sanction_kind])
        _notify(office=locked, body=_issued_text(sanction, locked), key=f"sanction-{sanction.pk}-issued")
    office.licence_status = locked.licence_status
    return sanction


def _issued_text(sanction: Sanction, office: Office) -> str:
    head = f"دفتر {office.name} (کد {office.code}): "
    if sanction.kind == SanctionKind.SUSPENSION and sanction.ends_on is not None:
        body = (
            f"حکم تعلیق از {format_jalali_date(sanction.starts_on)} تا پیش از "
            f"{format_jalali_date(sanction.ends_on)} صادر شد؛ در این مدت دفتر نمی‌تواند خدمت ارائه کند."
        )
    elif sanction.kind == SanctionKind.REVOCATION:
        body = "مجوز دفتر لغو شد و دفتر دیگر نمی‌تواند خدمت ارائه کند."
    else:
        body = "تذکر کتبی صادر شد."
    days = str(APPEAL_WINDOW_DAYS).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    return f"{head}{body} مهلت اعتراض {days} روز، در بخش «احکام دفتر» سامانه."


def _licence_revoke(*, office: Office, actor: User) -> None:
    licence = (
        OfficeLicence.objects.select_for_update(of=("self",))
        .select_related("certificate")
        .filter(office=office)
        .first()
    )
    if licence is None:  # an office without a licence row (the demo city's): the status says it all
        return
    if licence.revoked_at is None:
        licence.revoked_at = timezone.now()
        licence.save(update_fields=["revoked_at"])
    # A licence registered from the city's records before Daftar has no signed certificate.
    if licence.certificate is not None and not licence.certificate.is_revoked:
        certificate_revoke(certificate=licence.certificate, actor=actor, reason=CERTIFICATE_REVOKE_REASON)


# --- the office's standing -----------------------------------------------------------------------


def office_standing_recompute(*, office: Office, today: date, reason: str = "") -> Office:
    """Set the office's licence status to what its licence and sanctions call for on ``today``
    (see ``supervision_selectors.standing_due``); the one place that derives it."""
    with transaction.atomic():
        current = Office.objects.select_for_update().get(pk=office.pk)
        status = standing_due(office=current, today=today)
        if status != current.licence_status:
            current = office_licence_status_set(
                office=current, status=status, reason=reason or "بازبینی وضعیت مجوز"
            )
    office.licence_status = current.licence_status
    return current


def sanctions_due_apply(*, today: date) -> int:
    """The nightly sweep: suspensions whose end has come end (the office serves again unless
    something else holds it); suspensions dated to start by today take effect. Idempotent; each
    office is handled in its own transaction. Returns how many sanctions ended or took effect."""
    done = 0
    ending = list(
        Sanction.objects.filter(
            kind=SanctionKind.SUSPENSION, status=SanctionStatus.IN_FORCE, ends_on__lte=today
        ).values_list("pk", flat=True)
    )
    for pk in ending:
        with transaction.atomic():
            sanction = (
                Sanction.objects.select_for_update()
                .select_related("office")
                .filter(pk=pk, status=SanctionStatus.IN_FORCE)
                .first()
            )
            if sanction is None:
                continue
            sanction.status, sanction.ended_at = SanctionStatus.ENDED, timezone.now()
            sanction.save(update_fields=["status", "ended_at"])
            office = office_standing_recompute(office=sanction.office, today=today, reason="پایان تعلیق")
            if office.licence_status == LicenceStatus.ACTIVE:
                _notify(
                    office=office,
                    body=(
                        f"دفتر {office.name} (کد {office.code}): دوره تعلیق پایان یافت "
                        "و دفتر می‌تواند خدمت ارائه کند."
                    ),
                    key=f"sanction-{sanction.pk}-ended",
                )
            done += 1
    starting = (
        Sanction.objects.filter(
            kind=SanctionKind.SUSPENSION,
            status=SanctionStatus.IN_FORCE,
            starts_on__lte=today,
            ends_on__gt=today,
        )
        .exclude(office__licence_status__in=[LicenceStatus.SUSPENDED, LicenceStatus.REVOKED])
        .select_related("office")
    )
    for sanction in list(starting):
        office = office_standing_recompute(office=sanction.office, today=today, reason="آغاز تعلیق")
        if office.licence_status == LicenceStatus.SUSPENDED:
            done += 1
    return done


# --- appeals -------------------------------------------------------------------------------------


def appeal_file(*, sanction: Sanction, actor: User, statement: str) -> Appeal:
    """The office appeals a sanction: its manager or licence holder, within the window, once."""
    office = sanction.office
    if not may_answer_for(user=actor, office=office):
        raise Forbidden("appeal.not_office", _("Only the office's manager or licence holder may appeal."))
    text = normalize_persian(statement or "", multiline=True)
    if not text:
        message = _("Write the grounds of the appeal.")
        raise InvalidValue("appeal.statement", message, fields={"statement": [message]})
    with transaction.atomic():
        locked = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if Appeal.objects.filter(sanction=locked).exists():
            raise Conflict("appeal.already_filed", _("This sanction has already been appealed."))
        if locked.status != SanctionStatus.IN_FORCE:
            raise Conflict("appeal.not_in_force", _("Only a sanction in force can be appealed."))
        if timezone.now() > appeal_deadline(locked):
            raise Conflict(
                "appeal.too_late",
                _("The %(days)d days for appealing this sanction have passed."),
                {"days": APPEAL_WINDOW_DAYS},
            )
        return Appeal.objects.create(sanction=locked, filed_by=actor, statement=text)


def appeal_decide(*, appeal: Appeal, actor: User, uphold: bool, reason: str) -> Appeal:
    """A city administrator who did not issue the sanction upholds or overturns it, with reasons.

    Overturning lifts the sanction: the office's standing is derived again, and an overturned
    revocation restores the licence with a fresh certificate. The office is told by SMS.
    """
    sanction = Sanction.objects.select_related("office__city").get(pk=appeal.sanction_id)
    office = sanction.office
    require_city_role(actor=actor, city=office.city, roles=DECIDE_ROLES)
    if sanction.issued_by_id == actor.pk:
        raise Forbidden("appeal.issuer", _("The issuer of a sanction may not decide its appeal."))
    text = normalize_persian(reason or "", multiline=True)
    if not text:
        message = _("Give the reasons for the decision.")
        raise InvalidValue("appeal.reason", message, fields={"reason": [message]})
    today = local_today()
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.PENDING:
            raise Conflict("appeal.decided", _("This appeal has already been decided."))
        locked.status = AppealStatus.UPHELD if uphold else AppealStatus.OVERTURNED
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), text
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        if not uphold:
            Sanction.objects.filter(pk=sanction.pk).update(
                status=SanctionStatus.OVERTURNED, ended_at=timezone.now()
            )
            if sanction.kind == SanctionKind.REVOCATION:
                _licence_restore(office=office, actor=actor)
            office_standing_recompute(office=office, today=today, reason="نقض حکم در رسیدگی به اعتراض")
        outcome = "تأیید شد" if uphold else "نقض شد و حکم لغو شد"
        _notify(
            office=office,
            body=(
                f"دفتر {office.name} (کد {office.code}): اعتراض به حکم "
                f"{SANCTION_NAMES_FA[SanctionKind(sanction.kind)]} بررسی شد؛ حکم {outcome}."
            ),
            key=f"appeal-{locked.pk}-decided",
        )
    appeal.status, appeal.decided_by, appeal.decided_at = locked.status, actor, locked.decided_at
    appeal.decision_reason = text
    return locked


def _latest_case(licence: OfficeLicence) -> tuple[Case | None, date]:
    """The case behind the licence's current period (None for a licence registered from the city's
    records and never renewed) and the period's first day."""
    renewal = (
        LicenceRenewal.objects.select_related("case").filter(licence=licence).order_by("-created_at").first()
    )
    if renewal is None:
        return licence.application, licence.valid_from
    return renewal.case, max(tehran_date(renewal.created_at), renewal.previous_until + timedelta(days=1))


def _licence_restore(*, office: Office, actor: User) -> None:
    """An overturned revocation: the licence is live again, with a freshly signed certificate when
    its certificate was revoked with it."""
    licence = (
        OfficeLicence.objects.select_for_update(of=("self",))
        .select_related("certificate", "zone", "office", "application")
        .filter(office=office)
        .first()
    )
    if licence is None:
        return
    licence.revoked_at = None
    fields = ["revoked_at"]
    case, valid_from = _latest_case(licence)
    if licence.certificate is not None and licence.certificate.is_revoked and case is not None:
        certificate = licence_certificate_issue(
            licence=licence, case=case, actor=actor, valid_from=valid_from, valid_until=licence.valid_until
        )
        licence.certificate = certificate
        fields.append("certificate")
    licence.save(update_fields=fields)
