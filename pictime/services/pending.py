"""Pending work of a gallery link, recorded on the link in the transaction that makes it due: the
gallery-ready email (and Delivered) after a publication, the earlier orders of a gallery whose
fetch failed when it was linked. The broker's message is only the fast path.

A row's ``<work>_due_at`` is set to a lease ahead when its message is sent; the task clears it when
the work is done (or given up on), or moves it past its own Celery retry. The beat's sweep takes the
rows whose time has passed (their message was lost with the broker, or taken by a worker that died),
moves them a lease ahead in the same transaction (SKIP LOCKED) and sends them again: at most once a
lease, and each task's own claim (the email's conditional UPDATE, the orders' upsert) makes running
it twice harmless. Auto-create jobs and webhook events are rows of their own, swept the same way
(services.autocreate.take_due_jobs, services.webhooks.requeue_stale_events).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pictime.models import GalleryLink

log = logging.getLogger(__name__)

READY_EMAIL = "ready_email_due_at"
ORDERS = "orders_due_at"


def lease_seconds() -> int:
    return settings.PICTIME_PENDING_WORK_LEASE_SECONDS


def record(link: GalleryLink, work: str) -> None:
    """In the caller's transaction: the link's `work` is due, its message about to be sent on commit.
    Set on the object too, so that a caller saving the whole link keeps it."""
    due = timezone.now() + timedelta(seconds=lease_seconds())
    setattr(link, work, due)
    GalleryLink.objects.filter(pk=link.pk).update(**{work: due})


def publish_on_commit(link_id: int, work: str, task) -> None:
    """After commit, the task's message; if the broker can't take it, the sweep sends it at its next
    run (not a lease later). Never raised into the request."""
    from crm.celery import publish

    def send():
        if not publish(task, link_id):
            GalleryLink.objects.filter(pk=link_id, **{f"{work}__isnull": False}).update(
                **{work: timezone.now()}
            )

    transaction.on_commit(send, robust=True)


def postpone(link_id: int, work: str, seconds: float) -> None:
    """The task retries by itself in `seconds`: the sweep leaves the row alone until a lease after that."""
    due = timezone.now() + timedelta(seconds=seconds + lease_seconds())
    GalleryLink.objects.filter(pk=link_id).update(**{work: due})


def done(link_id: int, work: str) -> None:
    GalleryLink.objects.filter(pk=link_id, **{f"{work}__isnull": False}).update(**{work: None})


def take_due_links(work: str, limit: int = 500) -> list[int]:
    """The sweep: links whose `work` is past its time, moved a lease ahead, to send again."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            GalleryLink.objects.select_for_update(skip_locked=True)
            .filter(**{f"{work}__lte": now})
            .order_by(work)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            GalleryLink.objects.filter(pk__in=ids).update(**{work: now + timedelta(seconds=lease_seconds())})
    if ids:
        log.info("pictime.pending.resent", extra={"work": work, "count": len(ids)})
    return ids
