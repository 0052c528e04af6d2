"""Writes of the Open311 face: client applications and their keys, and filing service requests.

A request becomes an ordinary online case (``cases.services.case_file``) whose applicant is the
client application's ``Person`` and whose filer is the client's system ``User``; the reporter's
details stay on ``Open311Request``. A service whose ``open311.defer`` is true is filed in the
background: the client gets a token at once and the case is made by a task after commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from daftar.accounts.models import Person, PersonKind, User
from daftar.cases.models import Case
from daftar.cases.services import Location, case_file
from daftar.catalog.intake import intake_validate
from daftar.catalog.models import Channel, ServiceVersion, VersionStatus
from daftar.core.errors import Conflict, DomainError, InvalidValue
from daftar.core.jalali import local_today
from daftar.core.keys import key_matches, key_needs_touch, key_new, key_prefix
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.core.validators import legal_national_id_check_digit
from daftar.offices.models import City
from daftar.offices.selectors import city_default

from .models import Open311Client, Open311Key, Open311Request, RequestStatus

logger = logging.getLogger(__name__)

KEY_LABEL = "o311"
# The national IDs of client applications: "00311", a five-digit number and a *wrong* check digit.
# A real legal entity's ID always has the right one (validate_legal_national_id refuses any other),
# so these can never belong to a real entity nor be registered by one.
RESERVED_ID_PREFIX = "00311"
DESCRIPTION = "description"  # the intake field the standard `description` parameter fills
MAX_TEXT = {"device_id": 200, "account_id": 200, "first_name": 100, "last_name": 100, "phone": 30}


@dataclass(frozen=True)
class IssuedKey:
    key: Open311Key
    secret: str  # shown once, never stored


# --- clients and keys ----------------------------------------------------------------------------


def reserved_national_id(number: int) -> str:
    """The reserved legal national ID of the ``number``-th client application (never a valid one)."""
    first_ten = f"{RESERVED_ID_PREFIX}{number:05d}"
    return first_ten + str((legal_national_id_check_digit(first_ten) + 1) % 10)


def _client_person(name: str) -> Person:
    last = (
        Person.objects.filter(national_code__startswith=RESERVED_ID_PREFIX, kind=PersonKind.LEGAL)
        .order_by("-national_code")
        .values_list("national_code", flat=True)
        .first()
    )
    number = int(last[len(RESERVED_ID_PREFIX) : 10]) + 1 if last else 1
    for attempt in range(number, number + 20):
        try:
            with transaction.atomic():
                return Person.objects.create(
                    kind=PersonKind.LEGAL,
                    national_code=reserved_national_id(attempt),
                    legal_name=f"{name} (Open311)",
                )
        except IntegrityError:  # taken meanwhile: the next number
            continue
    raise Conflict("open311.client_id_exhausted", _("Could not reserve an ID for the client; try again."))


def _key_issue(client: Open311Client) -> IssuedKey:
    new = key_new(KEY_LABEL)
    key = Open311Key.objects.create(client=client, prefix=new.prefix, key_hash=new.digest)
    return IssuedKey(key=key, secret=new.secret)


def open311_client_create(*, name: str) -> IssuedKey:
    """A new client application with its system user, its person and a first key (shown once)."""
    clean = normalize_persian(name or "")
    if not clean:
        raise InvalidValue("open311.client_name_required", _("Give the client application a name."))
    if len(clean) > 100:
        raise InvalidValue("open311.client_name_long", _("The name is too long (at most 100 characters)."))
    with transaction.atomic():
        if Open311Client.objects.filter(name=clean).exists():
            raise Conflict("open311.client_exists", _("A client application with this name already exists."))
        person = _client_person(clean)
        user = User(username=f"open311-{person.national_code}", person=person, is_active=True)
        user.set_unusable_password()  # it never signs in: it files through its keys only
        user.save()
        client = Open311Client.objects.create(name=clean, user=user, person=person)
        return _key_issue(client)


def open311_key_create(*, client: Open311Client) -> IssuedKey:
    """Another key for a client (to rotate keys without downtime); shown once."""
    return _key_issue(client)


def open311_key_revoke(*, key: Open311Key) -> Open311Key:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def open311_key_authenticate(*, secret: str) -> Open311Client | None:
    """The client a presented api_key belongs to, or None (unknown, wrong, revoked, inactive user)."""
    prefix = key_prefix(secret or "", KEY_LABEL)
    if prefix is None:
        return None
    key = (
        Open311Key.objects.select_related("client", "client__user", "client__person")
        .filter(prefix=prefix)
        .first()
    )
    if key is None or not key_matches(key.key_hash, secret) or not key.is_active:
        return None
    if not key.client.user.is_active:
        return None
    now = timezone.now()
    if key_needs_touch(key.last_used_at, now):
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.client


# --- filing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reporter:
    """The person behind the request, as the client application tells it (all optional)."""

    email: str = ""
    device_id: str = ""
    account_id: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Submission:
    """A POSTed request, parsed (values are still as the client sent them)."""

    attributes: Mapping[str, str | list[str]] = field(default_factory=dict)
    description: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address_string: str = ""
    address_id: str = ""
    media_url: str = ""
    reporter: Reporter = field(default_factory=Reporter)
    idempotency_key: str | None = None


def _intake_data(
    service: ServiceVersion, submission: Submission
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The intake answers (each attribute the service definition lists, and the description) and
    the parameters that are not part of this service."""
    properties = service.intake_schema.get("properties") or {}
    fields: dict[str, list[Any]] = {}
    data: dict[str, Any] = {}
    for code, value in submission.attributes.items():
        if code == DESCRIPTION or code not in properties:
            fields.setdefault(f"attribute[{code}]", []).append(_("This service has no such attribute."))
            continue
        data[code] = value
    if submission.description.strip():
        if DESCRIPTION not in properties:
            fields.setdefault(DESCRIPTION, []).append(_("This service takes no description."))
        else:
            data[DESCRIPTION] = submission.description
    return data, fields


