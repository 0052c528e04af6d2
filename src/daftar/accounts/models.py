"""People, user accounts, one-time passwords and API tokens."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PersonKind(models.TextChoices):
    REAL = "real", _("Real person")
    LEGAL = "legal", _("Legal entity")


class Person(models.Model):
    """Anyone who files a case: a real person (national code) or a legal entity (national ID)."""

    kind = models.CharField(
        _("person type"), max_length=8, choices=PersonKind.choices, default=PersonKind.REAL
    )
    # 10 digits for a real person, 11 for a legal entity; validated and normalised by services.
    national_code = models.CharField(_("national code / national ID"), max_length=11, unique=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    legal_name = models.CharField(_("registered name"), max_length=200, blank=True)
    father_name = models.CharField(_("father's name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    is_iranian = models.BooleanField(_("Iranian national"), default=True)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    address = models.TextField(_("address"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="real") & Q(national_code__regex=r"^[0-9]{10}$"))
                | (Q(kind="legal") & Q(national_code__regex=r"^[0-9]{11}$")),
                name="person_national_code_shape",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return person_display_name(
            kind=self.kind,
            national_code=self.national_code,
            first_name=self.first_name,
            last_name=self.last_name,
            legal_name=self.legal_name,
        )


def person_display_name(
    *, kind: str, national_code: str, first_name: str, last_name: str, legal_name: str
) -> str:
    """How a person is named on pages: an entity by its registered name, a person by full name."""
    if kind == PersonKind.LEGAL:
        return legal_name or national_code
    return f"{first_name} {last_name}".strip() or national_code


class User(AbstractUser):
    """A sign-in account. Citizens sign in by mobile + OTP; staff by password (+ optional TOTP)."""

    mobile = models.CharField(_("mobile number"), max_length=11, unique=True, null=True, blank=True)
    person = models.OneToOneField(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        if self.person_id:
            return str(self.person)
        return self.get_full_name() or self.username


class OtpPurpose(models.TextChoices):
    SIGN_IN = "sign_in", _("Sign in")


class OtpChallenge(models.Model):
    """One code sent to one mobile number. Only an HMAC of the code is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mobile = models.CharField(max_length=11, db_index=True)
    purpose = models.CharField(max_length=16, choices=OtpPurpose.choices, default=OtpPurpose.SIGN_IN)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time password")
        verbose_name_plural = _("one-time passwords")
        indexes = [models.Index(fields=["mobile", "created_at"])]

    def __str__(self) -> str:
        return f"{self.mobile} @ {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for staff and integrations. The secret is shown once; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
