"""Pic-Time's webhooks: checked and stored fast in the request, processed once in a task.

The signature (HMAC-SHA256 over "<t>.<raw body>" with the connection's secret) and the 5-minute
window are checked, in constant time, before anything is written but the delivery log. Each event
id is stored once (a unique constraint), so a redelivery is answered 2xx and ignored.

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
from pictime.models import Connection, GalleryLink, WebhookDelivery, WebhookEvent
from pictime.schemas import WebhookEvent as RemoteEvent
from pictime.services.common import apply_gallery, mark_deleted, upsert_order
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
    connection = (
        Connection.objects.select_related("integration").filter(webhook_token=token).first()
        if token and len(token) <= MAX_TOKEN_LENGTH
        else None
    )

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


def process(event_pk: int) -> WebhookEvent:
    """Applies one stored event to the company's links or orders, once.

    Events may arrive out of order: a state older than the one we have is ignored (compared on
    Pic-Time's ``updated_at``), and a gallery deleted at Pic-Time stays deleted unless a strictly
    newer state arrives. An event that can't be applied is recorded as failed (the periodic sync
    repairs what it would have changed). A link Pic-Time sent that is not safe is not applied; the
    event's ``error`` says why."""
    published: list[GalleryLink] = []
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().select_related("connection").get(pk=event_pk)
            if stored.status != WebhookEvent.Status.QUEUED:
                return stored
            applied, notes = _apply(stored, published)
            stored.status = WebhookEvent.Status.PROCESSED if applied else WebhookEvent.Status.IGNORED
            stored.error = notes[:2000]
            stored.processed_at = timezone.now()
            stored.save(update_fields=["status", "error", "processed_at"])
    except (PicTimeError, ValueError, ArithmeticError, RecursionError, DataError, IntegrityError) as error:
        # Can't be applied, now or later (bad data, a value the database refuses): failed, with why.
        log.warning("pictime.webhook.unprocessable", extra={"event": event_pk, "error": str(error)})
        reason = f"{type(error).__name__}: {error}"
        WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.QUEUED).update(
            status=WebhookEvent.Status.FAILED, error=reason[:2000], processed_at=timezone.now()
        )
        return WebhookEvent.objects.get(pk=event_pk)
    for link in published:
        transaction.on_commit(lambda link=link: gallery_published(link))
    return stored


def gallery_published(link: GalleryLink) -> None:
    """A webhook has just published the link's gallery for the first time (after commit, once per
    event). The place for what follows a publication, such as telling the client it is ready."""


def _apply(stored: WebhookEvent, published: list[GalleryLink]) -> tuple[bool, str]:
    """Applies the event; returns whether anything changed, and notes for the event's ``error`` (links
    refused). Links whose gallery became published are added to ``published``."""
    connection = stored.connection
    event = RemoteEvent.from_dict(stored.payload)
    applied = False
    notes = ""
    if event.resource == "gallery":
        gallery = event.gallery()
        if gallery.refused_urls:
            notes = "Links from Pic-Time not applied: " + "; ".join(
                f"{name}: {reason}" for name, reason in gallery.refused_urls
            )
        links = GalleryLink.objects.select_for_update().filter(
            company_id=connection.company_id, account_id=connection.account_id, gallery_id=gallery.id
        )
        for link in links:
            newer = link.remote_updated_at is None or gallery.updated_at > link.remote_updated_at
            if event.type == "gallery.deleted":
                if not link.is_deleted:
                    mark_deleted(link)
                    applied = True
                if newer:  # so that an older "updated" delivered late can't bring it back
                    GalleryLink.objects.filter(pk=link.pk).update(remote_updated_at=gallery.updated_at)
            elif link.is_deleted and not newer:
                continue
            else:
                was_published = link.published_at is not None
                if apply_gallery(link, gallery):
                    applied = True
                    if not was_published and link.published_at is not None:
                        published.append(link)
    elif event.resource == "order":
        order = event.order()
        if GalleryLink.objects.filter(
            company_id=connection.company_id,
            account_id=connection.account_id,
            gallery_id=order.gallery_id,
        ).exists():
            _, applied = upsert_order(connection.company_id, order)
    return applied, notes


# An event still queued after this long is given up on (its processing kept dying), not requeued.
GIVE_UP_AFTER = timedelta(days=1)


def requeue_stale_events(older_than_seconds: int = 300) -> list[int]:
    """Events stored but never processed (the broker was down when they arrived): their ids, to queue
    again. Processing is idempotent, so queueing one twice does no harm. Events queued for more than
    a day are marked failed instead, so that none is requeued for ever."""
    now = timezone.now()
    WebhookEvent.objects.filter(
        status=WebhookEvent.Status.QUEUED, received_at__lt=now - GIVE_UP_AFTER
    ).update(
        status=WebhookEvent.Status.FAILED,
        error="Not processed within a day: given up (the periodic sync repairs what it would have changed).",
        processed_at=now,
    )
    cutoff = now - timedelta(seconds=older_than_seconds)
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:1000]
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