def _as_parameters(exc: InvalidValue) -> InvalidValue:
    """Intake errors named by the parameter that carried the value: ``description`` for the
    description, ``attribute[CODE]`` for the rest."""
    fields = {
        (name if name in (DESCRIPTION, "location", "__all__") else f"attribute[{name}]"): messages
        for name, messages in exc.fields.items()
    }
    return InvalidValue(exc.code, exc.message, exc.params, fields=fields)


def _location_check(service: ServiceVersion, submission: Submission) -> None:
    """One of the spec's three location forms, complete and on the globe; a point where the service
    needs one."""
    lat, lon = submission.latitude, submission.longitude
    if (lat is None) != (lon is None):
        raise InvalidValue(
            "open311.lat_long_pair",
            _("Send lat and long together."),
            fields={"lat" if lat is None else "long": [_("This field is required.")]},
        )
    if lat is not None and lon is not None:
        if not Decimal(-90) <= lat <= Decimal(90):
            raise InvalidValue(
                "open311.lat_range",
                _("lat must be between -90 and 90."),
                fields={"lat": [_("Out of range.")]},
            )
        if not Decimal(-180) <= lon <= Decimal(180):
            raise InvalidValue(
                "open311.long_range",
                _("long must be between -180 and 180."),
                fields={"long": [_("Out of range.")]},
            )
    elif not (submission.address_string.strip() or submission.address_id.strip()):
        raise InvalidValue(
            "open311.location_required",
            _("A location is required: lat and long, address_string or address_id."),
            fields={"location": [_("This field is required.")]},
        )
    if service.location == "required" and lat is None:
        raise InvalidValue(
            "case.location_required",
            _("This service needs a point on the map: send lat and long."),
            fields={"location": [_("Send lat and long.")]},
        )


def _reporter_clean(reporter: Reporter, media_url: str) -> dict[str, str]:
    fields: dict[str, list[Any]] = {}
    values = {
        "email": reporter.email.strip().lower(),
        "device_id": reporter.device_id.strip(),
        "account_id": reporter.account_id.strip(),
        "first_name": normalize_persian(reporter.first_name),
        "last_name": normalize_persian(reporter.last_name),
        "phone": to_latin_digits(reporter.phone).strip(),
        "media_url": media_url.strip(),
    }
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            fields["email"] = [_("The email address is not valid.")]
    for name, limit in MAX_TEXT.items():
        if len(values[name]) > limit:
            fields[name] = [_("The text is too long (at most %(limit)s characters).") % {"limit": limit}]
    if values["phone"] and any(ch not in "0123456789+-() " for ch in values["phone"]):
        fields["phone"] = [_("A phone number is made of digits.")]
    if values["media_url"]:
        try:
            URLValidator(schemes=["http", "https"])(values["media_url"])
            if len(values["media_url"]) > 1000:
                raise ValidationError("too long")
        except ValidationError:
            fields["media_url"] = [_("Give an http or https URL of at most 1000 characters.")]
    if fields:
        raise InvalidValue(
            "open311.invalid", _("Some of the request's fields need correcting."), fields=fields
        )
    return values


def _check_service(service: ServiceVersion) -> None:
    if not service.open311 or Channel.ONLINE not in service.channels:
        raise InvalidValue("open311.service_not_offered", _("This service is not offered through Open311."))
    if service.status != VersionStatus.PUBLISHED or not service.is_valid_on(local_today()):
        raise Conflict("case.service_unavailable", _("This service is not available for filing today."))


def _check_city(city: City) -> None:
    # The engine files online cases in the deployment's default city.
    default = city_default()
    if default is None or default.pk != city.pk:
        raise InvalidValue(
            "open311.jurisdiction_not_filing",
            _("This jurisdiction does not take requests through Open311 yet."),
        )


