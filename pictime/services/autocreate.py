"""Auto-create: a project's first payment creates one Pic-Time gallery and links it to the project.

Exactly one gallery per project, whatever happens:

- the decision is recorded in one AutoCreateJob row per project (a one-to-one column), INSERTed
  pending in the payment's own transaction (the row, not the broker's message, is the record of the
  work: a message lost with Redis, or taken by a worker that died, is sent again by the beat's sweep);
- a run claims the job by a conditional UPDATE (pending, or retrying and due, or running with an
  expired lease after a worker died, or running under the claim of the same Celery task id: its
  message delivered again after its worker was killed, or its retry), so two workers never call
  Pic-Time for it at once;
- the create at Pic-Time carries an Idempotency-Key stable for the project, so a retry after a crash
  between Pic-Time's answer and our commit gets the same gallery back (Pic-Time replays its 201);
- the link is one row under the "one auto-created gallery per project" constraint, written in one
  transaction with the job's completion (a conditional UPDATE) and the activity line.

The payment's transaction pays one query for it (whether auto-create applies), two when it does
(the job's INSERT). An attempt costs six queries and two calls to Pic-Time (the claim, a conditional
UPDATE; the job with its project, client and connection, whose token the client takes while it is
fresh; the create and the new gallery's orders; the link, the job, the project's panel stamp and the
activity line).

This module is the work of one attempt (the task ``pictime.autocreate_gallery`` calls it and retries
with Celery); ``pictime.queue`` holds what sends a job to the worker (Retry, reconnection).
Transient errors (timeouts, 5xx, request in progress, garbled answers) retry with exponential
backoff, jitter and a maximum; a 429 comes back after its Retry-After and is not counted as a failed
attempt (nor is a turn our own shared limit gives); permanent errors stop and are recorded. A
connection that needs reconnecting parks the job until it is reconnected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from crm.payments.models import Payment
from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project
from pictime.backoff import retry_delay
from pictime.client import NO_RETRY
from pictime.errors import Conflict, NeedsReconnection, PicTimeError, RateLimited, Throttled
from pictime.models import AutoCreateJob, Connection, GalleryLink, Order, touch_projects
from pictime.schemas import Gallery
from pictime.services.galleries import GalleryData, external_ref

log = logging.getLogger(__name__)

Status = AutoCreateJob.Status


def idempotency_key_for(project_id: int) -> str:
    return f"crm-autocreate-project-{project_id}"


def max_attempts() -> int:
    return settings.PICTIME_AUTOCREATE_MAX_ATTEMPTS


def lease_seconds() -> float:
    """How long a claimed run may take before another worker may take it over (a dead worker)."""
    return settings.PICTIME_AUTOCREATE_LEASE_SECONDS


def resend_after() -> timedelta:
    """A pending job whose message no worker has taken this long after it was sent is sent again by
    the sweep (the message was lost with the broker, or taken by a worker that died)."""
    return timedelta(seconds=settings.PICTIME_PENDING_WORK_LEASE_SECONDS)


# --------------------------------------------------------------------------- the trigger
def _load(project_id: int, payment_id: int) -> Project | None:
    """In one query: the project with its client, its company's connection (and its status), its job
    if it has one, and `payment_paid_at` (None unless the payment is the project's)."""
    paid_at = Payment.objects.filter(pk=payment_id, project_id=OuterRef("pk")).values("paid_at")
    return (
        Project.objects.select_related(
            "client", "company__pictime_connection__integration", "pictime_autocreate_job"
        )
        .annotate(payment_paid_at=Subquery(paid_at))
        .filter(pk=project_id)
        .first()
    )


def _connection_of(owner) -> Connection | None:
    """The connection loaded with a project's or job's company (the company has one at most)."""
    try:
        return owner.company.pictime_connection
    except Connection.DoesNotExist:
        return None


def _job_of(project: Project) -> AutoCreateJob | None:
    try:
        return project.pictime_autocreate_job
    except AutoCreateJob.DoesNotExist:
        return None


def _eligible(project: Project, connection: Connection | None) -> bool:
    """Auto-create was on, and turned on before the project's first payment (not retroactive)."""
    if project.payment_paid_at is None or connection is None:
        return False
    return connection.auto_creates(project.first_paid_at or project.payment_paid_at)


def _insert_pending_job(project_id: int, company_id: int, payment_id: int) -> None:
    """INSERTs the project's one job, pending, unless it has one (the one-to-one column lets one
    INSERT win: ON CONFLICT DO NOTHING, no savepoint)."""
    job = AutoCreateJob(
        project_id=project_id,
        company_id=company_id,
        payment_id=payment_id,
        idempotency_key=idempotency_key_for(project_id),
        status=Status.PENDING,
        next_attempt_at=timezone.now() + resend_after(),
    )
    AutoCreateJob.objects.bulk_create([job], ignore_conflicts=True)


def record_for_first_payment(project_id: int, payment_id: int, company_id: int, paid_at) -> bool:
    """In the transaction of the project's first payment (at `paid_at`): its job, pending, when
    auto-create is on and was turned on before that payment. Whether auto-create applies (its task
    is to be sent after commit). One query when it doesn't, two when it does: the payment's claim
    already told the panel (its stamp), and a job recorded before (a message that came first) stays."""
    if not Connection.objects.auto_creating(company_id, paid_at):
        return False
    _insert_pending_job(project_id, company_id, payment_id)
    return True


def start_for_first_payment(project_id: int, payment_id: int) -> AutoCreateJob | None:
    """The project's one job: the one recorded already, or a new (pending) one when auto-create
    applies (a message sent before jobs were recorded with the payment); None otherwise."""
    project = _load(project_id, payment_id)
    if project is None:
        return None
    job = _job_of(project)
    if job is None and _eligible(project, _connection_of(project)):
        _insert_pending_job(project.pk, project.company_id, payment_id)
        touch_projects([project.pk])  # the panel says "Creating the Pic-Time gallery…"
        job = AutoCreateJob.objects.get(project_id=project_id)
    return job


def run_for_first_payment(project_id: int, payment_id: int, run_id: str = "") -> RunResult | None:
    """The task's work: one attempt at the project's gallery; None when auto-create doesn't apply.
    ``run_id`` (the Celery task id) marks the claim, so that the same message delivered again takes
    it back at once. The job recorded with the payment is claimed at once (no read before)."""
    if _claim(Q(project_id=project_id), run_id):
        return _attempt_claimed(Q(project_id=project_id))
    status = AutoCreateJob.objects.filter(project_id=project_id).values_list("status", flat=True).first()
    if status is not None:  # done, not due yet, or held by another run (a second message: a no-op)
        return RunResult(status)
    job = start_for_first_payment(project_id, payment_id)  # not recorded with the payment
    if job is None:
        return None
    return run_job(job.pk, run_id)


# --------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class RunResult:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when one is due
    orders_due: int | None = None  # the new link whose earlier orders wait for a worker


def _claimable(now, run_id: str = "") -> Q:
    """Jobs a run may take: pending (sent, whenever a worker gets to it), retrying and due, and
    running ones whose worker died (their lease ran out) or whose claim is this run's own."""
    due = Q(status=Status.PENDING) | (
        Q(status=Status.RETRYING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )
    dead_worker = Q(status=Status.RUNNING, updated_at__lt=now - timedelta(seconds=lease_seconds()))
    claimable = due | dead_worker
    if run_id:
        claimable |= Q(status=Status.RUNNING, claimed_by=run_id)
    return claimable


def _claim(which: Q, run_id: str) -> bool:
    now = timezone.now()
    return bool(
        AutoCreateJob.objects.filter(_claimable(now, run_id), which).update(
            status=Status.RUNNING, attempts=F("attempts") + 1, claimed_by=run_id, updated_at=now
        )
    )


def run_job(job_id: int, run_id: str = "") -> RunResult:
    """Claims the job and tries once to create and link the gallery; records the outcome."""
    if not _claim(Q(pk=job_id), run_id):  # done, not due yet, or another worker holds it: nothing to do
        status = AutoCreateJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return RunResult(status or "missing")
    return _attempt_claimed(Q(pk=job_id))


def _attempt_claimed(which: Q) -> RunResult:
    job = AutoCreateJob.objects.select_related(
        "project__client", "company__pictime_connection__integration"
    ).get(which)
    return _attempt(job, _connection_of(job))


def _attempt(job: AutoCreateJob, connection: Connection | None) -> RunResult:
    """One try of a claimed job: the create, then the gallery's orders, then its outcome recorded."""
    project = job.project
    try:
        api = Connection.require(connection).api(background=True)
        request = GalleryData(
            name=project.name,
            event_date=project.event_date,
            client_name=project.client.name,
            client_email=project.client.email,
            brand_id=connection.default_brand_id,
            preset_id=connection.default_preset_id,
        ).to_create(project)
        try:
            gallery = api.create_gallery(request, idempotency_key=job.idempotency_key)
        except Conflict:
            # The key was used with another body (the project changed after a lost answer): the
            # gallery made then carries our external_ref, so find it instead of making another.
            gallery = _find_by_external_ref(api, project)
            if gallery is None:
                raise
        return _succeed(job, connection, gallery, _earlier_orders(api, job, gallery))
    except NeedsReconnection as error:  # NotConnected included: parked until a reconnection
        return _wait_for_reconnection(job, error.user_message)
    except Throttled as error:
        return _wait_for_rate_limit(job, error.wait)
    except RateLimited as error:
        # Pic-Time's 429 says when to come back: like our own limiter's turn, not a failed attempt
        # (counted, it would push the job's next real retry minutes away for no fault of Pic-Time's).
        return _wait_for_rate_limit(job, retry_delay(0, base=0, cap=0, retry_after=error.retry_after))
    except PicTimeError as error:
        if error.permanent:
            return _fail(job, error.user_message, detail=str(error))
        return _retry_or_fail(job, error.user_message, detail=str(error))
    except (OperationalError, InterfaceError):
        # The database is restarting: nothing can be recorded now. The task retries with the claim
        # (its task id); if it gives up, the lease and the sweep run the job again.
        raise
    except Exception as error:  # a bug or the database: record it and retry like a transient error
        log.exception("pictime.autocreate.unexpected", extra={"job": job.pk})
        return _retry_or_fail(job, "Something went wrong on our side.", detail=repr(error))


def _earlier_orders(api, job: AutoCreateJob, gallery: Gallery) -> list | None:
    """The gallery's orders, as for any new link (a gallery found again, by a replayed or conflicting
    create, may have been sold already): one try, no wait in the worker. None when Pic-Time can't
    answer now: the link then records them as due, for sync_link's own retries."""
    try:
        return list(api.iter_orders(gallery_id=gallery.id, retry=NO_RETRY))
    except PicTimeError as error:
        log.info("pictime.autocreate.orders_later", extra={"job": job.pk, "error": str(error)})
        return None


def _find_by_external_ref(api, project: Project) -> Gallery | None:
    ref = external_ref(project.pk)
    hint = project.client.email or project.name
    for gallery in api.iter_galleries(q=hint):
        if gallery.external_ref == ref:
            return gallery
    return None


class _FinishedElsewhere(Exception):
    """A worker that took over after our lease ran out finished the job first."""


def _succeed(job: AutoCreateJob, connection: Connection, gallery: Gallery, orders: list | None) -> RunResult:
    """The link (with its orders, or their fetch recorded as due, anew), the job and the activity line in
    one transaction: INSERT … ON CONFLICT of the link (one per project and gallery), the job
    completed by a conditional UPDATE (still running, so ours), the project's panel stamp, the
    activity line. Four statements (and one per order), no row read or lock."""
    project = job.project
    link = GalleryLink.to_gallery(project, connection, gallery, origin=GalleryLink.Origin.AUTO_CREATED)
    now = timezone.now()
    link.orders_due_at = None if orders is not None else now + resend_after()
    try:
        with transaction.atomic():
            GalleryLink.objects.bulk_create(
                [link],
                update_conflicts=True,
                unique_fields=["project", "gallery_id"],
                update_fields=[*GalleryLink.REMOTE_FIELDS, "orders_due_at", "orders_attempts"],
            )
            for order in orders or ():
                Order.objects.store_remote(project.company_id, order)
            completed = AutoCreateJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
                status=Status.SUCCEEDED,
                link=link,
                last_error="",
                next_attempt_at=None,
                finished_at=now,
                updated_at=now,
            )
            if not completed:
                raise _FinishedElsewhere  # and the link written above is rolled back
            touch_projects([project.pk])
            log_activity(
                project, Activity.Kind.INTEGRATION, f"Pic-Time gallery created: {link.name} (offline)"
            )
    except _FinishedElsewhere:
        return RunResult(AutoCreateJob.objects.values_list("status", flat=True).get(pk=job.pk))
    except IntegrityError:
        # The project has its auto-created gallery under another id already (a run before ours,
        # whose worker was taken for dead, linked it): keep that one; the sync reads its orders.
        return _succeed_with_the_existing_link(job, gallery)
    return RunResult(Status.SUCCEEDED, orders_due=None if orders is not None else link.pk)


def _succeed_with_the_existing_link(job: AutoCreateJob, gallery: Gallery) -> RunResult:
    project = job.project
    with transaction.atomic():
        locked = AutoCreateJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == Status.SUCCEEDED:
            return RunResult(locked.status)
        link = GalleryLink.objects.get(project=project, origin=GalleryLink.Origin.AUTO_CREATED)
        link.apply_remote(gallery)
        link.save()
        locked.status = Status.SUCCEEDED
        locked.link = link
        locked.last_error = ""
        locked.next_attempt_at = None
        locked.finished_at = timezone.now()
        locked.save(
            update_fields=["status", "link", "last_error", "next_attempt_at", "finished_at", "updated_at"]
        )
        touch_projects([project.pk])
        log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery created: {link.name} (offline)")
    return RunResult(Status.SUCCEEDED)


def _record(job: AutoCreateJob, **fields) -> None:
    fields["updated_at"] = timezone.now()
    if AutoCreateJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(**fields):
        touch_projects([job.project_id])


def _wait_for_reconnection(job: AutoCreateJob, reason: str) -> RunResult:
    _record(job, status=Status.WAITING_RECONNECT, last_error=reason, next_attempt_at=None)
    log_activity(
        job.project,
        Activity.Kind.INTEGRATION,
        "Pic-Time gallery not created yet: Pic-Time needs to be reconnected. "
        "It will be created once you reconnect in Company Settings > Integrations.",
    )
    return RunResult(Status.WAITING_RECONNECT)


def _wait_for_rate_limit(job: AutoCreateJob, wait: float) -> RunResult:
    """Nothing was done: the account's rate limit (ours, shared, or Pic-Time's 429) gave this run a
    later turn. Not a failed attempt, and nothing the photographer needs to read."""
    _record(
        job,
        status=Status.RETRYING,
        attempts=F("attempts") - 1,
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )
    return RunResult(Status.RETRYING, retry_in=wait)


def _fail(job: AutoCreateJob, reason: str, *, detail: str) -> RunResult:
    _record(
        job, status=Status.FAILED, last_error=detail[:2000], next_attempt_at=None, finished_at=timezone.now()
    )
    log_activity(
        job.project,
        Activity.Kind.INTEGRATION,
        f"Pic-Time gallery could not be created: {reason} Use Retry in the Pic-Time Galleries panel.",
    )
    return RunResult(Status.FAILED)


def _retry_or_fail(job: AutoCreateJob, reason: str, *, detail: str) -> RunResult:
    attempts = AutoCreateJob.objects.filter(pk=job.pk).values_list("attempts", flat=True).get()
    limit = max_attempts()
    if attempts >= limit:
        return _fail(job, f"{reason} (gave up after {attempts} attempts)", detail=detail)
    delay = retry_delay(
        attempts,
        base=settings.PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS,
        cap=settings.PICTIME_AUTOCREATE_MAX_BACKOFF_SECONDS,
    )
    _record(
        job,
        status=Status.RETRYING,
        last_error=detail[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    log_activity(
        job.project,
        Activity.Kind.INTEGRATION,
        f"Pic-Time gallery not created yet: {reason} Will retry in {_human(delay)} "
        f"(attempt {attempts} of {limit}).",
    )
    return RunResult(Status.RETRYING, retry_in=delay)


def _human(seconds: float) -> str:
    seconds = max(1, round(seconds))
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# --------------------------------------------------------------------------- for the sweep (services.pending)
def mark_unsent(project_ids: list[int]) -> None:
    """Their message could not be sent (the broker is down): the sweep sends them at its next run,
    not a lease later."""
    AutoCreateJob.objects.filter(project_id__in=project_ids, status=Status.PENDING).update(
        next_attempt_at=timezone.now()
    )


def autocreate_job_for(project: Project) -> AutoCreateJob | None:
    """The project's auto-create job, for the panel (None when auto-create never ran for it)."""
    return AutoCreateJob.objects.for_company(project.company_id).filter(project=project).first()
