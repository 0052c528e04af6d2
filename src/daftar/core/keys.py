"""Bearer secrets of the form ``<label>_<prefix>_<random>``: the prefix finds the stored row, the
SHA-256 of the whole secret is all that is stored, and the secret itself is shown once.

Used by API tokens (``dft_…``) and agency keys (``agk_…``). SHA-256 rather than a slow password hash
is right here: the secret has 256 random bits, so there is nothing to guess offline.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

# last_used_at is written at most this often, so busy integrations do not turn reads into writes.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str
    digest: str


def key_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_new(label: str) -> NewKey:
    prefix = secrets.token_hex(4)
    secret = f"{label}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, secret=secret, digest=key_digest(secret))


def key_prefix(secret: str, label: str) -> str | None:
    """The lookup prefix of a presented secret, or None if it is not one of ``label``'s."""
    parts = secret.split("_", 2)  # the random part may itself contain "_"
    if len(parts) != 3 or parts[0] != label or not parts[1]:
        return None
    return parts[1]


def key_matches(stored_digest: str, secret: str) -> bool:
    return hmac.compare_digest(stored_digest, key_digest(secret))


def key_needs_touch(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at > TOUCH_INTERVAL
