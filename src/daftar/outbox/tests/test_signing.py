"""Webhook signatures, as a receiver checks them (pure functions: no database, no settings)."""

from __future__ import annotations

import hashlib
import hmac

from daftar.outbox.signing import webhook_sign, webhook_verify

SECRET = "whsec-water-1405"
BODY = b'{"event":"inquiry.created","inquiry":{"id":42,"agency":"water"}}'
NOW = 1_790_000_000


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_in_hex() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert webhook_sign(SECRET, NOW, BODY) == f"v1={expected}"


def test_a_fresh_signature_with_the_right_secret_verifies() -> None:
    signature = webhook_sign(SECRET, NOW, BODY)
    assert webhook_verify(SECRET, str(NOW), signature, BODY, now=NOW + 299)
    assert webhook_verify(SECRET, str(NOW), signature, BODY, now=NOW - 299)  # receiver's clock behind


def test_a_wrong_secret_or_a_tampered_body_does_not_verify() -> None:
    signature = webhook_sign(SECRET, NOW, BODY)
    assert not webhook_verify("another-secret", str(NOW), signature, BODY, now=NOW)
    assert not webhook_verify(SECRET, str(NOW), signature, BODY.replace(b"42", b"43"), now=NOW)
    assert not webhook_verify(SECRET, str(NOW + 1), signature, BODY, now=NOW)  # timestamp swapped


def test_a_stale_or_future_timestamp_is_refused_even_with_a_valid_signature() -> None:
    signature = webhook_sign(SECRET, NOW, BODY)
    assert not webhook_verify(SECRET, str(NOW), signature, BODY, now=NOW + 301)
    assert not webhook_verify(SECRET, str(NOW), signature, BODY, now=NOW - 301)
    assert webhook_verify(SECRET, str(NOW), signature, BODY, now=NOW + 1000, tolerance=1000)


def test_malformed_headers_are_refused() -> None:
    signature = webhook_sign(SECRET, NOW, BODY)
    digest = signature.removeprefix("v1=")
    for timestamp, header in [
        (None, signature),
        (str(NOW), None),
        ("", signature),
        ("-1790000000", signature),
        ("1790000000.5", signature),
        ("۱۷۹۰۰۰۰۰۰۰", signature),  # Persian digits are digits to str.isdigit, not to us
        (str(NOW), digest),  # no scheme
        (str(NOW), f"v2={digest}"),
        (str(NOW), "v1="),
        (str(NOW), f"v1={digest[:-2]}"),
        (str(NOW), f"v1={digest[:-2]}zz"),
    ]:
        assert not webhook_verify(SECRET, timestamp, header, BODY, now=NOW), (timestamp, header)
    assert not webhook_verify("", str(NOW), webhook_sign("", NOW, BODY), BODY, now=NOW)


def test_any_of_several_signatures_may_match_during_a_secret_rotation() -> None:
    old, new = webhook_sign("old-secret", NOW, BODY), webhook_sign(SECRET, NOW, BODY)
    assert webhook_verify(SECRET, str(NOW), f"{old}, {new}", BODY, now=NOW)
    assert webhook_verify(SECRET, str(NOW), new.upper().replace("V1=", "v1="), BODY, now=NOW)
    assert not webhook_verify(SECRET, str(NOW), f"{old}, v1=nothex", BODY, now=NOW)
