"""Pic-Time's answers as pydantic models, validated strictly at the boundary.

Every field the contract names must be present and of its type (strings are strings, counts are
integers, not ``"12"`` nor ``True``); a malformed answer raises :class:`pictime.errors.BadResponse`
whose ``field`` (and message) names the offending path, e.g. ``data[3].updated_at``. Unknown fields
are ignored (the contract may grow). Timestamps must carry a zone and become aware UTC datetimes;
money is a decimal *string* and becomes ``Decimal``; lists become tuples. Links pass the URL policy
(:func:`current_url_policy`) or are left out and listed in ``refused_urls``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .errors import BadResponse
from .links import current_url_policy

SCOPES = ("account:read", "galleries:read", "galleries:write", "orders:read", "webhooks:write")
# What the CRM subscribes to (services.connection) and the events it applies.
WEBHOOK_EVENT_TYPES = (
    "gallery.created",
    "gallery.updated",
    "gallery.deleted",
    "order.created",
    "order.updated",
)

# Bounds of what we store (the CRM's columns) and of what a count or an amount can sensibly be: a
# value past them is a malformed answer, not a crash when it is saved.
MAX_ID = 100
MAX_NAME = 200
MAX_EMAIL = 254
MAX_COUNT = 2**31 - 1
MAX_MONEY_DIGITS = 10  # before the point: the CRM stores 12 digits, 2 after the point
# A webhook body deeper than this is not an event of the contract (and deep JSON costs recursion).
MAX_JSON_DEPTH = 20

_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY_RE = re.compile(r"^-?\d+(\.\d{1,4})?$")
# What Pic-Time accepts as an Idempotency-Key: 1 to 255 printable ASCII characters (no spaces).
IDEMPOTENCY_KEY_RE = re.compile(r"\A[\x21-\x7e]{1,255}\Z")


# --------------------------------------------------------------------------- field types
def parse_timestamp(value: Any, path: str = "timestamp") -> datetime:
    """An ISO 8601 timestamp that carries a zone, as an aware UTC datetime (else BadResponse)."""
    try:
        return _timestamp(value)
    except ValueError as exc:
        raise BadResponse(f"Unexpected Pic-Time response: {path} should be {exc}", field=path) from None


def _timestamp(value: Any) -> datetime:
    # Stricter than pydantic's datetime: a "T", a zone, and no Unix seconds.
    if not isinstance(value, str) or not _TS_RE.match(value):
        raise ValueError("an ISO 8601 timestamp with a zone")
    return datetime.fromisoformat(value).astimezone(UTC)


def _date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("a date YYYY-MM-DD")
    return date.fromisoformat(value)


def _money(value: Any) -> Decimal:
    # A decimal *string*: a JSON number would already have lost precision.
    if not isinstance(value, str) or not _MONEY_RE.match(value):
        raise ValueError("a decimal string such as '12.50'")
    if len(value.lstrip("-").split(".")[0]) > MAX_MONEY_DIGITS:
        raise ValueError(f"an amount of at most {MAX_MONEY_DIGITS} digits")
    return Decimal(value)


def format_timestamp(value: datetime) -> str:
    """Format an *aware* datetime as ISO 8601 UTC with ``Z`` (``2026-11-26T10:00:00.123456Z``).
    A naive datetime is a programming error: ``ValueError``."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError("timestamps sent to Pic-Time must be timezone-aware (got a naive datetime)")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL stores no NUL; the pattern runs in pydantic-core
_CURRENCY = r"^[A-Z]{3}$"
_PATTERNS = {_NO_NUL: "text without NUL characters", _CURRENCY: "an ISO 4217 code such as 'USD'"}


def _text(max_length: int | None = None, *, min_length: int = 0) -> Any:
    return StringConstraints(strict=True, min_length=min_length, max_length=max_length, pattern=_NO_NUL)


Text = Annotated[str, _text()]
Id = Annotated[str, _text(MAX_ID, min_length=1)]
Name = Annotated[str, _text(MAX_NAME)]
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_COUNT)]
Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
Date = Annotated[date, BeforeValidator(_date)]
Money = Annotated[Decimal, BeforeValidator(_money)]