def _existing(client: Open311Client, key: str | None, service: ServiceVersion) -> Open311Request | None:
    if key is None:
        return None
    found = (
        Open311Request.objects.select_related("case", "service_version")
        .filter(client=client, idempotency_key=key)
        .first()
    )
    if found is not None and found.service_version.service_type_id != service.service_type_id:
        raise Conflict("case.idempotency_key_reused", _("This idempotency key was used for another request."))
    return found


def open311_request_submit(
    *, client: Open311Client, city: City, service: ServiceVersion, submission: Submission
) -> Open311Request:
    """Check a POSTed request and file it: at once (its case exists on return), or, for a deferred
    service, later (the record has a token; the case is filed by a task once this commits).

    Everything is checked before answering, so a deferred request is refused now, not later.
    Idempotent per (client, Idempotency-Key).
    """
    key = (submission.idempotency_key or "").strip()[:100] or None
    if (existing := _existing(client, key, service)) is not None:
        return existing
    _check_service(service)
    _check_city(city)
    answers, problems = _intake_data(service, submission)
    try:
        data = intake_validate(service.intake_schema, answers)
    except InvalidValue as exc:
        for name, messages in _as_parameters(exc).fields.items():
            problems.setdefault(name, []).extend(messages)
    if problems:
        raise InvalidValue("intake.invalid", _("Some of the form's fields need correcting."), fields=problems)
    _location_check(service, submission)
    private = _reporter_clean(submission.reporter, submission.media_url)
    deferred = bool(service.open311.get("defer"))
    record = Open311Request(
        client=client,
        city=city,
        service_version=service,
        status=RequestStatus.PENDING,
        token=secrets.token_urlsafe(18) if deferred else None,
        idempotency_key=key,
        data=data,
        latitude=submission.latitude,
        longitude=submission.longitude,
        address_string=normalize_persian(submission.address_string, multiline=True),
        address_id=submission.address_id.strip()[:100],
        **private,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:  # the same key raced in: the winner's request is the answer
            winner = _existing(client, key, service)
            if winner is None:
                raise
            return winner
        if deferred:
            record_id = record.pk
            transaction.on_commit(lambda: _enqueue(record_id))
        else:
            _file(record, service=service)
    return record


def _enqueue(record_id: int) -> None:
    from .tasks import request_file

    try:
        request_file.delay(record_id)
    except Exception:  # the broker is down: the pending sweep files it later
        logger.exception("could not queue Open311 request %s", record_id)


def _location(record: Open311Request) -> Location:
    address = record.address_string
    if not address and record.address_id:
        with translation.override(settings.LANGUAGE_CODE):
            address = gettext("Address ID %(id)s") % {"id": record.address_id}
    return Location(latitude=record.latitude, longitude=record.longitude, address=address)


def _file(record: Open311Request, *, service: ServiceVersion) -> Case:
    """File the record's case (idempotent: the same record always gives the same case)."""
    client = record.client
    case = case_file(
        service=service,
        applicant=client.person,
        office=None,
        channel=Channel.ONLINE,
        data=record.data,
        actor=client.user,
        idempotency_key=f"open311-{record.token or record.pk}",
        location=_location(record),
    )
    record.case = case
    record.status = RequestStatus.FILED
    record.filed_at = timezone.now()
    record.error = ""
    record.save(update_fields=["case", "status", "filed_at", "error"])
    return case


def open311_request_file(*, request_id: int) -> Open311Request:
    """File a deferred request's case (the background task). Safe to run twice: a filed request is
    left as it is, and the case's idempotency key stops a second case. A request the engine refuses
    (the service withdrawn meanwhile …) is marked failed with the reason."""
    with transaction.atomic():
        record = (
            Open311Request.objects.select_for_update()
            .select_related("client__person", "client__user", "service_version__service_type")
            .get(pk=request_id)
        )
        if record.case_id is not None or record.status == RequestStatus.FAILED:
            return record
        try:
            with transaction.atomic():
                _file(record, service=record.service_version)
        except DomainError as exc:
            with translation.override(settings.LANGUAGE_CODE):
                reasons = [str(exc), *(m for ms in exc.field_messages().values() for m in ms)]
            record.status = RequestStatus.FAILED
            record.error = " ".join(reasons)[:2000]
            record.save(update_fields=["status", "error"])
            logger.warning("Open311 request %s could not be filed: %s", record.pk, exc.code)
    return record


def open311_requests_file_pending(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """File deferred requests still waiting (their task was lost); returns how many were tried."""
    cutoff = timezone.now() - older_than
    ids = list(
        Open311Request.objects.filter(status=RequestStatus.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    for request_id in ids:
        open311_request_file(request_id=request_id)
    return len(ids)
