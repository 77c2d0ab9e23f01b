"""Pic-Time's resources over the transport: the account, galleries, orders and webhooks.

Arguments are checked before anything is sent (a bad one is a ``ValueError``/``TypeError``, a
programming error); answers are parsed by :mod:`pictime.schemas` into typed values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from pictime.schemas import (
    Account,
    Gallery,
    GalleryCreate,
    Order,
    Page,
    WebhookSubscription,
    format_timestamp,
)

from .transport import NO_RETRY, ApiClient, RetryPolicy

MAX_LIMIT = 100
MAX_IDS = 100

T = TypeVar("T")


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


class PicTimeClient(ApiClient):
    """Pic-Time's REST API for one connected account.

    >>> client = PicTimeClient("http://localhost:8765", token, company_id=42)
    >>> for gallery in client.iter_galleries(updated_since=last_sync): ...
    """

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
        """One page of galleries ordered by (updated_at, id)."""
        ids_param = None if ids is None else _ids_param(ids)
        filters = {"q": q, "status": status, "updated_since": updated_since, "ids": ids_param}
        return self._page("/galleries", Gallery, limit, cursor, filters)

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
        filters = {"gallery_id": gallery_id, "updated_since": updated_since}
        return self._page("/orders", Order, limit, cursor, filters)

    def _page(
        self, path: str, item: type[T], limit: int, cursor: str | None, filters: dict[str, Any]
    ) -> Page[T]:
        """One page of a list. With ``cursor``, Pic-Time ignores the filters (the cursor carries
        them), so they are not sent; ``None`` filters are not sent either."""
        params: dict[str, Any] = {"limit": _check_limit(limit)}
        if filters.get("updated_since") is not None:
            filters["updated_since"] = format_timestamp(filters["updated_since"])
        params.update({"cursor": cursor} if cursor is not None else filters)
        return self._parse(Page[item].from_dict, self._request("GET", path, params=params))

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
        return self._parse(WebhookSubscription.list_from_dict, self._request("GET", "/webhooks"))

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/webhooks/{_quote_id(webhook_id, 'webhook_id')}")
