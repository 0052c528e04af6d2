"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<raw body>"``, sent as ``v1=<hex>``.

Pure functions with no Django import, so a receiver (an agency's own system, a test, a script)
can use them as they are. See docs/inquiries.md for the contract.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
_HEX_DIGITS = frozenset("0123456789abcdef")


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Daftar-Signature`` header value for this body sent at this Unix time: ``v1=<hex>``."""
    return f"{SCHEME}={_digest(secret, timestamp, body)}"


def webhook_verify(
    secret: str,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    *,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """Whether a delivery's headers prove it came from Daftar with this secret, recently.

    Refuses a timestamp more than ``tolerance`` seconds before or after ``now``, a malformed
    header, and any signature that does not match (compared in constant time). The signature
    header may carry several comma-separated ``v1=`` values (one per live secret); any match is
    enough. Whether this delivery id was already processed is for the receiver to remember.
    """
    if not secret or timestamp_header is None or signature_header is None:
        return False
    stamp = timestamp_header.strip()
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        return False
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    matched = False
    for part in signature_header.split(","):
        scheme, sep, value = part.strip().partition("=")
        if not sep or scheme != SCHEME:
            continue
        value = value.strip().lower()
        if len(value) != len(expected) or not set(value) <= _HEX_DIGITS:
            continue
        # Every candidate is compared, so the time taken does not say which one matched.
        matched = hmac.compare_digest(expected, value) or matched
    return matched
