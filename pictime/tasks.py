"""Celery tasks: thin. Each takes ids, loads rows and calls one service."""

from celery import shared_task

from pictime.services import webhooks


@shared_task(name="pictime.process_webhook_event", acks_late=True)
def process_webhook_event(event_pk: int) -> str:
    return webhooks.process(event_pk).status