class _Answer(BaseModel):
    """A Pic-Time answer: immutable, unknown fields ignored, malformed → ``BadResponse``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_dict(cls, d: Any, path: str = "", *, context: Mapping[str, Any] | None = None) -> Self:
        try:
            return cls.model_validate(d, context=context)
        except ValidationError as error:
            raise _bad_response(error, path) from None


def _bad_response(error: ValidationError, path: str) -> BadResponse:
    first = error.errors(include_url=False)[0]
    where = path
    for key in first["loc"]:
        where = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else str(key)
    value = first["input"]
    shown = "missing" if first["type"] == "missing" else f"got {type(value).__name__} {_short(value)}"
    return BadResponse(
        f"Unexpected Pic-Time response: {where or 'body'} should be {_expected(first)}, {shown}",
        field=where or None,
    )


def _expected(error: Any) -> str:
    """What pydantic's error says was expected, in the words the admin and the logs have used."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error":  # our own field checks: the reason is what was expected
        return str(ctx.get("error", error["msg"]))
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(ctx.get("pattern"), "text of another form")
    words = {
        "missing": "present",
        "string_type": "a string",
        "string_too_short": "a non-empty string",
        "string_too_long": f"at most {ctx.get('max_length')} characters",
        "int_type": "an integer",
        "greater_than_equal": f"an integer >= {ctx.get('ge')}",
        "less_than_equal": f"an integer <= {ctx.get('le')}",
        "literal_error": f"one of {ctx.get('expected')}",
        **dict.fromkeys(("model_type", "model_attributes_type", "dict_type"), "an object"),
        **dict.fromkeys(("list_type", "tuple_type"), "a list"),
    }
    return words.get(kind) or error["msg"][:1].lower() + error["msg"][1:]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- account
class NamedId(_Answer):
    """An {id, name} pair of the account: a brand and a preset are read alike."""

    id: Id
    name: Text


Brand = Preset = NamedId


class Account(_Answer):
    id: Id
    name: Text
    email: Text
    plan: Text
    brands: tuple[Brand, ...]
    presets: tuple[Preset, ...]


# --------------------------------------------------------------------------- galleries
class GalleryClient(_Answer):
    name: Name
    email: Annotated[str, _text(MAX_EMAIL)] | None = None  # optional in the contract: absent or null


_LINKS = ("cover_url", "public_url", "edit_url")


class Gallery(_Answer):
    id: Id
    name: Annotated[str, _text(MAX_NAME, min_length=1)]
    slug: Annotated[str, _text(MAX_ID)]
    status: Literal["online", "offline"]
    published_at: Timestamp | None
    image_count: Count
    cover_url: Text | None
    public_url: Annotated[str, _text(min_length=1)]  # None when refused by the URL policy
    edit_url: Annotated[str, _text(min_length=1)]  # (see refused_urls)
    event_date: Date | None
    client: GalleryClient | None
    brand_id: Annotated[str, _text(MAX_ID)] | None
    preset_id: Annotated[str, _text(MAX_ID)] | None
    external_ref: Name | None
    created_at: Timestamp
    updated_at: Timestamp
    expires_at: Timestamp | None
    # Links refused by the URL policy, with why: (("public_url", "scheme 'javascript' is not allowed …"),).
    _refused: tuple[tuple[str, str], ...] = PrivateAttr(default=())

    @property
    def refused_urls(self) -> tuple[tuple[str, str], ...]:
        return self._refused

    @property
    def is_online(self) -> bool:
        return self.status == "online"

    @model_validator(mode="after")
    def _refuse_unsafe_links(self) -> Gallery:
        policy = current_url_policy()
        refused = tuple(
            (key, problem)
            for key in _LINKS
            if (url := getattr(self, key)) is not None and (problem := policy.problem(url))
        )
        if not refused:
            return self
        # The caller keeps the link it had and records why (GalleryLink.apply_remote).
        gallery = self.model_copy(update=dict.fromkeys(key for key, _ in refused))
        gallery._refused = refused
        return gallery


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
        if len(self.name) > MAX_NAME:
            raise ValueError(f"GalleryCreate.name must be at most {MAX_NAME} characters")
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
class OrderItem(_Answer):
    sku: Annotated[str, _text(MAX_ID)]
    name: Name
    quantity: Annotated[int, Field(strict=True, ge=1, le=MAX_COUNT)]
    unit_price: Money


