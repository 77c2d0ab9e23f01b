"""Typed errors raised by the Pic-Time client.

Every failure the client can meet (transport, HTTP status, OAuth error, malformed body) is turned
into exactly one of these classes by ``pictime.client``. Callers decide what to do from two things:

- ``permanent``: ``False`` means "retry later with backoff" (timeouts, 5xx, 429, a request still
  running, a garbled answer); ``True`` means retrying the same call will fail the same way, so the
  outcome should be written to the row the UI reads.
- ``user_message``: a sentence a photographer can read. ``message`` is for logs and admins; it never
  contains a token.

Plain Python: no Django import, so this module can be used by the client, tasks and tests alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AccessDenied",
    "BadRequest",
    "BadResponse",
    "Conflict",
    "InsufficientScope",
    "NeedsReconnection",
    "NotConnected",
    "NotFound",
    "OAuthError",
    "PicTimeError",
    "RateLimited",
    "RefreshRetrying",
    "RequestInProgress",
    "Throttled",
    "Unavailable",
    "ValidationFailed",
]


class PicTimeError(Exception):
    """Base class. ``status`` is the HTTP status when there was one; ``code`` is Pic-Time's error code
    (``"not_found"``, ``"invalid_grant"`` …) when the body carried one."""

    permanent: bool = True
    default_user_message = "Something went wrong with Pic-Time. Please try again."

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        code: str | None = None,
        user_message: str | None = None,
        permanent: bool | None = None,
    ) -> None:
        self.message = message or self.__class__.__name__
        self.status = status
        self.code = code
        self.user_message = user_message or self.default_user_message
        if permanent is not None:
            self.permanent = permanent
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None or self.code:
            tag = " ".join(str(x) for x in (self.status, self.code) if x is not None)
            parts.append(f"[{tag}]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.message!r}, status={self.status!r}, code={self.code!r}, "
            f"permanent={self.permanent!r})"
        )


class NeedsReconnection(PicTimeError):
    """The access or refresh token is no longer valid (401 ``invalid_token`` on the API,
    ``invalid_grant`` on the token endpoint): the photographer must connect Pic-Time again."""

    permanent = True
    default_user_message = "Your Pic-Time connection has expired. Please reconnect Pic-Time."


class NotConnected(NeedsReconnection):
    """The CRM holds no usable grant for the company (never connected, disconnected, or waiting for
    a reconnection), so nothing is sent to Pic-Time. The one "not connected" error of the CRM:
    ``code`` is ``not_connected`` or ``needs_reconnection``, and what to do is in ``user_message``."""

    permanent = True
    default_user_message = "Pic-Time is not connected. Connect it in Company Settings > Integrations."

    @classmethod
    def of(cls, connection: Any) -> NotConnected:
        """The error for a company's connection row (or ``None`` when it never connected)."""
        if connection is not None and connection.needs_reconnection:
            return cls(
                "Pic-Time needs reconnection for this company.",
                code="needs_reconnection",
                user_message="Pic-Time needs to be reconnected before you can add or sync galleries.",
            )
        return cls("Pic-Time is not connected for this company.", code="not_connected")


class InsufficientScope(PicTimeError):
    """403: the grant lacks a scope this call needs; reconnecting with the scope fixes it."""

    permanent = True
    default_user_message = (
        "Pic-Time didn't allow this action. Please reconnect Pic-Time and approve all permissions."
    )


class NotFound(PicTimeError):
    """404: the resource does not exist or belongs to another Pic-Time account."""

    permanent = True
    default_user_message = "Pic-Time couldn't find that item. It may have been deleted."


class Conflict(PicTimeError):
    """409 ``conflict``: the idempotency key was used before with a different body, or the resource
    already exists (for instance a webhook for the same URL)."""

    permanent = True
    default_user_message = "Pic-Time says this already exists or conflicts with an earlier request."


class RequestInProgress(PicTimeError):
    """409 ``request_in_progress``: an earlier request with the same idempotency key is still running.
    Transient: retry the same call (same key) a little later.

    Deliberately *not* a subclass of :class:`Conflict`: ``except Conflict`` must never swallow a
    condition that resolves by itself."""

    permanent = False
    default_user_message = "Pic-Time is still working on this request. Try again in a minute."


