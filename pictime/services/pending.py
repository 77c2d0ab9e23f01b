"""Pending work of a gallery link, recorded on the link in the transaction that makes it due: the
gallery-ready email (and Delivered) after a publication, the earlier orders of a gallery whose
fetch failed when it was linked. The broker's message is only the fast path.

A row's ``<work>_due_at`` is set to a lease ahead when its message is sent; the task clears it when
the work is done (or given up on), or moves it past its own Celery retry. The row, not the message,
counts the tries that failed (``<work>_attempts``, in the UPDATE that moves it): the task takes its
backoff and its last try from it, so a message sent again carries on where the lost one was. The
beat's sweep takes the rows whose message was sent before the sweep's own and is still not done
(lost with the broker, or taken by a worker that died; see tasks.run_pending_work), moves them a
lease ahead in the same transaction (SKIP LOCKED) and sends them again; each task's own claim (the
email's conditional UPDATE, the orders' upsert) makes running it twice harmless. Auto-create jobs
and webhook events are rows of their own, swept the same way (take_due_jobs,
services.webhooks.requeue_stale_events), and so is a token refresh handed to a worker
(pictime.tokens).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.models import AutoCreateJob, Connection, GalleryLink, touch_projects

log = logging.getLogger(__name__)
JobStatus = AutoCreateJob.Status

# The kinds of work: the link's `<work>_due_at` and `<work>_attempts`.
READY_EMAIL = "ready_email"
ORDERS = "orders"


def _due(work: str) -> str:
    return f"{work}_due_at"


def _attempts(work: str) -> str:
    return f"{work}_attempts"


# A message sent this long before the sweep's own may still be behind it in the queue: published
# after its transaction committed, or prefetched by a worker that has not started it yet.
SENT_MARGIN = timedelta(seconds=10)


def lease_seconds() -> int:
    return settings.PICTIME_PENDING_WORK_LEASE_SECONDS


def record(link: GalleryLink, work: str) -> None:
    """In the caller's transaction: the link's `work` is due, its message about to be sent on commit,
    no try of it failed yet. Set on the object too, so that a caller saving the whole link keeps it."""
    values = {_due(work): timezone.now() + timedelta(seconds=lease_seconds()), _attempts(work): 0}
    for name, value in values.items():
        setattr(link, name, value)
    GalleryLink.objects.filter(pk=link.pk).update(**values)


def publish(link_id: int, work: str, task) -> None:
    """The task's message for work recorded (committed) on the link; if the broker can't take it,
    the sweep sends it at its next run (not a lease later). Never raised."""
    from crm.celery import publish

    if not publish(task, link_id):
        due = _due(work)
        GalleryLink.objects.filter(pk=link_id, **{f"{due}__isnull": False}).update(**{due: timezone.now()})


def publish_on_commit(link_id: int, work: str, task) -> None:
    """After commit, the task's message (see publish)."""
    transaction.on_commit(lambda: publish(link_id, work, task), robust=True)


def failed_tries(link_id: int, work: str) -> int:
    """How many tries of the link's `work` failed so far (0 for a link gone)."""
    return GalleryLink.objects.filter(pk=link_id).values_list(_attempts(work), flat=True).first() or 0


def failed(link_id: int, work: str, retry_in: float | None) -> None:
    """A try of the link's `work` failed: counted on the row, in the UPDATE that sets when the next
    is due. The task retries by itself in `retry_in` seconds (the sweep leaves the row alone until a
    lease after that); None: given up, no longer due (the row keeps the count: it says so)."""
    due = None if retry_in is None else timezone.now() + timedelta(seconds=retry_in + lease_seconds())
    attempts = _attempts(work)
    GalleryLink.objects.filter(pk=link_id).update(**{_due(work): due, attempts: F(attempts) + 1})


def done(link_id: int, work: str) -> None:
    """The link's `work` is done: no longer due, no failed try counted."""
    due, attempts = _due(work), _attempts(work)
    unfinished = Q(**{f"{due}__isnull": False}) | Q(**{f"{attempts}__gt": 0})
    GalleryLink.objects.filter(unfinished, pk=link_id).update(**{due: None, attempts: 0})


def take_due_links(work: str, sent_before) -> list[int]:
    """The sweep: links whose `work` was sent before ``sent_before`` and is not done (its message was
    lost), moved a lease ahead, to send again. (A row's time is a lease after its last send.)"""
    now, due = timezone.now(), _due(work)
    with transaction.atomic():
        ids = list(
            GalleryLink.objects.select_for_update(skip_locked=True)
            .filter(**{f"{due}__lte": sent_before + timedelta(seconds=lease_seconds())})
            .order_by(due)
            .values_list("pk", flat=True)[:500]
        )
        if ids:  # its count of failed tries carries on
            GalleryLink.objects.filter(pk__in=ids).update(**{due: now + timedelta(seconds=lease_seconds())})
    if ids:
        log.info("pictime.pending.resent", extra={"work": work, "count": len(ids)})
    return ids


def refreshes_to_finish(sent_before) -> list[int]:
    """Connections whose token refresh a request handed to a worker (pictime.tokens), before
    ``sent_before``, and that nobody finished: the message was lost or never sent (the broker down).
    Sent again, a worker asks within the grace, or past it marks the connection as needing
    reconnection (the token is never presented late); a second worker asking is harmless (the
    refresh runs under the row's lock, and Pic-Time answers the same token again within its grace)."""
    return list(
        Connection.objects.filter(
            refresh_retry_until__isnull=False,
            refresh_sent_at__lt=sent_before,
            integration__status=CompanyIntegration.Status.CONNECTED,
        ).values_list("pk", flat=True)
    )


def take_due_jobs(sent_before, due_before) -> list[tuple[int, int]]:
    """The beat's sweep: (project_id, payment_id) of the jobs whose message was lost, to send again:
    pending ones sent before ``sent_before`` (a lease before their row's time) and not taken by a
    worker, or whose send failed; retries due before ``due_before`` and not started (their countdown
    message, held by a worker, lost with it); runs whose worker died (their lease ran out).

    Each is marked pending and sent now, in the same transaction (rows locked, SKIP LOCKED); the
    claim lets one run do it however many of its messages arrive."""
    now, resend_after = timezone.now(), timedelta(seconds=lease_seconds())
    sent = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=sent_before + resend_after)
    retry_due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=due_before)
    lease = timedelta(seconds=settings.PICTIME_AUTOCREATE_LEASE_SECONDS)  # a run's own
    dead_worker = Q(status=JobStatus.RUNNING, updated_at__lt=now - lease)
    due = (Q(status=JobStatus.PENDING) & sent) | (Q(status=JobStatus.RETRYING) & retry_due) | dead_worker
    with transaction.atomic():
        ids = list(
            AutoCreateJob.objects.select_for_update(skip_locked=True)
            .filter(due)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:500]
        )
        if not ids:
            return []
        AutoCreateJob.objects.filter(pk__in=ids).update(
            status=JobStatus.PENDING, next_attempt_at=now + resend_after, claimed_by="", updated_at=now
        )
        jobs = list(AutoCreateJob.objects.filter(pk__in=ids).values_list("project_id", "payment_id"))
        touch_projects([project_id for project_id, _ in jobs])
        return jobs
