"""The Pic-Time client: the only code in the CRM that speaks HTTP to Pic-Time.

Two classes:

- :class:`PicTimeClient` — the REST API (``{base_url}/api/v2``) with a bearer access token.
- :class:`PicTimeOAuth` — authorization URL with PKCE S256, code exchange, refresh, revocation.

Both go through :func:`_send` (transport errors) and :func:`_error_for` (HTTP errors), so every failure
becomes one typed :mod:`pictime.errors` exception that knows whether it is ``permanent``. A single
call is retried once only, after a 401 and a forced refresh (given a ``TokenSource``); the caller (a
Celery task) owns every other retry, backoff and the outcome row. Given a ``Limiter`` (the account's
shared rate limit) it sends nothing the limit forbids and raises ``Throttled`` instead. Both classes
send explicit ``(connect, read)`` timeouts on every call, never follow redirects, and never log a
token, an ``Authorization`` header, a request body or a query string.

Reading many pages has one helper, :meth:`PicTimeClient._paginate`, with an opt-in
:class:`RetryPolicy` for background reads (the sync): web requests answer at once instead.

An instance holds per-call state (``requests_made``, ``last_rate_limit``) and a ``requests.Session``:
use one instance per task / thread. Plain Python: no Django import.
"""

from __future__ import annotations

import email.utils
import hmac
import json as jsonlib
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, quote_plus, urlencode

import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from . import errors
from .schemas import (
    SCOPES,
    Account,
    Gallery,
    GalleryCreate,
    Order,
    Page,
    TokenSet,
    WebhookSubscription,
    format_timestamp,
)

__all__ = [
    "BACKGROUND",
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "Limiter",
    "PicTimeClient",
    "PicTimeOAuth",
    "RateLimitInfo",
    "RetryPolicy",
    "TokenSource",
]

logger = logging.getLogger("pictime.client")

DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10)
API_PREFIX = "/api/v2"
MAX_LIMIT = 100
MAX_IDS = 100
REFRESH_TOKEN_HINT = "refresh_token"
USER_AGENT = "StudioCRM-PicTime/1.0 (+python-requests)"

T = TypeVar("T")

