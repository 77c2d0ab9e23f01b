"""The transport under every call to Pic-Time: one ``_request``, the error mapping, the rate-limit
handshake and the retry policy (Sentry's ``BaseApiClient`` shape; the resources are in
:mod:`pictime.client.resources`, OAuth in :mod:`pictime.client.oauth`).

Every failure becomes one typed :mod:`pictime.errors` exception that knows whether it is
``permanent``: transport errors in :func:`exchange`, HTTP errors in :mod:`pictime.client.answers`.
A single call is retried once only, after a 401 and a forced refresh (given a ``TokenSource``); the
caller (a Celery task) owns every other retry, backoff and the outcome row. Given a ``Limiter`` (the account's
shared rate limit) it sends nothing the limit forbids and raises ``Throttled`` instead. Explicit
``(connect, read)`` timeouts on every call, no redirects followed, and never a token, an
``Authorization`` header, a request body or a query string in a log.

Plain Python: no Django import.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import requests
from requests.adapters import HTTPAdapter

from pictime import errors
from pictime.backoff import retry_delay

from .answers import decode_json, error_for, float_header, int_header, parse_retry_after

logger = logging.getLogger("pictime.client")

DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10)
API_PREFIX = "/api/v2"
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
    failure backs off (1 s doubling, jittered, at most ``max_wait``: ``pictime.backoff``) at most
    ``transient`` times.
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


# --------------------------------------------------------------------------- checks and headers
def check_base_url(base_url: Any) -> str:
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError("base_url must be an http(s) URL")
    return base_url.rstrip("/")


def check_timeout(timeout: Any) -> tuple[float, float]:
    if (
        not isinstance(timeout, tuple)
        or len(timeout) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0 for x in timeout)
    ):
        raise ValueError("timeout must be a (connect, read) tuple of positive seconds")
    return (float(timeout[0]), float(timeout[1]))


# --------------------------------------------------------------------------- the HTTP session
@functools.cache
def _adapter() -> HTTPAdapter:
    """The process's connections to Pic-Time (urllib3's pool, safe across threads), kept alive from
    one client to the next: a task or a page doesn't open one (in production, a TLS handshake) for
    each client it makes."""
    return HTTPAdapter()


os.register_at_fork(after_in_child=_adapter.cache_clear)  # a forked worker opens its own


@functools.cache
def _environment(base_url: str) -> dict[str, Any]:
    """The proxies and CA bundle the environment gives Pic-Time's URL, as requests reads them
    (``trust_env``), read once a process rather than on every call (each read scans the whole
    environment)."""
    return requests.Session().merge_environment_settings(base_url, {}, None, None, None)


def new_session(base_url: str) -> requests.Session:
    """A client's own session (its cookies stay its own) on the process's kept-alive connections,
    with the environment's settings read once."""
    session = requests.Session()
    environment = _environment(base_url)
    session.trust_env = False  # no reading of the environment (and of ~/.netrc) per call
    session.proxies, session.verify = environment["proxies"], environment["verify"]
    session.mount(base_url, _adapter())
    return session


