"""The address a request really came from, for rate limits and records.

Behind a reverse proxy every request arrives from the proxy, so per-IP limits would lump all
citizens together. The proxy's header is trusted only when the operator names it
(DAFTAR_CLIENT_IP_HEADER, e.g. HTTP_X_REAL_IP); otherwise a client could forge it.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    header = settings.DAFTAR_CLIENT_IP_HEADER
    if header:
        # X-Forwarded-For lists the client first; the proxy appends the rest.
        candidate = request.META.get(header, "").split(",")[0].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104 - a placeholder, not a bind