# LogRecord attributes that ``extra`` must not overwrite (logging raises KeyError on these).
_RESERVED_LOG_KEYS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """``X-RateLimit-Limit`` (requests per second) and ``X-RateLimit-Remaining`` of the last answer."""

    limit: int | None
    remaining: int | None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a paged read rides out Pic-Time's refusals, call by call: a 429 waits its Retry-After
    (at most ``max_wait``) and repeats the same call, at most ``rate_limited`` times; a transient
    failure backs off (0.5 s doubling, jittered, at most ``max_wait``) at most ``transient`` times.
    With retries on, an empty bucket (``X-RateLimit-Remaining: 0``) paces the next call."""

    rate_limited: int = 6
    transient: int = 3
    max_wait: float = 60.0

    @property
    def retries(self) -> bool:
        return bool(self.rate_limited or self.transient)


NO_RETRY = RetryPolicy(rate_limited=0, transient=0)  # a web request: fail at once, say so
BACKGROUND = RetryPolicy()  # the sync: wait politely, a bounded number of times

sleep = time.sleep  # the one place the client waits, so a test can count the waits


# --------------------------------------------------------------------------- shared plumbing
def _check_timeout(timeout: Any) -> tuple[float, float]:
    if (
        not isinstance(timeout, tuple)
        or len(timeout) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in timeout)
    ):
        raise ValueError("timeout must be a (connect, read) tuple of positive seconds")
    return (float(timeout[0]), float(timeout[1]))


def _parse_retry_after(value: str | None, now: float | None = None) -> int:
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
    if when is None:  # pragma: no cover - older Pythons returned None
        return 1
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when.timestamp() - (time.time() if now is None else now)
    return max(1, math.ceil(delta))


def _int_header(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def _float_header(response: requests.Response, name: str) -> float | None:
    try:
        value = float(response.headers.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _decode_json(response: requests.Response) -> Any:
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


def _error_for(response: requests.Response, *, oauth: bool = False) -> errors.PicTimeError:
    """Map a non-2xx answer to a typed error. ``oauth`` marks the token/revoke endpoints, whose
    400/401 carry OAuth error codes (``invalid_grant`` …) rather than REST ones."""
    status = response.status_code
    code, message, details = _error_body(response)
    text = message or f"Pic-Time answered HTTP {status}"
    kw: dict[str, Any] = {"status": status, "code": code}

    if status == 429:
        return errors.RateLimited(
            text, retry_after=_parse_retry_after(response.headers.get("Retry-After")), **kw
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


def _send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float],
    log_path: str,
    log_extra: Mapping[str, Any],
    counter: Callable[[], None] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP call: timeouts, no redirects, transport errors → ``Unavailable``, one log line.
    ``log_path`` is what gets logged (never the query string)."""
    started = time.monotonic()
    status: int | None = None
    outcome = "ok"
    try:
        if counter is not None:
            counter()
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
        status = response.status_code
        if status >= 400:
            outcome = "http_error"
        return response
    except requests.Timeout as exc:
        outcome = "timeout"
        kind = "connect" if isinstance(exc, requests.ConnectTimeout) else "read"
        raise errors.Unavailable(
            f"Pic-Time did not answer in time ({kind} timeout) on {method} {log_path}", code="timeout"
        ) from None
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ) as exc:
        outcome = "config_error"
        raise errors.PicTimeError(
            f"Pic-Time base URL is invalid: {type(exc).__name__}", code="invalid_url", permanent=True
        ) from None
    except requests.RequestException as exc:
        # ConnectionError, ChunkedEncodingError, ContentDecodingError, SSLError, …
        outcome = "connection_error"
        raise errors.Unavailable(
            f"Couldn't reach Pic-Time ({type(exc).__name__}) on {method} {log_path}", code="connection_error"
        ) from None
    finally:
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        extra = {k: v for k, v in log_extra.items() if k not in _RESERVED_LOG_KEYS}
        extra.update(method=method, path=log_path, status=status, duration_ms=duration_ms, outcome=outcome)
        level = logging.INFO if outcome in ("ok", "http_error") else logging.WARNING
        logger.log(
            level,
            "pictime %s %s -> %s (%s ms)",
            method,
            log_path,
            status or outcome,
            duration_ms,
            extra=extra,
        )


