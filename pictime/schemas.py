"""Pic-Time's resources as frozen dataclasses, parsed strictly at the boundary.

Each ``from_dict`` checks presence and type of every field the contract names and raises
:class:`pictime.errors.BadResponse` whose ``field`` (and message) names the offending path, e.g.
``data[3].updated_at``. Unknown fields are ignored (the contract may grow). Timestamps must carry a
zone and are returned as aware UTC datetimes; money is ``Decimal``; lists become tuples.

Plain Python: no Django import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from .errors import BadResponse

__all__ = [
    "GALLERY_STATUSES",
    "IDEMPOTENCY_KEY_RE",
    "ORDER_STATUSES",
    "SCOPES",
    "WEBHOOK_EVENT_TYPES",
    "Account",
    "Brand",
    "Customer",
    "Gallery",
    "GalleryClient",
    "GalleryCreate",
    "NamedId",
    "Order",
    "OrderItem",
    "Page",
    "Preset",
    "TokenSet",
    "UrlPolicy",
    "WebhookEvent",
    "WebhookSubscription",
    "format_timestamp",
    "parse_timestamp",
    "set_url_policy",
]

SCOPES = ("account:read", "galleries:read", "galleries:write", "orders:read", "webhooks:write")
GALLERY_STATUSES = ("online", "offline")
ORDER_STATUSES = ("paid", "refunded", "cancelled")
WEBHOOK_EVENT_TYPES = (
    "gallery.created",
    "gallery.updated",
    "gallery.deleted",
    "order.created",
    "order.updated",
)

T = TypeVar("T")

# Bounds of what we store (the CRM's columns) and of what a count or an amount can sensibly be: a
# value past them is a malformed answer, not a crash when it is saved.
MAX_ID = 100
MAX_NAME = 200
MAX_EMAIL = 254
MAX_URL = 500
MAX_COUNT = 2**31 - 1
MAX_MONEY_DIGITS = 10  # before the point: the CRM stores 12 digits, 2 after the point
# A webhook body deeper than this is not an event of the contract (and deep JSON costs recursion).
MAX_JSON_DEPTH = 20

_MISSING = object()
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# ISO 8601 date-time with a mandatory zone (Z or ±hh:mm), optional fraction.
_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_MONEY_RE = re.compile(r"^-?\d+(\.\d{1,4})?$")
# What Pic-Time accepts as an Idempotency-Key: 1 to 255 printable ASCII characters (no spaces).
IDEMPOTENCY_KEY_RE = re.compile(r"\A[\x21-\x7e]{1,255}\Z")


# --------------------------------------------------------------------------- field helpers
def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _fail(path: str, expected: str, value: Any) -> BadResponse:
    shown = "missing" if value is _MISSING else f"got {type(value).__name__} {_short(value)}"
    return BadResponse(
        f"Unexpected Pic-Time response: {path or 'body'} should be {expected}, {shown}", field=path or None
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, "an object", value)
    return value


def _get(d: Mapping[str, Any], key: str, path: str, *, nullable: bool) -> Any:
    value = d.get(key, _MISSING)
    if value is _MISSING:
        raise _fail(_at(path, key), "present", _MISSING)
    if value is None and not nullable:
        raise _fail(_at(path, key), "non-null", value)
    return value


def _str(
    d: Mapping[str, Any],
    key: str,
    path: str = "",
    *,
    nullable: bool = False,
    choices: tuple[str, ...] | None = None,
    nonempty: bool = False,
    max_length: int | None = None,
) -> Any:
    value = _get(d, key, path, nullable=nullable)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(_at(path, key), "a string", value)
    if nonempty and not value:
        raise _fail(_at(path, key), "a non-empty string", value)
    if max_length is not None and len(value) > max_length:
        raise _fail(_at(path, key), f"at most {max_length} characters", value)
    if "\x00" in value:
        raise _fail(_at(path, key), "text without NUL characters", value)
    if choices is not None and value not in choices:
        raise _fail(_at(path, key), "one of " + "|".join(choices), value)
    return value


def _int(
    d: Mapping[str, Any],
    key: str,
    path: str = "",
    *,
    nullable: bool = False,
    minimum: int | None = None,
    maximum: int = MAX_COUNT,
) -> Any:
    value = _get(d, key, path, nullable=nullable)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(_at(path, key), "an integer", value)
    if minimum is not None and value < minimum:
        raise _fail(_at(path, key), f"an integer >= {minimum}", value)
    if value > maximum:
        raise _fail(_at(path, key), f"an integer <= {maximum}", value)
    return value


def parse_timestamp(value: Any, path: str = "timestamp") -> datetime:
    """Parse an ISO 8601 timestamp that carries a zone; return it as an aware UTC datetime."""
    if not isinstance(value, str) or not _TS_RE.match(value):
        raise _fail(path, "an ISO 8601 timestamp with a zone", value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(path, "an ISO 8601 timestamp with a zone", value) from None
    if parsed.tzinfo is None:  # pragma: no cover - the regex already demands a zone
        raise _fail(path, "an ISO 8601 timestamp with a zone", value)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    """Format an *aware* datetime as ISO 8601 UTC with ``Z`` (``2026-11-26T10:00:00.123456Z``).
    A naive datetime is a programming error: ``ValueError``."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamps sent to Pic-Time must be timezone-aware (got a naive datetime)")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _ts(d: Mapping[str, Any], key: str, path: str = "", *, nullable: bool = False) -> Any:
    value = _get(d, key, path, nullable=nullable)
    if value is None:
        return None
    return parse_timestamp(value, _at(path, key))


