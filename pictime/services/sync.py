"""The sync: Pic-Time's state copied onto our rows, by one function, ``sync_links``, for the beat
(every active link of a company), the management command, support, and the panel's Sync.

Webhooks keep links and orders current between runs; the sync repairs whatever a lost or refused
delivery missed. Galleries are fetched by id (``ids=``, 100 a call) for the links we have; orders
of a whole company by ``updated_since`` from where the last run stopped, or, for chosen links, by
gallery. Pic-Time's rate limit is respected by the client's background retry policy (a 429 waits
its Retry-After and repeats the same call, bounded; an empty bucket paces the next call).
Every run is recorded in a SyncRun row (counts, requests made, error, duration).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.client import BACKGROUND, MAX_IDS, NO_RETRY, PicTimeClient, RetryPolicy
from pictime.errors import PicTimeError
from pictime.models import Connection, GalleryLink, Order, SyncRun, touch_projects
from pictime.signals import orders_unfetched

log = logging.getLogger(__name__)

# A change of these counts as an updated gallery in the run's counts.
VISIBLE_FIELDS = {"name", "status", "published_at", "image_count", "cover_url", "expires_at", "deleted_at"}


# --------------------------------------------------------------------------- galleries
def _sync_galleries(api: PicTimeClient, links: list[GalleryLink], run: SyncRun, retry: RetryPolicy) -> None:
    by_gallery: dict[str, list[GalleryLink]] = defaultdict(list)
    for link in links:
        by_gallery[link.gallery_id].append(link)
    ids = list(by_gallery)
    for start in range(0, len(ids), MAX_IDS):
        batch = ids[start : start + MAX_IDS]
        found = {gallery.id: gallery for gallery in api.get_galleries(batch, retry=retry)}
        changed: list[GalleryLink] = []
        unchanged: list[int] = []
        # One transaction a batch: what apply_remote queues after commit sees the saved links.
        with transaction.atomic():
            for gallery_id in batch:
                gallery = found.get(gallery_id)
                for link in by_gallery[gallery_id]:
                    run.galleries_checked += 1
                    if gallery is None:
                        if not link.is_deleted:  # gone at Pic-Time: shown as deleted, not dropped
                            link.mark_deleted()
                            link.save(update_fields=["deleted_at", "status", "last_synced_at"])
                            run.galleries_updated += 1
                        continue
                    stale = link.remote_updated_at and gallery.updated_at <= link.remote_updated_at
                    if stale:  # nothing new at Pic-Time: only the time of the check moves (one UPDATE below)
                        if not link.is_deleted:
                            unchanged.append(link.pk)
                        continue
                    fields = link.apply_remote(gallery)
                    if fields is not None:
                        changed.append(link)
                        if VISIBLE_FIELDS.intersection(fields):
                            run.galleries_updated += 1
            if changed:
                GalleryLink.objects.bulk_update(changed, GalleryLink.REMOTE_FIELDS, batch_size=500)
        if unchanged:
            GalleryLink.objects.filter(pk__in=unchanged).update(
                last_synced_at=timezone.now(), last_sync_error=""
            )
        # Each panel shows when its links were last synced.
        touch_projects({link.project_id for gallery_id in batch for link in by_gallery[gallery_id]})


# --------------------------------------------------------------------------- orders
def _sync_account_orders(
    api: PicTimeClient, connection: Connection, linked: set[str], run: SyncRun, retry: RetryPolicy
) -> None:
    """The account's orders changed since the last run, stored when their gallery is linked here."""
    since = newest = connection.orders_synced_until
    passed_over: dict[str, list] = defaultdict(list)  # orders of galleries not linked (yet)
    for order in api.iter_orders(updated_since=since, retry=retry):
        if order.gallery_id in linked:
            run.orders_upserted += int(Order.objects.store_remote(connection.company_id, order)[1])
        else:
            passed_over[order.gallery_id].append(order)
        if newest is None or order.updated_at > newest:
            newest = order.updated_at
    # A gallery linked while this run read: the cursor moves past its orders, so store them now.
    linked_meanwhile = (
        GalleryLink.objects.for_company(connection.company_id)
        .active()
        .filter(account_id=connection.account_id, gallery_id__in=list(passed_over))
        .values_list("gallery_id", flat=True)
    )
    for gallery_id in set(linked_meanwhile):
        for order in passed_over[gallery_id]:
            run.orders_upserted += int(Order.objects.store_remote(connection.company_id, order)[1])
    if newest != since:
        # Pic-Time's own clock. updated_since is inclusive: the newest order is read again next
        # time, and left alone (store_remote rewrites an order only when Pic-Time changed it).
        Connection.objects.filter(pk=connection.pk).update(orders_synced_until=newest)
        connection.orders_synced_until = newest


