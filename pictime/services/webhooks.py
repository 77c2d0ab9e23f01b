"""Pic-Time's webhooks: checked and stored fast in the request, applied in batches by a task.

The signature (HMAC-SHA256 over "<t>.<raw body>" with the connection's secret) and the 5-minute
window are checked, in constant time, before anything is written but the delivery log. Each event
id is stored once (a unique constraint), so a redelivery is answered 2xx and ignored. The request
does nothing else: a task per connection applies its queued events (process_queued).

The delivery log is bounded: a rejected POST is logged only for a known subscription, without its
body, and at most PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE a minute per connection; the beat prunes
deliveries older than PICTIME_WEBHOOK_LOG_DAYS and beyond PICTIME_WEBHOOK_LOG_MAX rows.
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from pictime.errors import PicTimeError
from pictime.models import Connection, GalleryLink, WebhookDelivery, WebhookEvent, touch_projects
from pictime.models import Order as OrderRow
from pictime.schemas import Gallery, Order
from pictime.schemas import WebhookEvent as RemoteEvent
from pictime.signatures import InvalidSignature, verify_signature

log = logging.getLogger(__name__)

MAX_STORED_BODY = 20_000
# A webhook token is 43 URL-safe characters (secrets.token_urlsafe(32)); anything longer is not one.
MAX_TOKEN_LENGTH = 64
# What a rejected-but-signed delivery keeps of its body, for support: enough to see what it was.
EXCERPT_LENGTH = 200


def _excerpt(raw_body: bytes) -> str:
    text = raw_body[:EXCERPT_LENGTH].decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def _may_log_rejected(connection: Connection) -> bool:
    """At most PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE rejected deliveries a minute per connection are
    logged (a flood of bad POSTs to a known URL is answered, not stored)."""
    key = f"pictime:webhook-rejected:{connection.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        count = 1
    return count <= settings.PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE


def receive(
    *, token: str, raw_body: bytes, signature_header: str | None
) -> tuple[WebhookDelivery, WebhookEvent | None]:
    """Checks and records one delivery. Returns the delivery (unsaved when it was not logged: an
    unknown endpoint, or over the rejected-delivery rate) and, for a new valid event, its row (queue
    it for processing after commit); None when rejected or a duplicate."""
    connection = None
    if token and len(token) <= MAX_TOKEN_LENGTH:
        try:
            # Only what a receipt needs: the stored OAuth tokens are not read (nor decrypted) here.
            connection = Connection.objects.only("company_id", "account_id", "webhook_secret").get(
                webhook_token=token
            )
        except Connection.DoesNotExist:
            pass

    def reject(outcome, event_id="", event_type="", body=""):
        delivery = WebhookDelivery(
            connection=connection, outcome=outcome, event_id=event_id, event_type=event_type, body=body
        )
        if connection is not None and _may_log_rejected(connection):
            delivery.save()
        return delivery

    if connection is None or not connection.webhook_secret:
        # Not one of our subscriptions: nothing is stored for it (anyone can POST here).
        connection = None
        return reject(WebhookDelivery.Outcome.UNKNOWN_CONNECTION), None
    try:
        verify_signature(raw_body, signature_header, connection.webhook_secret)
    except InvalidSignature as bad:
        stale = bad.reason == "stale"
        return reject(WebhookDelivery.Outcome.STALE if stale else WebhookDelivery.Outcome.BAD_SIGNATURE), None
    try:
        event = RemoteEvent.from_body(raw_body)
    except PicTimeError as error:
        # Signed by Pic-Time but not an event we can apply: why, and the start of the body.
        log.warning("pictime.webhook.malformed", extra={"connection": connection.pk, "error": str(error)})
        return reject(WebhookDelivery.Outcome.MALFORMED, body=f"{error}\n{_excerpt(raw_body)}"), None
    if event.account_id != connection.account_id:
        return reject(WebhookDelivery.Outcome.UNKNOWN_CONNECTION, event.id, event.type), None
    payload = json.loads(raw_body)
    body = raw_body[:MAX_STORED_BODY].decode("utf-8", errors="replace")

    def record(outcome):
        return WebhookDelivery.objects.create(
            connection=connection, outcome=outcome, event_id=event.id, event_type=event.type, body=body
        )

    try:
        # The event and its log line in one transaction (one commit per delivery).
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event.id, connection=connection, type=event.type, payload=payload
            )
            return record(WebhookDelivery.Outcome.ACCEPTED), stored
    except IntegrityError:  # the event id is stored already: a redelivery
        return record(WebhookDelivery.Outcome.DUPLICATE), None


# Everything that means an event can't be applied, now or later: bad data, or a value the database
# refuses. Such an event is failed with why (the periodic sync repairs what it would have changed).
UNPROCESSABLE = (PicTimeError, ValueError, ArithmeticError, RecursionError, DataError, IntegrityError)

# Events are applied by a task per connection that takes all its queued events, a batch per
# transaction, each link written once per batch. A delivery queues that task only when none is
# queued and not yet started (a key in the shared cache, removed by the task before it looks for
# events), so a burst of deliveries costs a few tasks, not one each.
BATCH_SIZE = 200
QUEUED_KEY_SECONDS = 30


def queued_key(connection_id: int) -> str:
    return f"pictime:webhook-processing-queued:{connection_id}"


def process_queued(connection_id: int) -> int:
    """Applies the connection's queued events, oldest first. Returns how many it took."""
    # Removed before looking: an event stored from now on queues a task of its own.
    cache.delete(queued_key(connection_id))
    taken = 0
    while True:
        batch = _process_batch(connection_id)
        taken += batch
        if batch < BATCH_SIZE:
            return taken