def _quote_id(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    return quote(value, safe="")


def _check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    return limit


def _check_idempotency_key(key: Any) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= 255:
        raise ValueError("idempotency_key must be a string of 1 to 255 characters")
    # Printable ASCII without the space: HTTP strips surrounding whitespace from header values (the
    # server would see another key), and the sandbox reads "printable" as 0x21-0x7E. A UUID4 or
    # "<purpose>-<row id>" always fits.
    if not all(0x21 <= ord(ch) <= 0x7E for ch in key):
        raise ValueError("idempotency_key must be printable ASCII without spaces")
    return key


class TokenSource(Protocol):
    """Where a client gets a new access token when Pic-Time refuses one (``pictime.tokens``)."""

    def refresh(self, failed_token: str) -> str:
        """A valid token other than ``failed_token`` (refreshing if need be), or NeedsReconnection."""

    def rejected(self, token: str) -> None:
        """Pic-Time refused ``token`` too, right after the refresh that gave it."""


class Limiter(Protocol):
    """The account's rate limit shared by every process (``pictime.ratelimit.AccountLimit``)."""

    def acquire(self) -> float:
        """0 when a request may go now (one token taken), else the seconds to wait."""

    def release(self) -> None:
        """The request let through is answered (or failed)."""

    def block(self, seconds: float) -> None: ...

    def observe(self, limit: float | None, remaining: int | None) -> None: ...


# --------------------------------------------------------------------------- REST client
class PicTimeClient:
    """Pic-Time's REST API for one connected account.

    >>> client = PicTimeClient("http://localhost:8765", token, company_id=42)
    >>> for gallery in client.iter_galleries(updated_since=last_sync): ...
    """

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        company_id: Any = None,
        log_context: Mapping[str, Any] | None = None,
        tokens: TokenSource | None = None,
        limiter: Limiter | None = None,
        max_inline_wait: float = 0.0,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        self.tokens = tokens
        self.limiter = limiter
        self.max_inline_wait = max_inline_wait  # a task waits this long for its turn; a page: 0
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("access_token must be a non-empty string")
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + API_PREFIX
        self._access_token = access_token
        self.timeout = _check_timeout(timeout)
        self.session = session if session is not None else requests.Session()
        self.company_id = company_id
        self.log_context = dict(log_context or {})
        self.requests_made = 0
        self.last_rate_limit = RateLimitInfo(None, None)
        self.last_idempotent_replayed = False

    def __repr__(self) -> str:
        return f"<PicTimeClient {self.api_url} company={self.company_id!r}>"

    def _count(self) -> None:
        self.requests_made += 1

    # ----------------------------------------------------------------- the one request method
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """Send one API call; return the JSON object (``None`` for 204) or raise a typed error.

        With a ``limiter``, the account's shared rate limit is asked first (``Throttled`` when it
        says wait; nothing is sent) and told of every 429 and ``X-RateLimit-*`` answer. With
        ``tokens``, a 401 forces one refresh and the call is sent once more with the new token."""
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        if json is not None:
            kwargs["json"] = json  # requests sets Content-Type: application/json
        extra = {**self.log_context, "company": self.company_id}

        refreshed = False
        while True:
            response = self._send_once(method, path, headers, kwargs, extra)
            if response.status_code == 401 and self.tokens is not None:
                failed = self._access_token
                if not refreshed:
                    # Pic-Time may end a token before its expires_in: refresh once, then retry once.
                    self._access_token = self.tokens.refresh(failed)
                    refreshed = True
                    continue
                self.tokens.rejected(failed)
            break

        if not 200 <= response.status_code < 300:
            err = _error_for(response)
            logger.warning(
                "pictime error %s %s: %s",
                method,
                path,
                err.__class__.__name__,
                extra={
                    **{k: v for k, v in extra.items() if k not in _RESERVED_LOG_KEYS},
                    "method": method,
                    "path": path,
                    "status": response.status_code,
                    "error_code": err.code,
                    "permanent": err.permanent,
                },
            )
            raise err
        if response.status_code == 204:
            return None
        body = _decode_json(response)
        if not isinstance(body, dict):
            raise errors.BadResponse(
                f"Pic-Time answered {method} {path} with JSON {type(body).__name__}, expected an object",
                status=response.status_code,
                field="body",
            )
        return body

    def _send_once(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | None,
        kwargs: dict[str, Any],
        extra: dict[str, Any],
    ) -> requests.Response:
        while self.limiter is not None and (wait := self.limiter.acquire()) > 0:
            if wait > self.max_inline_wait:
                raise errors.Throttled(
                    f"Pic-Time's rate limit for this account: wait {wait:.2f} s before {method} {path}",
                    wait=wait,
                )
            sleep(wait)  # a turn this close is kept, not given up for a reschedule
        send_headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": f"Bearer {self._access_token}",
        }
        if headers:
            send_headers.update(headers)
        try:
            response = _send(
                self.session,
                method,
                self.api_url + path,
                timeout=self.timeout,
                log_path=path,
                log_extra=extra,
                counter=self._count,
                headers=send_headers,
                **kwargs,
            )
            self.last_rate_limit = RateLimitInfo(
                _int_header(response, "X-RateLimit-Limit"), _int_header(response, "X-RateLimit-Remaining")
            )
            self.last_idempotent_replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
            if self.limiter is not None:
                if response.status_code == 429:
                    self.limiter.block(_parse_retry_after(response.headers.get("Retry-After")))
                else:
                    self.limiter.observe(
                        _float_header(response, "X-RateLimit-Limit"), self.last_rate_limit.remaining
                    )
        finally:
            if self.limiter is not None:
                self.limiter.release()  # after the block above: nobody sends into it meanwhile
        return response

    def _parse(self, parse: Callable[[Any], T], body: Any) -> T:
        if body is None:
            raise errors.BadResponse(
                "Pic-Time answered with no content where a body was expected", field="body"
            )
        return parse(body)

    # ----------------------------------------------------------------- account
    def get_account(self) -> Account:
        return self._parse(Account.from_dict, self._request("GET", "/account"))

    # ----------------------------------------------------------------- galleries
    def list_galleries(
        self,
        *,
        q: str | None = None,
        status: str | None = None,
        updated_since: datetime | None = None,
        ids: Iterable[str] | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Gallery]:
        """One page of galleries ordered by (updated_at, id). With ``cursor``, Pic-Time ignores the
        filters (the cursor carries them), so they are not sent."""
        params: dict[str, Any] = {"limit": _check_limit(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            params.update(q=q, status=status)
            if updated_since is not None:
                params["updated_since"] = format_timestamp(updated_since)
            if ids is not None:
                params["ids"] = self._ids_param(ids)
        body = self._request("GET", "/galleries", params=params)
        return self._parse(lambda b: Page.from_dict(b, Gallery.from_dict), body)

    @staticmethod
    def _ids_param(ids: Iterable[str]) -> str:
        if isinstance(ids, str):
            raise TypeError("ids must be a list of ids, not a string")
        ids = list(ids)
        if not 1 <= len(ids) <= MAX_IDS:
            raise ValueError(f"ids must hold 1 to {MAX_IDS} ids (use get_galleries for more)")
        for gid in ids:
            if not isinstance(gid, str) or not gid or "," in gid:
                raise ValueError(f"invalid gallery id {gid!r}")
        return ",".join(ids)

    def iter_galleries(
        self,
        *,
        limit: int = MAX_LIMIT,
        retry: RetryPolicy = NO_RETRY,
        max_pages: int | None = None,
        **filters: Any,
    ) -> Iterator[Gallery]:
        """Every gallery matching ``filters`` (``q``, ``status``, ``updated_since``, ``ids``),
        following cursors; after the first call only ``cursor`` and ``limit`` are sent."""
        if "cursor" in filters:
            raise TypeError("iter_galleries follows cursors itself; pass filters only")

        def fetch(cursor: str | None) -> Page[Gallery]:
            if cursor is None:
                return self.list_galleries(limit=limit, **filters)
            return self.list_galleries(limit=limit, cursor=cursor)

        yield from self._paginate(fetch, retry=retry, max_pages=max_pages)

    def get_galleries(self, ids: Iterable[str], *, retry: RetryPolicy = NO_RETRY) -> list[Gallery]:
        """The galleries with these ids, in the order asked, in batches of ≤ 100. Ids Pic-Time does
        not know (deleted, another account) are left out; duplicates are asked once."""
        if isinstance(ids, str):
            raise TypeError("ids must be a list of ids, not a string")
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Gallery] = {}
        for start in range(0, len(wanted), MAX_IDS):
            batch = wanted[start : start + MAX_IDS]
            for gallery in self.iter_galleries(ids=batch, limit=MAX_LIMIT, retry=retry):
                found[gallery.id] = gallery
        return [found[gid] for gid in wanted if gid in found]

    def get_gallery(self, gallery_id: str) -> Gallery:
        return self._parse(Gallery.from_dict, self._request("GET", f"/galleries/{_quote_id(gallery_id)}"))

    def create_gallery(self, data: GalleryCreate, *, idempotency_key: str) -> Gallery:
        """Create an (offline, unpublished) gallery. ``idempotency_key`` is required: reuse the same key
        when retrying the same create, so a lost answer never makes a second gallery."""
        key = _check_idempotency_key(idempotency_key)
        if not isinstance(data, GalleryCreate):
            raise TypeError("data must be a GalleryCreate")
        body = self._request("POST", "/galleries", json=data.to_body(), headers={"Idempotency-Key": key})
        return self._parse(Gallery.from_dict, body)

    # ----------------------------------------------------------------- orders
    def list_orders(
        self,
        *,
        gallery_id: str | None = None,
        updated_since: datetime | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Order]:
        params: dict[str, Any] = {"limit": _check_limit(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        else:
            if gallery_id is not None:
                params["gallery_id"] = gallery_id
            if updated_since is not None:
                params["updated_since"] = format_timestamp(updated_since)
        body = self._request("GET", "/orders", params=params)
        return self._parse(lambda b: Page.from_dict(b, Order.from_dict), body)

    def iter_orders(
        self,
        *,
        gallery_id: str | None = None,
        updated_since: datetime | None = None,
        limit: int = MAX_LIMIT,
        retry: RetryPolicy = NO_RETRY,
    ) -> Iterator[Order]:
        def fetch(cursor: str | None) -> Page[Order]:
            if cursor is None:
                return self.list_orders(gallery_id=gallery_id, updated_since=updated_since, limit=limit)
            return self.list_orders(limit=limit, cursor=cursor)

        yield from self._paginate(fetch, retry=retry)

    # ----------------------------------------------------------------- the one pagination helper
    def _paginate(
        self,
        fetch: Callable[[str | None], Page[T]],
        *,
        retry: RetryPolicy = NO_RETRY,
        max_pages: int | None = None,
    ) -> Iterator[T]:
        """Every item of every page (at most ``max_pages``), following ``next_cursor``; each page's
        call is made under ``retry``. A cursor given twice is a paging loop: BadResponse."""
        cursor: str | None = None
        seen: set[str] = set()
        pages = 0
        while True:
            page = self._call(lambda cursor=cursor: fetch(cursor), retry)
            pages += 1
            yield from page.data
            if page.next_cursor is None or (max_pages is not None and pages >= max_pages):
                return
            if page.next_cursor in seen:
                raise errors.BadResponse(
                    "Pic-Time returned a cursor it had already given (paging loop)", field="next_cursor"
                )
            seen.add(page.next_cursor)
            cursor = page.next_cursor

    def _call(self, fn: Callable[[], T], retry: RetryPolicy) -> T:
        """One call, repeated as ``retry`` allows (see :class:`RetryPolicy`)."""
        rate_limited = transient = 0
        while True:
            try:
                result = fn()
            except errors.Throttled as error:
                # Nothing was sent: the account's shared limit gives this background read its turn.
                if not retry.retries:
                    raise
                sleep(min(retry.max_wait, error.wait))
                continue
            except errors.RateLimited as error:
                rate_limited += 1
                if rate_limited > retry.rate_limited:
                    raise
                sleep(min(retry.max_wait, error.retry_after) + random.uniform(0, 0.1))
                continue
            except errors.PicTimeError as error:
                transient += 1
                if error.permanent or transient > retry.transient:
                    raise
                sleep(min(retry.max_wait, 0.5 * 2**transient) * random.uniform(0.5, 1.0))
                continue
            info = self.last_rate_limit
            empty = info.remaining is not None and info.remaining < 1 and info.limit
            if retry.retries and empty and self.limiter is None:  # (a limiter paces by itself)
                sleep(1 / info.limit)  # the bucket is empty: the next call would be refused
            return result

    # ----------------------------------------------------------------- webhooks
    def create_webhook(self, url: str, events: Iterable[str]) -> WebhookSubscription:
        """Subscribe ``url``; the answer's ``secret`` is shown only now: store it (encrypted)."""
        if isinstance(events, str):
            raise TypeError("events must be a list of event types")
        events = list(events)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not events or not all(isinstance(e, str) and e for e in events):
            raise ValueError("events must be a non-empty list of event types")
        body = self._request("POST", "/webhooks", json={"url": url, "events": events})
        return self._parse(WebhookSubscription.from_dict, body)

    def list_webhooks(self) -> list[WebhookSubscription]:
        # The contract does not page this list: ``{"data": [...]}`` (a ``next_cursor`` is tolerated).
        body = self._parse(lambda b: b, self._request("GET", "/webhooks"))
        items = body.get("data")
        if not isinstance(items, list):
            raise errors.BadResponse("Unexpected Pic-Time response: data should be a list", field="data")
        return [WebhookSubscription.from_dict(item, f"data[{i}]") for i, item in enumerate(items)]

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhooks/{_quote_id(webhook_id, 'webhook_id')}")


# --------------------------------------------------------------------------- OAuth
class PicTimeOAuth:
    """OAuth 2.0 authorization-code flow with PKCE S256 against Pic-Time, client auth HTTP Basic.

    Authorize: ``{base_url}/oauth/authorize``; token: ``/oauth/token``; revoke: ``/oauth/revoke``.
    """

    AUTHORIZE_PATH = "/oauth/authorize"
    TOKEN_PATH = "/oauth/token"
    REVOKE_PATH = "/oauth/revoke"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        log_context: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http(s) URL")
        if not client_id or not client_secret or not redirect_uri:
            raise ValueError("client_id, client_secret and redirect_uri are required")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = _check_timeout(timeout)
        self.session = session if session is not None else requests.Session()
        self.log_context = dict(log_context or {})
        self.requests_made = 0

    def __repr__(self) -> str:
        return f"<PicTimeOAuth {self.base_url} client_id={self.client_id!r}>"

    def _count(self) -> None:
        self.requests_made += 1

    @property
    def authorize_url(self) -> str:
        return self.base_url + self.AUTHORIZE_PATH

    def create_authorization(
        self, state: str | None = None, scope: str | Iterable[str] | None = None
    ) -> tuple[str, str, str]:
        """``(url, state, code_verifier)``: redirect the browser to ``url``; keep ``state`` and
        ``code_verifier`` in the user's session for the callback. ``scope`` defaults to all scopes."""
        if scope is None:
            scope = SCOPES
        scope_str = scope if isinstance(scope, str) else " ".join(scope)
        state = state or generate_token(32)
        code_verifier = generate_token(64)  # RFC 7636: 43–128 unreserved characters
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope_str,
            "state": state,
            "code_challenge": create_s256_code_challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        return f"{self.authorize_url}?{urlencode(query)}", state, code_verifier

    @staticmethod
    def parse_callback(params: Mapping[str, str], expected_state: str | None) -> str:
        """Check the redirect back from Pic-Time and return the authorization ``code``.
        ``error=access_denied`` → :class:`AccessDenied`; another ``error`` or a state that does not
        match (compared in constant time) → :class:`OAuthError`."""
        state = params.get("state") or ""
        if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            raise errors.OAuthError("OAuth state does not match", code="invalid_state")
        error = params.get("error")
        if error == "access_denied":
            raise errors.AccessDenied("The photographer denied access on Pic-Time", code="access_denied")
        if error:
            raise errors.OAuthError(f"Pic-Time returned OAuth error {error!r}", code=str(error)[:100])
        code = params.get("code")
        if not code:
            raise errors.OAuthError("Pic-Time's redirect carried no code", code="invalid_request")
        return code

    def _auth(self) -> requests.auth.HTTPBasicAuth:
        # RFC 6749 §2.3.1: form-encode client_id and client_secret before Basic encoding.
        return requests.auth.HTTPBasicAuth(quote_plus(self.client_id), quote_plus(self._client_secret))

    def _post(self, path: str, data: Mapping[str, str]) -> requests.Response:
        response = _send(
            self.session,
            "POST",
            self.base_url + path,
            timeout=self.timeout,
            log_path=path,
            log_extra={**self.log_context, "client_id": self.client_id},
            counter=self._count,
            data=dict(data),
            auth=self._auth(),
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )
        if not 200 <= response.status_code < 300:
            raise _error_for(response, oauth=True)
        return response

    def _token(self, data: Mapping[str, str], now: datetime | None) -> TokenSet:
        response = self._post(self.TOKEN_PATH, data)
        body = _decode_json(response)
        return TokenSet.from_dict(body, now=now)

    def exchange_code(self, code: str, code_verifier: str, *, now: datetime | None = None) -> TokenSet:
        if not code or not code_verifier:
            raise ValueError("code and code_verifier are required")
        return self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            },
            now,
        )

    def refresh(self, refresh_token: str, *, now: datetime | None = None) -> TokenSet:
        """Rotate: the answer holds a *new* refresh token that must replace the old one at once
        (in the same transaction). ``invalid_grant`` → :class:`NeedsReconnection`."""
        if not refresh_token:
            raise ValueError("refresh_token is required")
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}, now)

    def revoke(self, token: str, token_type_hint: str = REFRESH_TOKEN_HINT) -> None:
        """Revoke the whole grant (and its webhook subscriptions) on Pic-Time."""
        if not token:
            raise ValueError("token is required")
        data = {"token": token}
        if token_type_hint:
            data["token_type_hint"] = token_type_hint
        self._post(self.REVOKE_PATH, data)
