"""API tokens, person registration and the role groups."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from daftar.accounts.models import ApiToken, Person, PersonKind, User
from daftar.accounts.roles import ROLE_SPECS, Role
from daftar.accounts.services import (
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
    citizen_profile_complete,
    person_register,
    roles_sync,
)
from daftar.core.errors import InvalidValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user(username="operator", password="a-long-password-1")


def test_token_authenticates_its_user_and_only_its_hash_is_stored(staff: User) -> None:
    issued = api_token_create(user=staff, name="counter app")
    assert api_token_authenticate(secret=issued.secret) == staff
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret not in stored.key_hash
    assert stored.last_used_at is not None


def test_revoked_token_no_longer_authenticates(staff: User) -> None:
    issued = api_token_create(user=staff, name="counter app")
    api_token_revoke(token=issued.token)
    assert api_token_authenticate(secret=issued.secret) is None


def test_expired_token_no_longer_authenticates(staff: User) -> None:
    issued = api_token_create(user=staff, name="counter app", expires_in_days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_token_authenticate(secret=issued.secret) is None


def test_token_with_right_prefix_but_wrong_secret_is_refused(staff: User) -> None:
    issued = api_token_create(user=staff, name="counter app")
    forged = issued.secret[:-4] + ("aaaa" if not issued.secret.endswith("aaaa") else "bbbb")
    assert api_token_authenticate(secret=forged) is None
    assert api_token_authenticate(secret="garbage") is None


def test_token_of_a_deactivated_user_is_refused(staff: User) -> None:
    issued = api_token_create(user=staff, name="counter app")
    User.objects.filter(pk=staff.pk).update(is_active=False)
    assert api_token_authenticate(secret=issued.secret) is None


def test_person_registration_normalises_and_validates() -> None:
    person = person_register(
        kind=PersonKind.REAL,
        national_code="۰۰۸۴۵۷۵۹۴۸",
        first_name="علي",
        last_name="كريمي",
        mobile="+989121234567",
    )
    assert person.national_code == "0084575948"
    assert person.first_name == "علی"
    assert person.last_name == "کریمی"
    assert person.mobile == "09121234567"


def test_person_registration_with_a_bad_national_code_stores_nothing() -> None:
    with translation.override("fa"), pytest.raises(InvalidValue) as caught:
        person_register(kind=PersonKind.REAL, national_code="0084575949", first_name="علی", last_name="کریمی")
    assert caught.value.code.startswith("national_code")
    assert not Person.objects.exists()


def test_registering_a_known_code_fills_blanks_but_never_overwrites_identity() -> None:
    person_register(kind=PersonKind.REAL, national_code="0084575948", first_name="علی", last_name="کریمی")
    again = person_register(
        kind=PersonKind.REAL,
        national_code="0084575948",
        first_name="حسن",
        last_name="کریمی",
        father_name="محمد",
    )
    assert again.first_name == "علی"
    assert again.father_name == "محمد"
    assert Person.objects.count() == 1


def test_legal_entity_is_keyed_by_its_national_id() -> None:
    entity = person_register(kind=PersonKind.LEGAL, national_code="10100387994", legal_name="شرکت نمونه")
    assert entity.kind == PersonKind.LEGAL
    with pytest.raises(InvalidValue):
        person_register(kind=PersonKind.LEGAL, national_code="10100387990", legal_name="شرکت نمونه")


def test_a_national_code_linked_to_one_account_cannot_be_claimed_by_another() -> None:
    first = User.objects.create(username="09120000001", mobile="09120000001")
    second = User.objects.create(username="09120000002", mobile="09120000002")
    citizen_profile_complete(user=first, national_code="0084575948", first_name="علی", last_name="کریمی")
    with pytest.raises(InvalidValue) as caught:
        citizen_profile_complete(user=second, national_code="0084575948", first_name="علی", last_name="کریمی")
    assert caught.value.code == "person.already_linked"
    second.refresh_from_db()
    assert second.person_id is None


def test_every_role_is_a_group_with_exactly_its_permissions_and_sync_is_idempotent() -> None:
    roles_sync()
    roles_sync()
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == len(Role)
    for spec in ROLE_SPECS:
        group = Group.objects.get(name=spec.role.value)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(spec.permissions)
