"""Pic-Time → CRM webhook endpoint: verify, store, answer fast; the work runs in a task."""

from django.db import transaction
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from pictime import queue
from pictime.models import WebhookDelivery
from pictime.services import webhooks

STATUS = {
    WebhookDelivery.Outcome.ACCEPTED: 202,
    WebhookDelivery.Outcome.DUPLICATE: 200,  # already have it: don't make Pic-Time retry
    WebhookDelivery.Outcome.BAD_SIGNATURE: 400,
    WebhookDelivery.Outcome.STALE: 400,
    WebhookDelivery.Outcome.MALFORMED: 400,
    WebhookDelivery.Outcome.UNKNOWN_CONNECTION: 404,
}


@csrf_exempt
@require_POST
def receive(request, token):
    delivery, event = webhooks.receive(
        token=token, raw_body=request.body, signature_header=request.headers.get("PicTime-Signature")
    )
    if event is not None:
        transaction.on_commit(lambda: queue.queue_webhook_processing(event.connection_id))
    return HttpResponse(
        delivery.get_outcome_display(), status=STATUS[delivery.outcome], content_type="text/plain"
    )
