"""Webhook events and their delivery from background threads."""

import hashlib
import hmac
import json
import logging
import threading
import time

import requests
from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

log = logging.getLogger("sandbox.webhooks")


def sign(secret: str, t: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def emit(account, event_type, data):
    """Record an event and one delivery per matching subscription; deliver after the commit."""
    from .models import WebhookDelivery, WebhookEvent, WebhookSubscription
    from .services import ts

    event = WebhookEvent(account=account, type=event_type)
    payload = {
        "id": event.id,
        "type": event_type,
        "created_at": ts(event.created_at),
        "account_id": account.id,
        "data": data,
    }
    event.body = json.dumps(payload, separators=(",", ":"))
    event.save()
    delivery_ids = []
    for sub in WebhookSubscription.objects.filter(account=account).order_by("created_at"):
        if event_type in sub.events:
            d = WebhookDelivery.objects.create(event=event, subscription=sub, url=sub.url)
            delivery_ids.append(d.id)
    for delivery_id in delivery_ids:
        transaction.on_commit(lambda i=delivery_id: _start(i))
    return event


def _start(delivery_id):
    threading.Thread(target=_deliver, args=(delivery_id,), name=f"webhook-{delivery_id}", daemon=True).start()


def _deliver(delivery_id):
    from .models import WebhookAttempt, WebhookDelivery

    try:
        attempts = settings.SANDBOX_WEBHOOK_ATTEMPTS
        backoff = settings.SANDBOX_WEBHOOK_BACKOFF or [1.0]
        for number in range(1, attempts + 1):
            close_old_connections()
            delivery = WebhookDelivery.objects.select_related("event", "subscription").get(pk=delivery_id)
            if delivery.subscription is None:
                delivery.status = "cancelled"
                delivery.save(update_fields=["status"])
                return
            body = delivery.event.body.encode()
            t = int(time.time())
            signature = sign(delivery.subscription.secret, t, body)
            started = time.monotonic()
            status_code, error = None, ""
            try:
                resp = requests.post(
                    delivery.url,
                    data=body,
                    timeout=settings.SANDBOX_WEBHOOK_TIMEOUT,
                    headers={
                        "Content-Type": "application/json",
                        "PicTime-Signature": signature,
                        "User-Agent": "PicTime-Webhooks/1.0 (sandbox)",
                    },
                    allow_redirects=False,
                )
                status_code = resp.status_code
            except requests.Timeout:
                error = "timeout"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            WebhookAttempt.objects.create(
                delivery=delivery,
                number=number,
                t=t,
                signature=signature,
                status_code=status_code,
                error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
                at=timezone.now(),
            )
            if status_code is not None and 200 <= status_code < 300:
                delivery.status = "delivered"
                delivery.save(update_fields=["status"])
                return
            if number == attempts:
                delivery.status = "failed"
                delivery.save(update_fields=["status"])
                return
            time.sleep(backoff[min(number - 1, len(backoff) - 1)])
    except Exception:  # a background thread has nobody to report to but the log
        log.exception("webhook delivery %s crashed", delivery_id)
    finally:
        connection.close()


def delivery_json(d):
    from .services import ts

    return {
        "id": d.id,
        "event_id": d.event_id,
        "event_type": d.event.type,
        "account_id": d.event.account_id,
        "subscription_id": d.subscription_id,
        "url": d.url,
        "status": d.status,
        "created_at": ts(d.created_at),
        "body": d.event.body,
        "attempts": [
            {
                "number": a.number,
                "t": a.t,
                "signature": a.signature,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
                "at": ts(a.at),
            }
            for a in d.attempts.order_by("number")
        ],
    }
