"""Every write about people and accounts: persons, citizen OTP sign-in, API tokens, roles."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import segno
from django.apps import apps
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from daftar.core.errors import DomainError, InvalidValue, RateLimited
from daftar.core.keys import key_matches, key_needs_touch, key_new, key_prefix
from daftar.core.text import normalize_persian, to_latin_digits
from daftar.core.validators import (
    normalize_mobile,
    validate_legal_national_id,
    validate_national_code,
    validate_postal_code,
)
from daftar.sms.services import sms_send

from .models import ApiToken, OtpChallenge, OtpPurpose, Person, PersonKind, User
from .roles import ROLE_SPECS

TOO_MANY_CODES_MESSAGE = ngettext_lazy(
    "Too many codes were requested for this number. Try again in %(minutes)d minute.",
    "Too many codes were requested for this number. Try again in %(minutes)d minutes.",
    "minutes",
)
WRONG_CODE_MESSAGE = ngettext_lazy(
    "The code is not correct. %(left)d attempt left.",
    "The code is not correct. %(left)d attempts left.",
    "left",
)
OTP_MESSAGES = {
    "otp.unknown": _("This code request was not found. Ask for a new code."),
    "otp.used": _("This code has already been used. Ask for a new code."),
    "otp.expired": _("The code has expired. Ask for a new code."),
    "otp.too_many_attempts": _("Too many wrong attempts. Ask for a new code."),
    "otp.staff_account": _(
        "This number belongs to a staff account. Sign in with your username and password."
    ),
}


# --- persons -----------------------------------------------------------------------------------


def person_register(
    *,
    kind: PersonKind | str,
    national_code: str,
    first_name: str = "",
    last_name: str = "",
    legal_name: str = "",
    father_name: str = "",
    birth_date: date | None = None,
    mobile: str = "",
    email: str = "",
    postal_code: str = "",
    address: str = "",
    is_iranian: bool = True,
) -> Person:
    """Register a person, or return the one already registered with this national code/ID.

    Values are validated and normalised first; an existing person's blank fields are filled in,
    never overwritten, so a counter operator cannot silently change someone's identity.
    """
    kind = PersonKind(kind)
    code = (
        validate_national_code(national_code)
        if kind == PersonKind.REAL
        else validate_legal_national_id(national_code)
    )
    fields = {
        "first_name": normalize_persian(first_name),
        "last_name": normalize_persian(last_name),
        "legal_name": normalize_persian(legal_name),
        "father_name": normalize_persian(father_name),
        "birth_date": birth_date,
        "mobile": normalize_mobile(mobile) if mobile else "",
        "email": email.strip().lower(),
        "postal_code": validate_postal_code(postal_code) if postal_code else "",
        "address": normalize_persian(address),
        "is_iranian": is_iranian,
    }
    if kind == PersonKind.REAL and not (fields["first_name"] and fields["last_name"]):
        raise InvalidValue("person.name_required", _("First and last name are required."))
    if kind == PersonKind.LEGAL and not fields["legal_name"]:
        raise InvalidValue("person.legal_name_required", _("The registered name of the entity is required."))
    try:
        with transaction.atomic():
            person, created = Person.objects.select_for_update().get_or_create(
                national_code=code, defaults={"kind": kind, **fields}
            )
    except IntegrityError:  # a concurrent registration of the same code won the race
        person, created = Person.objects.get(national_code=code), False
    if not created:
        if person.kind != kind:
            raise InvalidValue(
                "person.kind_mismatch", _("This code is registered as another type of person.")
            )
        missing = {name: value for name, value in fields.items() if value and not getattr(person, name)}
        if missing:
            Person.objects.filter(pk=person.pk).update(**missing)
            for name, value in missing.items():
                setattr(person, name, value)
    return person


def user_link_person(*, user: User, person: Person) -> User:
    """Attach a verified identity to an account (one account per person)."""
    if User.objects.filter(person=person).exclude(pk=user.pk).exists():
        raise InvalidValue("person.already_linked", _("This national code is linked to another account."))
    user.person = person
    user.save(update_fields=["person"])
    return user


# --- citizen sign-in by one-time password ------------------------------------------------------


@dataclass(frozen=True)
class OtpIssued:
    challenge_id: str
    mobile: str
    expires_at: datetime


def _otp_hash(challenge_id: str, code: str) -> str:
    # Keyed with the site secret: a stolen table alone does not let anyone test the 10^6 codes.
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _minutes(seconds: float) -> int:
    return max(1, int(seconds + 59) // 60)


def otp_request(*, mobile: str, ip: str | None = None, purpose: str = OtpPurpose.SIGN_IN) -> OtpIssued:
    """Send a sign-in code to a mobile number.

    The answer is the same whether or not anyone is registered with that number, so the form
    cannot be used to find out who is. Limits per number come from the stored challenges
    themselves, so they hold across processes and restarts.
    """
    canonical = normalize_mobile(mobile)
    now = timezone.now()
    with transaction.atomic():
        for limit, window in settings.OTP_MOBILE_LIMITS:  # (count, window seconds) pairs
            since = now - timedelta(seconds=window)
            recent = list(
                OtpChallenge.objects.filter(mobile=canonical, created_at__gte=since)
                .order_by("created_at")
                .values_list("created_at", flat=True)[:limit]
            )
            if len(recent) >= limit:
                retry_after = (recent[0] + timedelta(seconds=window) - now).total_seconds()
                minutes = _minutes(retry_after)
                raise RateLimited(
                    "otp.too_many_codes",
                    TOO_MANY_CODES_MESSAGE,
                    {"minutes": minutes},
                    retry_after=int(retry_after) + 1,
                )
        code = f"{secrets.randbelow(10**settings.OTP_CODE_LENGTH):0{settings.OTP_CODE_LENGTH}d}"
        challenge = OtpChallenge(
            mobile=canonical,
            purpose=purpose,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
            requested_ip=ip,
        )
        challenge.code_hash = _otp_hash(str(challenge.id), code)
        challenge.save()
    body = gettext("Daftar sign-in code: %(code)s\nDo not give this code to anyone.") % {"code": code}
    sms_send(
        to=canonical,
        body=body,
        purpose="otp",
        sensitive=True,
        template=settings.KAVENEGAR_OTP_TEMPLATE,
        tokens=(code,),
    )
    return OtpIssued(challenge_id=str(challenge.id), mobile=canonical, expires_at=challenge.expires_at)


class OtpFailure(DomainError):
    status = 400


def _check_code(challenge: OtpChallenge, code: str) -> str | None:
    """Return the failure code, or None when the code is right. Counts the attempt."""
    now = timezone.now()
    if challenge.consumed_at is not None:
        return "otp.used"
    if challenge.expires_at <= now:
        return "otp.expired"
    if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
        return "otp.too_many_attempts"
    challenge.attempts += 1
    if not hmac.compare_digest(challenge.code_hash, _otp_hash(str(challenge.id), code)):
        return "otp.wrong_code"
    challenge.consumed_at = now
    return None


def otp_verify(*, challenge_id: str, mobile: str, code: str) -> User:
    """Check a code and return the citizen's account, creating it on first sign-in.

    A wrong attempt is committed before the error is raised, so attempts cannot be replayed.
    """
    canonical = normalize_mobile(mobile)
    entered = to_latin_digits(code).strip()
    failure: str | None
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update().filter(pk=challenge_id, mobile=canonical).first()
            if _is_uuid(challenge_id)
            else None
        )
        if challenge is None:
            failure = "otp.unknown"
        else:
            failure = _check_code(challenge, entered)
            challenge.save(update_fields=["attempts", "consumed_at"])
        user = None if failure else _citizen_account_for(canonical)
    if failure == "otp.wrong_code" and challenge is not None:
        left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
        if left > 0:
            raise OtpFailure(failure, WRONG_CODE_MESSAGE, {"left": left})
        failure = "otp.too_many_attempts"
    if failure:
        raise OtpFailure(failure, OTP_MESSAGES[failure])
    assert user is not None
    return user


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _citizen_account_for(mobile: str) -> User:
    user = User.objects.filter(mobile=mobile).first()
    if user is None:
        user = User(username=mobile, mobile=mobile)
        user.set_unusable_password()
        user.save()
        return user
    if user.is_staff or user.has_usable_password():
        # Staff accounts need their password (and TOTP); a code sent by SMS is not enough.
        raise OtpFailure("otp.staff_account", OTP_MESSAGES["otp.staff_account"])
    return user


# --- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "dft"  # noqa: S105 - a label, not a secret


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def api_token_create(*, user: User, name: str, expires_in_days: int | None = None) -> IssuedToken:
    name = normalize_persian(name)
    if not name:
        raise InvalidValue("api_token.name_required", _("Give the token a name."))
    if not user.is_active:
        raise InvalidValue("api_token.inactive_user", _("The account is not active."))
    key = key_new(TOKEN_PREFIX)
    expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key.prefix, key_hash=key.digest, expires_at=expires_at
    )
    return IssuedToken(token=token, secret=key.secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, secret: str) -> User | None:
    """Return the active user a presented token belongs to, or None. Touches last_used_at at most
    once a minute so that busy integrations do not turn every read into a write."""
    prefix = key_prefix(secret, TOKEN_PREFIX)
    if prefix is None:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not key_matches(token.key_hash, secret):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if key_needs_touch(token.last_used_at, now):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- roles ------------------------------------------------------------------------------------


def roles_sync() -> list[Group]:
    """Create or update one group per role with exactly the permissions the role lists."""
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    groups = []
    for spec in ROLE_SPECS:
        group, _created = Group.objects.get_or_create(name=spec.role.value)
        wanted = []
        for dotted in spec.permissions:
            app_label, codename = dotted.split(".", 1)
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)
        groups.append(group)
    return groups


# --- citizen profile --------------------------------------------------------------------------


@transaction.atomic
def citizen_profile_complete(*, user: User, national_code: str, first_name: str, last_name: str) -> Person:
    """A signed-in citizen states who they are; the person record is created or completed and linked.

    A national code already linked to another account is refused, so nobody can read someone
    else's files by claiming their code.
    """
    person = person_register(
        kind=PersonKind.REAL,
        national_code=national_code,
        first_name=first_name,
        last_name=last_name,
        mobile=user.mobile or "",
    )
    user_link_person(user=user, person=person)
    return person


# --- staff two-step sign-in (TOTP) ------------------------------------------------------------


def totp_device_for(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if two-step sign-in is on."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def totp_device_start(*, user: User) -> TOTPDevice:
    """The device being set up (unconfirmed) or the confirmed one; created on first visit."""
    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> TOTPDevice:
    if device.confirmed:
        return device
    if not device.verify_token(token):
        raise InvalidValue("totp.wrong_code", _("The code is not correct or has expired."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_verify(*, user: User, token: str) -> TOTPDevice | None:
    """The confirmed device that accepts this token, or None. django-otp throttles failures."""
    device = totp_device_for(user=user)
    if device is not None and device.verify_token(token):
        return device
    return None


def totp_qr_data_uri(*, device: TOTPDevice) -> str:
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=4))


def totp_secret_b32(*, device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")