# --------------------------------------------------------------------------- one exchange
class Exchange:
    """What :func:`exchange` logs of one call; ``hooks`` hands requests' response hook to a library
    that sends the request itself (Authlib)."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.hooks = {"response": [self._answered]}

    def _answered(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.status = response.status_code
        return response


@contextmanager
def exchange(method: str, log_path: str, log_extra: Mapping[str, Any]) -> Iterator[Exchange]:
    """One HTTP call: transport errors → ``Unavailable`` (or a permanent error for a bad base URL),
    one log line. ``log_path`` is what gets logged (never the query string)."""
    started = time.monotonic()
    call = Exchange()
    outcome = "ok"
    try:
        yield call
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
        if outcome == "ok" and call.status is not None and call.status >= 400:
            outcome = "http_error"
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        extra = safe_extra(log_extra)
        extra.update(
            method=method, path=log_path, status=call.status, duration_ms=duration_ms, outcome=outcome
        )
        level = logging.INFO if outcome in ("ok", "http_error") else logging.WARNING
        logger.log(
            level,
            "pictime %s %s -> %s (%s ms)",
            method,
            log_path,
            call.status or outcome,
            duration_ms,
            extra=extra,
        )


def safe_extra(log_extra: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in log_extra.items() if k not in _RESERVED_LOG_KEYS}


# --------------------------------------------------------------------------- the API client's base
class ApiClient:
    """Pic-Time's REST API (``{base_url}/api/v2``) for one connected account, with a bearer token.

    An instance holds per-call state (``requests_made``, ``last_rate_limit``) and a
    ``requests.Session`` (on the process's kept-alive connections, see :func:`new_session`): use one
    instance per task / thread."""

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
        self.base_url = check_base_url(base_url)
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("access_token must be a non-empty string")
        self.tokens = tokens
        self.limiter = limiter
        self.max_inline_wait = max_inline_wait  # a task waits this long for its turn; a page: 0
        self.api_url = self.base_url + API_PREFIX
        self._access_token = access_token
        self.timeout = check_timeout(timeout)
        self.session = session if session is not None else new_session(self.base_url)
        self.company_id = company_id
        self.log_context = dict(log_context or {})
        self.requests_made = 0
        self.last_rate_limit = RateLimitInfo(None, None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.api_url} company={self.company_id!r}>"

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
            err = error_for(response)
            logger.warning(
                "pictime error %s %s: %s",
                method,
                path,
                err.__class__.__name__,
                extra={
                    **safe_extra(extra),
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
        body = decode_json(response)
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
        waited = 0.0
        while self.limiter is not None and (wait := self.limiter.acquire()) > 0:
            if waited + wait > self.max_inline_wait:  # in all: a task's turn is kept only this close
                raise errors.Throttled(
                    f"Pic-Time's rate limit for this account: wait {wait:.2f} s before {method} {path}",
                    wait=max(wait, waited),
                )
            sleep(wait)  # a turn this close is kept, not given up for a reschedule
            waited += wait
        send_headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": f"Bearer {self._access_token}",
        }
        if headers:
            send_headers.update(headers)
        try:
            with exchange(method, path, extra) as call:
                self.requests_made += 1
                response = self.session.request(
                    method,
                    self.api_url + path,
                    timeout=self.timeout,
                    allow_redirects=False,
                    headers=send_headers,
                    **kwargs,
                )
                call.status = response.status_code
            self.last_rate_limit = RateLimitInfo(
                int_header(response, "X-RateLimit-Limit"), int_header(response, "X-RateLimit-Remaining")
            )
            if self.limiter is not None:
                if response.status_code == 429:
                    self.limiter.block(parse_retry_after(response.headers.get("Retry-After")))
                else:
                    self.limiter.observe(
                        float_header(response, "X-RateLimit-Limit"), self.last_rate_limit.remaining
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

    # ----------------------------------------------------------------- paging and the retry policy
    def _paginate(
        self,
        fetch: Callable[[str | None], Any],
        *,
        retry: RetryPolicy = NO_RETRY,
        max_pages: int | None = None,
    ) -> Iterator[Any]:
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
                wait = retry_delay(rate_limited, base=1.0, cap=retry.max_wait, retry_after=error.retry_after)
                sleep(min(retry.max_wait, wait))
                continue
            except errors.PicTimeError as error:
                transient += 1
                if error.permanent or transient > retry.transient:
                    raise
                sleep(retry_delay(transient, base=1.0, cap=retry.max_wait))
                continue
            info = self.last_rate_limit
            empty = info.remaining is not None and info.remaining < 1 and info.limit
            if retry.retries and empty and self.limiter is None:  # (a limiter paces by itself)
                sleep(1 / info.limit)  # the bucket is empty: the next call would be refused
            return result