class Customer(_Answer):
    name: Name
    email: Annotated[str, _text(MAX_EMAIL)]


class Order(_Answer):
    id: Id
    number: Annotated[str, _text(50)]
    gallery_id: Id
    status: Literal["paid", "refunded", "cancelled"]
    currency: Annotated[str, StringConstraints(strict=True, pattern=_CURRENCY)]
    subtotal: Money
    total: Money
    items: tuple[OrderItem, ...]
    customer: Customer
    placed_at: Timestamp
    updated_at: Timestamp


# --------------------------------------------------------------------------- pages
T = TypeVar("T")


class Page(_Answer, Generic[T]):
    """One page of a list: ``Page[Gallery].from_dict(body)``."""

    data: list[T]
    next_cursor: Annotated[str, _text(min_length=1)] | None


# --------------------------------------------------------------------------- webhooks
class WebhookSubscription(_Answer):
    id: Id
    url: Text
    events: tuple[Text, ...]
    # Shown by Pic-Time only in the answer to the create call; never in repr (it would end in logs).
    secret: Text | None = Field(default=None, repr=False)

    @classmethod
    def list_from_dict(cls, d: Any) -> list[WebhookSubscription]:
        """``{"data": [...]}``: the contract does not page this list (a ``next_cursor`` is tolerated)."""
        return list(_Subscriptions.from_dict(d).data)


class _Subscriptions(_Answer):
    data: tuple[WebhookSubscription, ...]


class WebhookEvent(_Answer):
    """A delivery's JSON body. ``data`` is kept raw: use :meth:`gallery` / :meth:`order`."""

    id: Id
    # Unknown types are accepted (so the sender is not made to retry forever); callers skip them.
    type: Annotated[str, _text(50, min_length=1)]
    created_at: Timestamp
    account_id: Id
    data: dict[str, Any]

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
    # pydantic's JSON parser has no depth bound of its own that we can set, nor a NUL check on keys.
    if depth > MAX_JSON_DEPTH:
        raise BadResponse(f"Webhook body is nested deeper than {MAX_JSON_DEPTH} levels", field=path)
    if isinstance(value, str):
        if "\x00" in value:
            raise BadResponse("Webhook body holds a NUL character", field=path)
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                raise BadResponse("Webhook body holds a NUL character", field=path)
            _check_json(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]", depth + 1)


# --------------------------------------------------------------------------- OAuth
class TokenSet(_Answer):
    """An answer of the token endpoint, with ``expires_at`` from ``expires_in`` and the time it was
    received (the validation context's ``now``). Tokens are left out of ``repr``: never in a log."""

    access_token: Annotated[str, _text(min_length=1)] = Field(repr=False)
    refresh_token: Annotated[str, _text(min_length=1)] = Field(repr=False)
    expires_in: Count
    scope: Text = ""
    token_type: Literal["Bearer"]
    expires_at: datetime

    @field_validator("token_type", mode="before")
    @classmethod
    def _bearer(cls, value: Any) -> Any:
        return "Bearer" if isinstance(value, str) and value.lower() == "bearer" else value

    @field_validator("scope", mode="before")
    @classmethod
    def _no_scope(cls, value: Any) -> Any:
        return "" if value is None else value

    @model_validator(mode="before")
    @classmethod
    def _expiry(cls, d: Any, info: ValidationInfo) -> Any:
        if not isinstance(d, Mapping):
            return d
        now = (info.context or {}).get("now") or datetime.now(UTC)
        expires_in = d.get("expires_in")
        seconds = expires_in if isinstance(expires_in, int) and 0 <= expires_in <= MAX_COUNT else 0
        # Whatever the answer says of expires_at (Authlib adds one) is replaced by ours.
        return {**d, "expires_at": now.astimezone(UTC) + timedelta(seconds=seconds)}

    @classmethod
    def from_dict(cls, d: Any, path: str = "", *, now: datetime | None = None) -> TokenSet:  # type: ignore[override]
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return super().from_dict(d, path, context={"now": now})