def _process_batch(connection_id: int) -> int:
    pks: list[int] = []
    try:
        with transaction.atomic():
            # Not SKIP LOCKED: a second task of the connection waits until the first has committed,
            # then takes only the events left queued, so a gallery's events apply in the order received.
            events = list(
                WebhookEvent.objects.select_for_update(of=("self",))
                .select_related("connection")
                .filter(connection_id=connection_id, status=WebhookEvent.Status.QUEUED)
                .order_by("pk")[:BATCH_SIZE]
            )
            pks = [stored.pk for stored in events]
            _apply_events(events)
    except UNPROCESSABLE:
        # One event the database refuses fails the whole batch: apply them one by one, so only it fails.
        for pk in pks:
            process(pk)
    return len(pks)


def process(event_pk: int) -> WebhookEvent:
    """Applies one stored event, once: a batch's fallback when the database refuses one of its events."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().select_related("connection").get(pk=event_pk)
            if stored.status == WebhookEvent.Status.QUEUED:
                _apply_events([stored])
            return stored
    except UNPROCESSABLE as error:
        log.warning("pictime.webhook.unprocessable", extra={"event": event_pk, "error": str(error)})
        WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.QUEUED).update(
            status=WebhookEvent.Status.FAILED, error=_reason(error), processed_at=timezone.now()
        )
        return WebhookEvent.objects.get(pk=event_pk)


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _apply_events(events: list[WebhookEvent]) -> None:
    """Applies one connection's events (locked by the caller) in the order they were received.

    Events may arrive out of order: a state older than the one we have is ignored (compared on
    Pic-Time's ``updated_at``), and a gallery deleted at Pic-Time stays deleted unless a strictly
    newer state arrives. The links are changed in memory, event after event, and each is written once
    at the end; then each event's outcome is recorded: processed, ignored (nothing changed) or failed
    (it can't be applied), with notes in ``error`` such as links from Pic-Time that are not safe."""
    if not events:
        return
    connection = events[0].connection
    # Each event's type and its gallery or order (None for a type we don't apply); a bad one fails alone.
    parsed: dict[int, tuple[str, Gallery | Order | None]] = {}
    outcomes: dict[int, tuple[str, str]] = {}
    for stored in events:
        try:
            event = RemoteEvent.from_dict(stored.payload)
            resource = {"gallery": event.gallery, "order": event.order}.get(event.resource)
            parsed[stored.pk] = (event.type, resource() if resource else None)
        except UNPROCESSABLE as error:
            log.warning("pictime.webhook.unprocessable", extra={"event": stored.pk, "error": str(error)})
            outcomes[stored.pk] = (WebhookEvent.Status.FAILED, _reason(error))

    gallery_ids = {thing.id for _, thing in parsed.values() if isinstance(thing, Gallery)}
    links: dict[str, list[GalleryLink]] = {}
    if gallery_ids:
        for link in (
            GalleryLink.objects.select_for_update()
            .filter(
                company_id=connection.company_id, account_id=connection.account_id, gallery_id__in=gallery_ids
            )
            .order_by("pk")  # locked in one order by every task: no deadlock between two batches
        ):
            links.setdefault(link.gallery_id, []).append(link)

    changed: dict[int, GalleryLink] = {}
    for stored in events:
        if stored.pk not in parsed:
            continue
        event_type, thing = parsed[stored.pk]
        notes = ""
        applied = False
        if isinstance(thing, Gallery):
            gallery = thing
            if gallery.refused_urls:
                notes = "Links from Pic-Time not applied: " + "; ".join(
                    f"{name}: {reason}" for name, reason in gallery.refused_urls
                )
            for link in links.get(gallery.id, ()):
                if _apply_to_link(link, event_type, gallery):
                    applied = True
                    changed[link.pk] = link
        elif isinstance(thing, Order):
            applied = _apply_order(connection, thing)
        status = WebhookEvent.Status.PROCESSED if applied else WebhookEvent.Status.IGNORED
        outcomes[stored.pk] = (status, notes[:2000])

    for link in changed.values():
        link.save()
    if changed:
        touch_projects({link.project_id for link in changed.values()})
    now = timezone.now()
    by_outcome: dict[tuple[str, str], list[int]] = {}
    for stored in events:
        stored.status, stored.error = outcomes[stored.pk]
        stored.processed_at = now
        by_outcome.setdefault(outcomes[stored.pk], []).append(stored.pk)
    for (status, error), pks in by_outcome.items():
        WebhookEvent.objects.filter(pk__in=pks).update(status=status, error=error, processed_at=now)


def _apply_to_link(link: GalleryLink, event_type: str, gallery: Gallery) -> bool:
    """Applies a gallery event to a link in memory (written by the caller). Whether it changed."""
    newer = link.remote_updated_at is None or gallery.updated_at > link.remote_updated_at
    if event_type == "gallery.deleted":
        changed = False
        if not link.is_deleted:
            link.mark_deleted()
            changed = True
        if newer:  # so that an older "updated" delivered late can't bring it back
            link.remote_updated_at = gallery.updated_at
            changed = True
        return changed
    if link.is_deleted and not newer:
        return False
    return link.apply_remote(gallery) is not None


def _apply_order(connection: Connection, order: Order) -> bool:
    """Stores an order of one of the company's linked galleries; orders of other galleries are not ours."""
    if not GalleryLink.objects.filter(
        company_id=connection.company_id, account_id=connection.account_id, gallery_id=order.gallery_id
    ).exists():
        return False
    _, applied = OrderRow.objects.store_remote(connection.company_id, order)
    return applied


# An event still queued after this long is given up on (its processing kept dying), not requeued.
GIVE_UP_AFTER = timedelta(days=1)


def requeue_stale_events(received_before=None) -> list[int]:
    """Connections with events stored before ``received_before`` (default: 5 minutes ago) but never
    processed (the broker was down when they arrived, or a task died): their ids, to queue their
    processing again. Processing is idempotent, so queueing it twice does no harm. Events queued for
    more than a day are marked failed instead, so that none is requeued for ever."""
    now = timezone.now()
    WebhookEvent.objects.filter(
        status=WebhookEvent.Status.QUEUED, received_at__lt=now - GIVE_UP_AFTER
    ).update(
        status=WebhookEvent.Status.FAILED,
        error="Not processed within a day: given up (the periodic sync repairs what it would have changed).",
        processed_at=now,
    )
    cutoff = received_before or now - timedelta(minutes=5)
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED, received_at__lt=cutoff)
        .order_by("connection_id")
        .values_list("connection_id", flat=True)
        .distinct()
    )


def prune_deliveries() -> int:
    """Beat: drops deliveries older than PICTIME_WEBHOOK_LOG_DAYS, then the oldest beyond
    PICTIME_WEBHOOK_LOG_MAX rows. Returns how many were deleted."""
    cutoff = timezone.now() - timedelta(days=settings.PICTIME_WEBHOOK_LOG_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    keep = settings.PICTIME_WEBHOOK_LOG_MAX
    first_dropped = list(
        WebhookDelivery.objects.order_by("-received_at", "-id").values_list("pk", flat=True)[keep : keep + 1]
    )
    if first_dropped:
        more, _ = WebhookDelivery.objects.filter(pk__lte=first_dropped[0]).delete()
        deleted += more
    return deleted
