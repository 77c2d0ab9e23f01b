"""Pic-Time webhook signatures.

Header ``PicTime-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` keyed with the
subscription secret. Verify over the *raw* body bytes (before any JSON parsing), compare in constant
time, and refuse a ``t`` more than ``tolerance`` seconds away from now (default 300 s) so a captured
delivery cannot be replayed later. Several ``v1`` entries are allowed (secret rotation): one match is
enough. Plain Python: no Django import.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "InvalidSignature", "sign", "verify_signature"]

SIGNATURE_HEADER = "PicTime-Signature"
DEFAULT_TOLERANCE = 300
_MAX_HEADER = 4096


class InvalidSignature(ValueError):
    """The delivery must be rejected (answer 400) and not stored as processed. ``reason`` is one of
    ``missing``, ``malformed``, ``stale``, ``mismatch``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _to_bytes(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _now_seconds(now: float | datetime | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now.timestamp()
    return float(now)


def _digest(secret: bytes | str, timestamp: int, raw_body: bytes | str) -> str:
    message = str(timestamp).encode("ascii") + b"." + _to_bytes(raw_body)
    return hmac.new(_to_bytes(secret), message, hashlib.sha256).hexdigest()


def sign(raw_body: bytes | str, secret: bytes | str, timestamp: int | None = None) -> str:
    """The header value Pic-Time would send for ``raw_body`` (used by tests and local tools)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(secret, t, raw_body)}"


def verify_signature(
    raw_body: bytes | str,
    header: str | None,
    secret: bytes | str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | datetime | None = None,
) -> int:
    """Check ``header`` against ``raw_body`` and ``secret``. Return the signed timestamp, or raise
    :class:`InvalidSignature`. ``now`` (unix seconds or an aware datetime) is injectable for tests."""
    if not secret:
        raise ValueError("a webhook secret is required")
    if not header:
        raise InvalidSignature("missing PicTime-Signature header", "missing")
    if len(header) > _MAX_HEADER:
        raise InvalidSignature("PicTime-Signature header too long", "malformed")

    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignature("malformed PicTime-Signature header", "malformed")
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                raise InvalidSignature("malformed timestamp in PicTime-Signature header", "malformed")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
        # Other schemes (v0, future versions) are ignored, as Stripe-style receivers do.
    if timestamp is None or not candidates:
        raise InvalidSignature("PicTime-Signature header needs t= and v1=", "malformed")

    if abs(_now_seconds(now) - timestamp) > tolerance:
        raise InvalidSignature("PicTime-Signature timestamp outside the tolerance window", "stale")

    expected = _digest(secret, timestamp, raw_body).encode("ascii")
    matched = False
    for candidate in candidates:
        # compare_digest on bytes of possibly different length is still constant-time in the content.
        if hmac.compare_digest(expected, candidate.strip().lower().encode("utf-8", "replace")):
            matched = True
    if not matched:
        raise InvalidSignature("PicTime-Signature does not match the body", "mismatch")
    return timestamp
