"""Reads of people and accounts."""

from __future__ import annotations

from daftar.accounts.models import Person
from daftar.core.errors import InvalidValue
from daftar.core.text import digits_only, to_latin_digits
from daftar.core.validators import validate_legal_national_id, validate_national_code


def national_code_clean(text: str) -> str:
    """A real person's national code (10 digits) or a legal entity's national ID (11), validated.

    Raises InvalidValue with the validators' Persian message.
    """
    digits = digits_only(to_latin_digits(text or ""))
    if len(digits) == 11:
        return validate_legal_national_id(digits)
    return validate_national_code(text)


def person_by_code(*, national_code: str) -> Person | None:
    try:
        code = national_code_clean(national_code)
    except InvalidValue:
        return None
    return Person.objects.filter(national_code=code).first()


def person_by_pk(*, pk: object) -> Person | None:
    if not isinstance(pk, int):
        return None
    return Person.objects.filter(pk=pk).first()
