"""Errors of the documents app beyond the shared ones in ``daftar.core.errors``."""

from __future__ import annotations

from typing import ClassVar

from daftar.core.errors import DomainError


class ServiceUnavailable(DomainError):
    """A service this request depends on (the virus scanner) is down; the request may be retried."""

    status: ClassVar[int] = 503
