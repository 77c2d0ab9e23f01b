"""Pic-Time's webhooks: checked and stored fast in the request, processed once in a task.

The signature (HMAC-SHA256 over "<t>.<raw body>" with the connection's secret) and the 5-minute
window are checked, in constant time, before anything is written but the delivery log. Each event
id is stored once (a unique constraint), so a redelivery is answered 2xx and ignored.
"""

import json
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from pictime.errors import PicTimeError
from pictime.models import Connection, GalleryLink, WebhookDelivery, WebhookEvent
from pictime.schemas import WebhookEvent as RemoteEvent
from pictime.services.common import apply_gallery, mark_deleted, upsert_order
from pictime.signatures import InvalidSignature, verify_signature

log = logging.getLogger(__name__)

MAX_STORED_BODY = 20_000


def receive(
    *, token: str, raw_body: bytes, signature_header: str | None
) -> tuple[WebhookDelivery, WebhookEvent | None]:
    """Checks and records one delivery. Returns the delivery and, for a new valid event, its row
    (queue it for processing after commit); None when rejected or a duplicate."""
    body_text = raw_body[:MAX_STORED_BODY].decode("utf-8", errors="replace")
    connection = (
        Connection.objects.select_related("integration").filter(webhook_token=token).first()
        if token
        else None
    )

    def record(outcome, event_id="", event_type=""):
        return WebhookDelivery.objects.create(
            connection=connection,
            outcome=outcome,
            event_id=event_id[:100],
            event_type=event_type[:50],
            body=body_text,
        )

    if connection is None or not connection.webhook_secret:
        return record(WebhookDelivery.Outcome.UNKNOWN_CONNECTION), None
    try:
        verify_signature(raw_body, signature_header, connection.webhook_secret)
    except InvalidSignature as bad:
        stale = bad.reason == "stale"
        return record(WebhookDelivery.Outcome.STALE if stale else WebhookDelivery.Outcome.BAD_SIGNATURE), None
    try:
        event = RemoteEvent.from_dict(json.loads(raw_body))
    except (ValueError, PicTimeError):
        return record(WebhookDelivery.Outcome.MALFORMED), None
    if event.account_id != connection.account_id:
        return record(WebhookDelivery.Outcome.UNKNOWN_CONNECTION, event.id, event.type), None
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=event.id, connection=connection, type=event.type, payload=json.loads(raw_body)
            )
    except IntegrityError:
        return record(WebhookDelivery.Outcome.DUPLICATE, event.id, event.type), None
    return record(WebhookDelivery.Outcome.ACCEPTED, event.id, event.type), stored


def process(event_pk: int) -> WebhookEvent:
    """Applies one stored event to the company's links or orders, once.

    Events may arrive out of order: a state older than the one we have is ignored (compared on
    Pic-Time's ``updated_at``), and a gallery deleted at Pic-Time stays deleted unless a strictly
    newer state arrives. An event that can't be applied is recorded as failed (the periodic sync
    repairs what it would have changed)."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().select_related("connection").get(pk=event_pk)
            if stored.status != WebhookEvent.Status.QUEUED:
                return stored
            applied = _apply(stored)
            stored.status = WebhookEvent.Status.PROCESSED if applied else WebhookEvent.Status.IGNORED
            stored.processed_at = timezone.now()
            stored.save(update_fields=["status", "processed_at"])
        return stored
    except (PicTimeError, ValueError) as error:
        log.warning("pictime.webhook.unprocessable", extra={"event": event_pk, "error": str(error)})
        WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.QUEUED).update(
            status=WebhookEvent.Status.FAILED, error=str(error)[:2000], processed_at=timezone.now()
        )
        return WebhookEvent.objects.get(pk=event_pk)


def _apply(stored: WebhookEvent) -> bool:
    connection = stored.connection
    event = RemoteEvent.from_dict(stored.payload)
    applied = False
    if event.resource == "gallery":
        gallery = event.gallery()
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
                applied = apply_gallery(link, gallery) or applied
    elif event.resource == "order":
        order = event.order()
        if GalleryLink.objects.filter(
            company_id=connection.company_id,
            account_id=connection.account_id,
            gallery_id=order.gallery_id,
        ).exists():
            _, applied = upsert_order(connection.company_id, order)
    return applied


def requeue_stale_events(older_than_seconds: int = 300) -> list[int]:
    """Events stored but never processed (the broker was down when they arrived): their ids, to queue
    again. Processing is idempotent, so queueing one twice does no harm."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return list(
        WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED, received_at__lt=cutoff)
        .order_by("received_at")
        .values_list("pk", flat=True)[:1000]
    )