def _sync_gallery_orders(
    api: PicTimeClient, connection: Connection, gallery_ids: set[str], run: SyncRun, retry: RetryPolicy
):
    """Every order of these galleries."""
    for gallery_id in sorted(gallery_ids):
        for order in api.iter_orders(gallery_id=gallery_id, retry=retry):
            run.orders_upserted += int(Order.objects.store_remote(connection.company_id, order)[1])


def fetch_earlier_orders(
    link: GalleryLink, *, background: bool = False, retry: RetryPolicy | None = None
) -> int:
    """A gallery just linked (chosen, created or auto-created): its orders, fetched now
    (``GET /orders?gallery_id=``), so Photo sales shows them right after linking. Returns how many
    were stored. A failure is raised (the link stays; see fetch_earlier_orders_or_later).

    Always asked, whatever the account's orders cursor says: a gallery created and sold since the
    last periodic sync would otherwise wait for the next one (up to its interval).
    """
    connection = Connection.objects.for_company(link.company_id).get(pk=link.connection_id)
    api = connection.api(background=background)
    retry = retry or (BACKGROUND if background else NO_RETRY)  # a task retrying by itself: NO_RETRY
    stored = 0
    for order in api.iter_orders(gallery_id=link.gallery_id, retry=retry):
        stored += int(Order.objects.store_remote(connection.company_id, order)[1])
    return stored


def fetch_earlier_orders_or_later(link: GalleryLink) -> None:
    """fetch_earlier_orders, for a person's click; if Pic-Time can't answer now, a worker fetches
    them (``orders_unfetched``, retried): the link is made either way."""
    try:
        fetch_earlier_orders(link)
    except PicTimeError as error:
        log.warning("pictime.sync.orders_later", extra={"link": link.pk, "error": str(error)})
        orders_unfetched.send(sender=GalleryLink, link=link)


# --------------------------------------------------------------------------- runs
def sync_links(
    connection: Connection,
    links: Iterable[GalleryLink] | None,
    trigger: str,
    *,
    project=None,
    raise_errors: bool = False,
) -> SyncRun:
    """Syncs links of the connection's company and records the run.

    ``links=None`` is the whole company (the beat, ``pictime_resync --company``, support): every
    active link, and the account's orders changed since the last run. Given links (the panel's
    Sync, ``pictime_resync --project``) are synced with every order of their galleries; links not
    active in the connected account are left alone. ``raise_errors`` re-raises Pic-Time's error
    once the run is recorded (the panel shows it to the photographer).
    """
    connection = Connection.objects.for_company(connection.company_id).get(pk=connection.pk)
    whole_company = links is None
    if whole_company:
        links = GalleryLink.objects.for_company(connection.company_id).active()
    links = sorted(
        (
            link
            for link in links
            if link.company_id == connection.company_id  # never another company's, whoever asks
            and link.is_active
            and link.account_id == connection.account_id
        ),
        key=lambda link: link.pk,
    )
    run = SyncRun.objects.create(
        company_id=connection.company_id, connection=connection, project=project, trigger=trigger
    )
    # The Sync button answers a person at once (a refusal says "try again in N s"); every other
    # run is background work that waits its turn under the account's shared rate limit.
    background = trigger != SyncRun.Trigger.MANUAL
    retry = BACKGROUND if background else NO_RETRY
    api = None
    try:
        api = connection.api(background=background)
        _sync_galleries(api, links, run, retry)
        gallery_ids = {link.gallery_id for link in links}
        if whole_company:
            _sync_account_orders(api, connection, gallery_ids, run, retry)
        else:
            _sync_gallery_orders(api, connection, gallery_ids, run, retry)
    except PicTimeError as error:
        log.warning("pictime.sync.failed", extra={"company": connection.company_id, "error": str(error)})
        if not whole_company:  # the panel shows it beside the links it asked for
            asked = GalleryLink.objects.filter(pk__in=[link.pk for link in links])
            asked.update(last_sync_error=error.user_message[:300])
            asked.touch_projects()
        _finish(run, api, f"{error.user_message} ({error})")
        if raise_errors:
            raise
        return run
    if whole_company:
        Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now())
    return _finish(run, api)


def _finish(run: SyncRun, api: PicTimeClient | None, error: str = "") -> SyncRun:
    """The one place a run ends: its outcome, counts, requests made and duration."""
    run.requests_made = api.requests_made if api else 0
    run.status = SyncRun.Status.FAILED if error else SyncRun.Status.SUCCEEDED
    run.error = error[:2000]
    run.finished_at = timezone.now()
    run.save()
    return run


def connections_to_sync() -> list[int]:
    return list(
        Connection.objects.filter(integration__status=CompanyIntegration.Status.CONNECTED)
        .order_by("id")
        .values_list("pk", flat=True)
    )