def _date(d: Mapping[str, Any], key: str, path: str = "", *, nullable: bool = False) -> Any:
    value = _get(d, key, path, nullable=nullable)
    if value is None:
        return None
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise _fail(_at(path, key), "a date YYYY-MM-DD", value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(_at(path, key), "a date YYYY-MM-DD", value) from None


def _money(d: Mapping[str, Any], key: str, path: str = "") -> Decimal:
    value = _get(d, key, path, nullable=False)
    # Money is a decimal *string*; a JSON number would already have lost precision.
    if not isinstance(value, str) or not _MONEY_RE.match(value):
        raise _fail(_at(path, key), "a decimal string such as '12.50'", value)
    if len(value.lstrip("-").split(".")[0]) > MAX_MONEY_DIGITS:
        raise _fail(_at(path, key), f"an amount of at most {MAX_MONEY_DIGITS} digits", value)
    try:
        return Decimal(value)
    except InvalidOperation:  # pragma: no cover - the regex already guards this
        raise _fail(_at(path, key), "a decimal string such as '12.50'", value) from None


def _list(d: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    value = _get(d, key, path, nullable=False)
    if not isinstance(value, list):
        raise _fail(_at(path, key), "a list", value)
    return value


def _str_list(d: Mapping[str, Any], key: str, path: str = "") -> tuple[str, ...]:
    items = _list(d, key, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise _fail(_at(_at(path, key), i), "a string", item)
    return tuple(items)


def _objs(d: Mapping[str, Any], key: str, path: str, parse: Callable[[Any, str], T]) -> tuple[T, ...]:
    items = _list(d, key, path)
    base = _at(path, key)
    return tuple(parse(item, _at(base, i)) for i, item in enumerate(items))


# --------------------------------------------------------------------------- links
@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """Which links from Pic-Time may become an ``href`` or ``src``: absolute, of an allowed scheme
    (``https``; ``http`` only where Pic-Time itself is reached over http, i.e. the sandbox) and, when
    ``hosts`` are given, on one of them or a subdomain. Set by the app from its settings."""

    schemes: tuple[str, ...] = ("https",)
    hosts: tuple[str, ...] = ()

    def problem(self, url: str) -> str | None:
        """Why the URL is refused, or None when it is fine."""
        if len(url) > MAX_URL:
            return f"longer than {MAX_URL} characters"
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
            return "contains spaces or control characters"
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return "not a valid URL"
        if parts.scheme.lower() not in self.schemes:
            return f"scheme {parts.scheme or '(none)'!r} is not allowed (only {', '.join(self.schemes)})"
        if not host or parts.username is not None or parts.password is not None:
            return "not an absolute URL with a host"
        if self.hosts and not any(host == h or host.endswith("." + h) for h in self.hosts):
            return f"host {host!r} is not Pic-Time's"
        return None


url_policy = UrlPolicy()


def set_url_policy(policy: UrlPolicy) -> None:
    global url_policy
    url_policy = policy


def _urls(
    d: Mapping[str, Any], path: str, keys: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """The link fields that pass :data:`url_policy`; a refused one is None, listed with its reason
    (the caller keeps the value it had and records why)."""
    values: dict[str, Any] = {}
    refused: list[tuple[str, str]] = []
    for key in keys:
        value = _str(d, key, path, nullable=key == "cover_url", nonempty=key != "cover_url")
        problem = url_policy.problem(value) if value is not None else None
        if problem:
            refused.append((key, problem))
            value = None
        values[key] = value
    return values, tuple(refused)


# --------------------------------------------------------------------------- account
@dataclass(frozen=True, slots=True)
class NamedId:
    """An {id, name} pair of the account: a brand and a preset are read alike."""

    id: str
    name: str

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> NamedId:
        d = _obj(d, path)
        return cls(id=_str(d, "id", path, nonempty=True, max_length=MAX_ID), name=_str(d, "name", path))


Brand = Preset = NamedId


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    email: str
    plan: str
    brands: tuple[Brand, ...]
    presets: tuple[Preset, ...]

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Account:
        d = _obj(d, path)
        return cls(
            id=_str(d, "id", path, nonempty=True, max_length=MAX_ID),
            name=_str(d, "name", path),
            email=_str(d, "email", path),
            plan=_str(d, "plan", path),
            brands=_objs(d, "brands", path, Brand.from_dict),
            presets=_objs(d, "presets", path, Preset.from_dict),
        )


# --------------------------------------------------------------------------- galleries
@dataclass(frozen=True, slots=True)
class GalleryClient:
    name: str
    email: str | None

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> GalleryClient:
        d = _obj(d, path)
        # The contract makes client.email optional: accept it absent or null.
        email = d.get("email")
        if email is not None and (not isinstance(email, str) or len(email) > MAX_EMAIL or "\x00" in email):
            raise _fail(_at(path, "email"), f"a string of at most {MAX_EMAIL} characters or null", email)
        return cls(name=_str(d, "name", path, max_length=MAX_NAME), email=email)


@dataclass(frozen=True, slots=True)
class Gallery:
    id: str
    name: str
    slug: str
    status: str
    published_at: datetime | None
    image_count: int
    cover_url: str | None
    public_url: str | None  # None when refused by url_policy (see refused_urls)
    edit_url: str | None
    event_date: date | None
    client: GalleryClient | None
    brand_id: str | None
    preset_id: str | None
    external_ref: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    # Links refused by url_policy, with why: (("public_url", "scheme 'javascript' is not allowed …"),).
    refused_urls: tuple[tuple[str, str], ...] = ()

    @property
    def is_online(self) -> bool:
        return self.status == "online"

    @property
    def is_published(self) -> bool:
        """True once the gallery was first published (``public_url`` shows something useful)."""
        return self.published_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self.expires_at is not None and self.expires_at <= now

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Gallery:
        d = _obj(d, path)
        client = _get(d, "client", path, nullable=True)
        urls, refused = _urls(d, path, ("cover_url", "public_url", "edit_url"))
        return cls(
            id=_str(d, "id", path, nonempty=True, max_length=MAX_ID),
            name=_str(d, "name", path, max_length=MAX_NAME),
            slug=_str(d, "slug", path, max_length=MAX_ID),
            status=_str(d, "status", path, choices=GALLERY_STATUSES),
            published_at=_ts(d, "published_at", path, nullable=True),
            image_count=_int(d, "image_count", path, minimum=0),
            event_date=_date(d, "event_date", path, nullable=True),
            client=None if client is None else GalleryClient.from_dict(client, _at(path, "client")),
            brand_id=_str(d, "brand_id", path, nullable=True, max_length=MAX_ID),
            preset_id=_str(d, "preset_id", path, nullable=True, max_length=MAX_ID),
            external_ref=_str(d, "external_ref", path, nullable=True, max_length=MAX_NAME),
            created_at=_ts(d, "created_at", path),
            updated_at=_ts(d, "updated_at", path),
            expires_at=_ts(d, "expires_at", path, nullable=True),
            refused_urls=refused,
            **urls,
        )


@dataclass(frozen=True, slots=True)
class GalleryCreate:
    """The body of ``POST /galleries``. Only ``name`` is required; ``None`` fields are not sent."""

    name: str
    event_date: date | None = None
    client_name: str | None = None
    client_email: str | None = None
    brand_id: str | None = None
    preset_id: str | None = None
    slug: str | None = None
    external_ref: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("GalleryCreate.name must be a non-empty string")
        if len(self.name) > 200:
            raise ValueError("GalleryCreate.name must be at most 200 characters")
        if self.event_date is not None and (
            isinstance(self.event_date, datetime) or not isinstance(self.event_date, date)
        ):
            raise ValueError("GalleryCreate.event_date must be a date (not a datetime)")
        if self.client_email is not None and not self.client_name:
            raise ValueError("GalleryCreate.client_email needs client_name (Pic-Time requires client.name)")

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name}
        if self.event_date is not None:
            body["event_date"] = self.event_date.isoformat()
        if self.client_name is not None:
            client = {"name": self.client_name}
            if self.client_email is not None:
                client["email"] = self.client_email
            body["client"] = client
        for key in ("brand_id", "preset_id", "slug", "external_ref"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


# --------------------------------------------------------------------------- orders
@dataclass(frozen=True, slots=True)
class OrderItem:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> OrderItem:
        d = _obj(d, path)
        return cls(
            sku=_str(d, "sku", path, max_length=MAX_ID),
            name=_str(d, "name", path, max_length=MAX_NAME),
            quantity=_int(d, "quantity", path, minimum=0),
            unit_price=_money(d, "unit_price", path),
        )


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    email: str

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Customer:
        d = _obj(d, path)
        return cls(
            name=_str(d, "name", path, max_length=MAX_NAME),
            email=_str(d, "email", path, max_length=MAX_EMAIL),
        )


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: str
    gallery_id: str
    status: str
    currency: str
    subtotal: Decimal
    total: Decimal
    items: tuple[OrderItem, ...]
    customer: Customer
    placed_at: datetime
    updated_at: datetime

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> Order:
        d = _obj(d, path)
        currency = _str(d, "currency", path)
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise _fail(_at(path, "currency"), "an ISO 4217 code such as 'USD'", currency)
        return cls(
            id=_str(d, "id", path, nonempty=True, max_length=MAX_ID),
            number=_str(d, "number", path, max_length=50),
            gallery_id=_str(d, "gallery_id", path, nonempty=True, max_length=MAX_ID),
            status=_str(d, "status", path, choices=ORDER_STATUSES),
            currency=currency,
            subtotal=_money(d, "subtotal", path),
            total=_money(d, "total", path),
            items=_objs(d, "items", path, OrderItem.from_dict),
            customer=Customer.from_dict(_get(d, "customer", path, nullable=False), _at(path, "customer")),
            placed_at=_ts(d, "placed_at", path),
            updated_at=_ts(d, "updated_at", path),
        )


# --------------------------------------------------------------------------- pages
@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    data: list[T]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None

    @classmethod
    def from_dict(cls, d: Any, parse_item: Callable[[Any, str], T]) -> Page[T]:
        d = _obj(d, "")
        items = _list(d, "data", "")
        cursor = _str(d, "next_cursor", "", nullable=True)
        if cursor == "":
            raise _fail("next_cursor", "a non-empty string or null", cursor)
        return cls(data=[parse_item(item, f"data[{i}]") for i, item in enumerate(items)], next_cursor=cursor)


# --------------------------------------------------------------------------- webhooks
@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    url: str
    events: tuple[str, ...]
    # Shown by Pic-Time only in the answer to the create call; never in repr (it would end in logs).
    secret: str | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> WebhookSubscription:
        d = _obj(d, path)
        secret = d.get("secret")
        if secret is not None and not isinstance(secret, str):
            raise _fail(_at(path, "secret"), "a string or null", secret)
        return cls(
            id=_str(d, "id", path, nonempty=True),
            url=_str(d, "url", path),
            events=_str_list(d, "events", path),
            secret=secret,
        )


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A delivery's JSON body. ``data`` is kept raw: use :meth:`gallery` / :meth:`order`."""

    id: str
    type: str
    created_at: datetime
    account_id: str
    data: Mapping[str, Any]

    @property
    def resource(self) -> str:
        """``"gallery"`` or ``"order"`` (the part of ``type`` before the dot)."""
        return self.type.split(".", 1)[0]

    def gallery(self) -> Gallery:
        if self.resource != "gallery":
            raise ValueError(f"event {self.type!r} does not carry a gallery")
        return Gallery.from_dict(self.data, "data")

    def order(self) -> Order:
        if self.resource != "order":
            raise ValueError(f"event {self.type!r} does not carry an order")
        return Order.from_dict(self.data, "data")

    @classmethod
    def from_dict(cls, d: Any, path: str = "") -> WebhookEvent:
        d = _obj(d, path)
        data = _get(d, "data", path, nullable=False)
        _obj(data, _at(path, "data"))
        return cls(
            id=_str(d, "id", path, nonempty=True, max_length=MAX_ID),
            # Unknown types are accepted (so the sender is not made to retry forever); callers skip them.
            type=_str(d, "type", path, nonempty=True, max_length=50),
            created_at=_ts(d, "created_at", path),
            account_id=_str(d, "account_id", path, nonempty=True, max_length=MAX_ID),
            data=dict(data),
        )

    @classmethod
    def from_body(cls, raw_body: bytes | str) -> WebhookEvent:
        """Parse a delivery's raw body (verify its signature first): JSON of bounded depth without
        NUL characters (PostgreSQL stores neither), an event of the contract, and its gallery or
        order valid, so that what is stored can be applied. ``data`` is then safe to store."""
        try:
            payload = json.loads(raw_body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack (ValueError: huge numbers too).
            raise BadResponse("Webhook body is not valid JSON", field="body") from None
        _check_json(payload, "body", 0)
        event = cls.from_dict(payload)
        if event.resource == "gallery":
            event.gallery()
        elif event.resource == "order":
            event.order()
        return event


def _check_json(value: Any, path: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadResponse(f"Webhook body is nested deeper than {MAX_JSON_DEPTH} levels", field=path)
    if isinstance(value, str):
        if "\x00" in value:
            raise BadResponse("Webhook body holds a NUL character", field=path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise BadResponse("Webhook body holds a NUL character", field=path)
            _check_json(item, _at(path, key), depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, _at(path, i), depth + 1)


# --------------------------------------------------------------------------- OAuth
@dataclass(frozen=True, slots=True)
class TokenSet:
    """An answer of the token endpoint. Tokens are left out of ``repr`` so they never reach a log."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    scope: str
    token_type: str
    expires_at: datetime

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def expires_within(self, seconds: float, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return self.expires_at - now <= timedelta(seconds=seconds)

    @classmethod
    def from_dict(cls, d: Any, *, now: datetime | None = None, path: str = "") -> TokenSet:
        d = _obj(d, path)
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        token_type = _str(d, "token_type", path)
        if token_type.lower() != "bearer":
            raise _fail(_at(path, "token_type"), "'Bearer'", token_type)
        expires_in = _int(d, "expires_in", path, minimum=0)
        scope = d.get("scope", "")
        if scope is None:
            scope = ""
        if not isinstance(scope, str):
            raise _fail(_at(path, "scope"), "a space-separated string", scope)
        return cls(
            access_token=_str(d, "access_token", path, nonempty=True),
            refresh_token=_str(d, "refresh_token", path, nonempty=True),
            expires_in=expires_in,
            scope=scope,
            token_type="Bearer",
            expires_at=now.astimezone(UTC) + timedelta(seconds=expires_in),
        )
