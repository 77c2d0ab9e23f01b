"""Pic-Time → CRM webhook endpoint: verify, store, answer fast; the work runs in a task."""

import logging

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pictime.models import WebhookDelivery
from pictime.services import webhooks
from pictime.tasks import process_webhook_event

log = logging.getLogger(__name__)

STATUS = {
    WebhookDelivery.Outcome.ACCEPTED: 202,
    WebhookDelivery.Outcome.DUPLICATE: 200,  # already have it: don't make Pic-Time retry
    WebhookDelivery.Outcome.BAD_SIGNATURE: 400,
    WebhookDelivery.Outcome.STALE: 400,
    WebhookDelivery.Outcome.MALFORMED: 400,
    WebhookDelivery.Outcome.UNKNOWN_CONNECTION: 404,
}


def _queue(event_pk):
    try:
        process_webhook_event.delay(event_pk)
    except Exception:  # the broker is down: the event is stored, the beat queues it again
        log.exception("pictime.webhook.queue_failed", extra={"event": event_pk})


@csrf_exempt
@require_POST
def receive(request, token):
    delivery, event = webhooks.receive(
        token=token, raw_body=request.body, signature_header=request.headers.get("PicTime-Signature")
    )
    if event is not None:
        transaction.on_commit(lambda: _queue(event.pk))
    return HttpResponse(
        delivery.get_outcome_display(), status=STATUS[delivery.outcome], content_type="text/plain"
    )