class ValidationFailed(PicTimeError):
    """422 ``validation_error``. ``details`` maps a field name to its message(s)."""

    permanent = True
    default_user_message = "Pic-Time rejected some of the details. Please check them and try again."

    def __init__(self, message: str = "", *, details: Mapping[str, Any] | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.details: dict[str, Any] = dict(details or {})

    def field_messages(self) -> dict[str, list[str]]:
        """``details`` normalised to ``{field: [message, …]}``."""
        out: dict[str, list[str]] = {}
        for field, value in self.details.items():
            if isinstance(value, (list, tuple)):
                out[str(field)] = [str(v) for v in value]
            else:
                out[str(field)] = [str(value)]
        return out

    def __str__(self) -> str:
        base = super().__str__()
        if not self.details:
            return base
        fields = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.field_messages().items())
        return f"{base} ({fields})"


class BadRequest(PicTimeError):
    """400 ``bad_request`` (malformed JSON, missing Idempotency-Key): a bug on our side."""

    permanent = True
    default_user_message = "Pic-Time couldn't understand the request. Our team has been notified."


class RateLimited(PicTimeError):
    """429: too many requests. ``retry_after`` is whole seconds (≥ 1) to wait before any retry."""

    permanent = False
    default_user_message = "Pic-Time is busy right now. Try again in a minute."

    def __init__(self, message: str = "", *, retry_after: int = 1, **kwargs: Any):
        kwargs.setdefault("status", 429)
        retry_after = max(1, int(retry_after))
        kwargs.setdefault("user_message", f"Pic-Time is busy, try again in {retry_after} s.")
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class Throttled(RateLimited):
    """Not sent: the account's shared rate limit (``pictime.ratelimit``) says wait ``wait`` seconds
    first (the bucket is empty, or a 429's Retry-After is still running). Nothing reached Pic-Time."""

    def __init__(self, message: str = "", *, wait: float, **kwargs: Any):
        kwargs.setdefault("status", None)
        kwargs.setdefault("code", "throttled")
        super().__init__(message, retry_after=math.ceil(wait), **kwargs)
        self.wait = max(0.0, float(wait))


class Unavailable(PicTimeError):
    """Pic-Time could not be reached or failed: connect/read timeout, connection error, 5xx, 408."""

    permanent = False
    default_user_message = "Couldn't reach Pic-Time. Try again in a minute."


class RefreshRetrying(Unavailable):
    """The answers to a token refresh were lost: a worker asks again with the same refresh token
    within Pic-Time's grace (``pictime.tokens``). Nothing is sent meanwhile; not a reconnection."""

    default_user_message = "Pic-Time is not answering, retrying. Try again in a minute."


class BadResponse(PicTimeError):
    """Pic-Time answered, but not with what the contract promises: a body that is not JSON (an HTML
    error page from a proxy), JSON that is not an object, a missing field, a wrong type, a bad
    timestamp, an unexpected redirect.

    Treated as *transient* (``permanent = False``): in practice such answers come from proxies, load
    balancers, half-finished deploys and truncated bodies, and go away on a retry; the caller's
    retries are bounded, so a lasting contract drift still ends as a recorded failure. It is a class
    of its own (not :class:`Unavailable`) so that monitoring can tell "Pic-Time is down" from
    "Pic-Time changed under us", and so that ``field`` names what was wrong."""

    permanent = False
    default_user_message = "Pic-Time sent an answer we couldn't read. Try again in a minute."

    def __init__(self, message: str = "", *, field: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.field = field


class OAuthError(PicTimeError):
    """An OAuth error other than ``invalid_grant`` / ``access_denied``: ``invalid_request``,
    ``invalid_scope``, ``invalid_client``, ``unauthorized_client``, a state mismatch … These point to a
    configuration or programming error, so they are permanent."""

    permanent = True
    default_user_message = "Connecting to Pic-Time failed. Please try again or contact support."


class AccessDenied(OAuthError):
    """The photographer pressed **Deny** on Pic-Time's consent page (``error=access_denied``)."""

    permanent = True
    default_user_message = "Pic-Time wasn't connected because access was denied."
