"""Reading Pic-Time's answers: the JSON body, the error an answer means (:func:`error_for`, one typed
:mod:`pictime.errors` exception for every status and OAuth error code), ``Retry-After`` and the
``X-RateLimit-*`` headers."""

from __future__ import annotations

import email.utils
import json as jsonlib
import math
import time
from datetime import UTC
from typing import Any

import requests

from pictime import errors


def parse_retry_after(value: str | None, now: float | None = None) -> int:
    """``Retry-After`` as whole seconds, at least 1: delta-seconds or an HTTP-date; 1 if absent/garbled."""
    if not value:
        return 1
    value = value.strip()
    if value.isdigit():
        return max(1, int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 1
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when.timestamp() - (time.time() if now is None else now)
    return max(1, math.ceil(delta))


def int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def float_header(response: requests.Response, name: str) -> float | None:
    try:
        value = float(response.headers.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def decode_json(response: requests.Response) -> Any:
    """The body as JSON, or ``BadResponse`` (HTML error page, empty, invalid)."""
    ctype = response.headers.get("Content-Type", "")
    if not response.content:
        raise errors.BadResponse(
            f"Pic-Time answered {response.status_code} with an empty body", status=response.status_code
        )
    if "json" not in ctype.lower():
        raise errors.BadResponse(
            f"Pic-Time answered {response.status_code} with {ctype or 'no content type'} instead of JSON "
            f"({len(response.content)} bytes)",
            status=response.status_code,
            field="body",
        )
    try:
        return jsonlib.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise errors.BadResponse(
            f"Pic-Time answered {response.status_code} with a body that is not valid JSON",
            status=response.status_code,
            field="body",
        ) from None


def _error_body(response: requests.Response) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(code, message, details) from an error answer in either shape Pic-Time uses:
    REST ``{"error": {"code", "message", "details"}}`` or OAuth ``{"error": "...", "error_description"}``.
    Anything else (an HTML page from a proxy) gives ``(None, None, None)``."""
    try:
        body = jsonlib.loads(response.content) if response.content else None
    except (ValueError, UnicodeDecodeError):
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    err = body.get("error")
    if isinstance(err, dict):
        code = err.get("code") if isinstance(err.get("code"), str) else None
        message = err.get("message") if isinstance(err.get("message"), str) else None
        details = err.get("details") if isinstance(err.get("details"), dict) else None
        return code, message, details
    if isinstance(err, str):
        desc = body.get("error_description")
        return err, desc if isinstance(desc, str) else None, None
    return None, None, None


_OAUTH_NEEDS_RECONNECTION = {"invalid_grant"}


def error_for(response: requests.Response, *, oauth: bool = False) -> errors.PicTimeError:
    """Map a non-2xx answer to a typed error. ``oauth`` marks the token/revoke endpoints, whose
    400/401 carry OAuth error codes (``invalid_grant`` …) rather than REST ones."""
    status = response.status_code
    code, message, details = _error_body(response)
    text = message or f"Pic-Time answered HTTP {status}"
    kw: dict[str, Any] = {"status": status, "code": code}

    if status == 429:
        return errors.RateLimited(
            text, retry_after=parse_retry_after(response.headers.get("Retry-After")), **kw
        )
    if status >= 500 or status == 408:
        return errors.Unavailable(text, **kw)
    if 300 <= status < 400:
        return errors.BadResponse(f"Pic-Time answered with an unexpected redirect ({status})", **kw)

    if oauth and code:
        if code in _OAUTH_NEEDS_RECONNECTION:
            return errors.NeedsReconnection(text, **kw)
        if code == "access_denied":
            return errors.AccessDenied(text, **kw)
        return errors.OAuthError(text, **kw)
    if oauth and status in (400, 401, 403):
        return errors.OAuthError(text, **kw)

    if status == 400:
        return errors.BadRequest(text, **kw)
    if status == 401:
        return errors.NeedsReconnection(text, **kw)
    if status == 403:
        return errors.InsufficientScope(text, **kw)
    if status == 404:
        return errors.NotFound(text, **kw)
    if status == 409:
        if code == "request_in_progress":
            return errors.RequestInProgress(text, **kw)
        return errors.Conflict(text, **kw)
    if status == 422:
        return errors.ValidationFailed(text, details=details, **kw)
    return errors.PicTimeError(text, permanent=True, **kw)
