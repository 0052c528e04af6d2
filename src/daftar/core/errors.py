"""Errors the domain raises: a stable machine code plus a message a person can read.

The code (e.g. ``"national_code.checksum"``) is for programs: API clients, tests, logs. The
message is an English msgid translated lazily, so ``str(error)`` speaks the language active
when it is *shown*, not the one active when it was raised; numbers in a Persian message are
written in Persian digits. These classes import nothing from Django, so the pure layers
(validators, dates, money) stay usable without settings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_ARABIC_LETTERS = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_LATIN_LETTERS = re.compile("[A-Za-z]")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class DomainError(Exception):
    """A rule of the domain was broken; ``status`` is the HTTP status a face should answer with."""

    status: ClassVar[int] = 400

    def __init__(
        self,
        code: str,
        message: StrOrPromise,
        params: Mapping[str, object] | None = None,
        *,
        fields: Mapping[str, list[StrOrPromise]] | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.params: dict[str, object] = dict(params or {})
        # Per-field messages (form field or JSON path -> messages) for a form or an API client.
        self.fields: dict[str, list[StrOrPromise]] = {
            key: list(value) for key, value in (fields or {}).items()
        }

    def field_messages(self) -> dict[str, list[str]]:
        """The field errors rendered in the active language."""
        return {
            key: [self._digits(str(message)) for message in messages] for key, messages in self.fields.items()
        }

    def _digits(self, text: str) -> str:
        persian = len(_ARABIC_LETTERS.findall(text)) > len(_LATIN_LETTERS.findall(text))
        return text.translate(_PERSIAN_DIGITS) if persian else text

    def __str__(self) -> str:
        # Rendered on demand so a lazy message follows the language active at display time.
        text = str(self.message % self.params) if self.params else str(self.message)
        return text.translate(_PERSIAN_DIGITS) if self._is_persian(text) else text

    def _is_persian(self, text: str) -> bool:
        """Whether the message came out in Persian, whose numbers are written in Persian digits.

        Judged on the message's own words, by which script has more letters: a Persian example
        or value (a month name) quoted inside an English message does not make it Persian.
        """
        for value in self.params.values():
            if isinstance(value, str) and value:
                text = text.replace(value, "")
        return len(_ARABIC_LETTERS.findall(text)) > len(_LATIN_LETTERS.findall(text))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"


class InvalidValue(DomainError, ValueError):
    """A value given by a person or a client is malformed or fails its check (digit, checksum…)."""

    status: ClassVar[int] = 400


class Forbidden(DomainError):
    """The one asking may not do this (wrong role, wrong office, not their case)."""

    status: ClassVar[int] = 403


class NotFound(DomainError):
    """Something asked for does not exist (or is not visible to the one asking)."""

    status: ClassVar[int] = 404


class Conflict(DomainError):
    """The request clashes with the current state (already done, already taken, wrong state)."""

    status: ClassVar[int] = 409


class RateLimited(DomainError):
    """Too many attempts; ``retry_after`` says in how many seconds to try again, when known."""

    status: ClassVar[int] = 429

    def __init__(
        self,
        code: str,
        message: StrOrPromise,
        params: Mapping[str, object] | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, message, params)
        self.retry_after = retry_after
