"""Errors the domain raises: a stable machine code plus a message a person can read.

The code (e.g. ``"national_code.checksum"``) is for programs: API clients, tests, logs. The
message is an English msgid translated lazily, so ``str(error)`` speaks the language active
when it is *shown*, not the one active when it was raised. These classes import nothing from
Django, so the pure layers (validators, dates, money) stay usable without settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DomainError(Exception):
    """A rule of the domain was broken; ``status`` is the HTTP status a face should answer with."""

    status: ClassVar[int] = 400

    def __init__(self, code: str, message: StrOrPromise, params: Mapping[str, object] | None = None) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.params: dict[str, object] = dict(params or {})

    def __str__(self) -> str:
        # Rendered on demand so a lazy message follows the language active at display time.
        if self.params:
            return str(self.message % self.params)
        return str(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r})"


class InvalidValue(DomainError, ValueError):
    """A value given by a person or a client is malformed or fails its check (digit, checksum…)."""

    status: ClassVar[int] = 400


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
