"""The periodic sync (Celery beat) and the one-project sync: Pic-Time's state copied onto our rows.

Webhooks keep links and orders current between runs; the sync repairs whatever a lost or refused
delivery missed. Galleries are fetched by id (``ids=``, 100 a call) for the links we have, orders by
``updated_since`` from where the last run stopped. Pic-Time's rate limit is respected: a 429 waits
its Retry-After and repeats the same call (bounded), and an empty bucket paces the next call.
Every run is recorded in a SyncRun row (counts, requests made, error, duration).
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from pictime.client import MAX_IDS, PicTimeClient
from pictime.errors import NeedsReconnection, PicTimeError, RateLimited
from pictime.models import Connection, GalleryLink, SyncRun
from pictime.services.common import apply_gallery, client_for, mark_deleted, upsert_order

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_RATE_LIMIT_WAITS = 6  # per call: a call refused more often than this fails the run
MAX_TRANSIENT_RETRIES = 3
MAX_WAIT_SECONDS = 60

LINK_FIELDS = [
    "name",
    "slug",
    "status",
    "published_at",
    "image_count",
    "cover_url",
    "public_url",
    "edit_url",
    "event_date",
    "expires_at",
    "client_name",
    "client_email",
    "remote_updated_at",
    "deleted_at",
    "last_synced_at",
    "last_sync_error",
]
VISIBLE_FIELDS = ["name", "status", "published_at", "image_count", "cover_url", "expires_at", "deleted_at"]

sleep = time.sleep  # one place to wait, so a test can count the waits


class SyncFailed(Exception):
    pass


# --------------------------------------------------------------------------- calls, politely
def call(client: PicTimeClient, fn: Callable[[], T]) -> T:
    """One Pic-Time call, repeated after a 429 (waiting Retry-After) or a transient failure (short
    backoff with jitter), a bounded number of times; paces the next call when the bucket is empty."""
    rate_limited = transient = 0
    while True:
        try:
            result = fn()
        except RateLimited as error:
            rate_limited += 1
            if rate_limited > MAX_RATE_LIMIT_WAITS:
                raise
            sleep(min(MAX_WAIT_SECONDS, error.retry_after) + random.uniform(0, 0.1))
            continue
        except PicTimeError as error:
            if error.permanent or isinstance(error, NeedsReconnection):
                raise
            transient += 1
            if transient > MAX_TRANSIENT_RETRIES:
                raise
            sleep(min(MAX_WAIT_SECONDS, 0.5 * 2**transient) * random.uniform(0.5, 1.0))
            continue
        info = client.last_rate_limit
        if info.remaining is not None and info.remaining < 1 and info.limit:
            sleep(1 / info.limit)  # the bucket is empty: the next call would be refused
        return result


# --------------------------------------------------------------------------- galleries
def _sync_links(client: PicTimeClient, links: list[GalleryLink], run: SyncRun) -> None:
    by_gallery: dict[str, list[GalleryLink]] = defaultdict(list)
    for link in links:
        by_gallery[link.gallery_id].append(link)
    ids = list(by_gallery)
    for start in range(0, len(ids), MAX_IDS):
        batch = ids[start : start + MAX_IDS]
        page = call(client, lambda batch=batch: client.list_galleries(ids=batch, limit=MAX_IDS))
        found = {gallery.id: gallery for gallery in page.data}
        changed: list[GalleryLink] = []
        unchanged: list[int] = []
        # One transaction a batch: what apply_gallery queues after commit sees the saved links.
        with transaction.atomic():
            for gallery_id in batch:
                gallery = found.get(gallery_id)
                for link in by_gallery[gallery_id]:
                    run.galleries_checked += 1
                    before = [getattr(link, f) for f in VISIBLE_FIELDS]
                    if gallery is None:
                        if not link.is_deleted:  # gone at Pic-Time: shown as deleted, not dropped
                            mark_deleted(link)
                            run.galleries_updated += 1
                        continue
                    stale = link.remote_updated_at and gallery.updated_at <= link.remote_updated_at
                    if stale:  # nothing new at Pic-Time: only the time of the check moves (one UPDATE below)
                        if not link.is_deleted:
                            unchanged.append(link.pk)
                        continue
                    if apply_gallery(link, gallery, save=False):
                        changed.append(link)
                        if [getattr(link, f) for f in VISIBLE_FIELDS] != before:
                            run.galleries_updated += 1
            if changed:
                GalleryLink.objects.bulk_update(changed, LINK_FIELDS, batch_size=500)
        if unchanged:
            GalleryLink.objects.filter(pk__in=unchanged).update(
                last_synced_at=timezone.now(), last_sync_error=""
            )


# --------------------------------------------------------------------------- orders
def _sync_orders(client: PicTimeClient, connection: Connection, linked_ids: set[str], run: SyncRun) -> None:
    """Orders changed since the last run, of galleries linked in this company."""
    since = connection.orders_synced_until
    newest = since
    cursor = None
    while True:
        if cursor is None:
            page = call(client, lambda: client.list_orders(updated_since=since, limit=MAX_IDS))
        else:
            page = call(client, lambda cursor=cursor: client.list_orders(cursor=cursor, limit=MAX_IDS))
        for order in page.data:
            if order.gallery_id in linked_ids:
                _, applied = upsert_order(connection.company_id, order)
                run.orders_upserted += int(applied)
            if newest is None or order.updated_at > newest:
                newest = order.updated_at
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    if newest != since:
        # Pic-Time's own clock (updated_since is inclusive: the newest order is read again, harmlessly).
        Connection.objects.filter(pk=connection.pk).update(orders_synced_until=newest)
        connection.orders_synced_until = newest


def _project_orders(client: PicTimeClient, connection: Connection, gallery_ids: list[str], run: SyncRun):
    for gallery_id in gallery_ids:
        cursor = None
        while True:
            if cursor is None:
                page = call(client, lambda gid=gallery_id: client.list_orders(gallery_id=gid, limit=MAX_IDS))
            else:
                page = call(client, lambda cursor=cursor: client.list_orders(cursor=cursor, limit=MAX_IDS))
            for order in page.data:
                _, applied = upsert_order(connection.company_id, order)
                run.orders_upserted += int(applied)
            if not page.next_cursor:
                break
            cursor = page.next_cursor


# --------------------------------------------------------------------------- runs
def _start(connection: Connection, trigger: str, project=None) -> SyncRun:
    return SyncRun.objects.create(
        company_id=connection.company_id, connection=connection, project=project, trigger=trigger
    )


def _finish(run: SyncRun, client: PicTimeClient | None, error: str = "") -> SyncRun:
    run.requests_made = client.requests_made if client else 0
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.SUCCEEDED
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save()
    return run


def sync_connection(connection: Connection, trigger: str = SyncRun.Trigger.SCHEDULE) -> SyncRun:
    """Syncs every active link and the new orders of one connected company."""
    connection = Connection.objects.select_related("integration").get(pk=connection.pk)
    run = _start(connection, trigger)
    if not connection.is_connected:
        return _finish(run, None, f"Pic-Time is {connection.integration.get_status_display().lower()}.")
    client = None
    try:
        client = client_for(connection)
        links = list(
            GalleryLink.objects.filter(
                company_id=connection.company_id, account_id=connection.account_id, is_active=True
            ).order_by("id")
        )
        _sync_links(client, links, run)
        _sync_orders(client, connection, {link.gallery_id for link in links}, run)
    except PicTimeError as error:
        log.warning("pictime.sync.failed", extra={"company": connection.company_id, "error": str(error)})
        return _finish(run, client, f"{error.user_message} ({error})")
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now())
    return _finish(run, client)


def sync_project(project, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun | None:
    """Syncs one project's galleries and their orders now (the panel's Sync)."""
    connection = (
        Connection.objects.select_related("integration").filter(company_id=project.company_id).first()
    )
    if connection is None:
        return None
    run = _start(connection, trigger, project=project)
    if not connection.is_connected:
        return _finish(run, None, f"Pic-Time is {connection.integration.get_status_display().lower()}.")
    links = list(
        GalleryLink.objects.filter(
            company_id=project.company_id,
            project=project,
            account_id=connection.account_id,
            is_active=True,
        )
    )
    client = None
    try:
        client = client_for(connection)
        _sync_links(client, links, run)
        _project_orders(client, connection, sorted({link.gallery_id for link in links}), run)
    except PicTimeError as error:
        message = f"{error.user_message} ({error})"
        GalleryLink.objects.filter(pk__in=[link.pk for link in links]).update(
            last_sync_error=error.user_message[:300]
        )
        return _finish(run, client, message)
    return _finish(run, client)


def connections_to_sync() -> list[int]:
    return list(
        Connection.objects.filter(integration__status="connected").order_by("id").values_list("pk", flat=True)
    )


def enqueue_all() -> list[int]:
    """The beat: one sync task per connected company (queued after commit)."""
    from pictime.tasks import sync_connection_task

    ids = connections_to_sync()
    for connection_id in ids:
        transaction.on_commit(
            lambda connection_id=connection_id: sync_connection_task.delay(
                connection_id, SyncRun.Trigger.SCHEDULE
            )
        )
    return ids
