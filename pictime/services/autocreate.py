"""Auto-create: a project's first payment creates one Pic-Time gallery and links it to the project.

Exactly one gallery per project, whatever happens:

- the decision is recorded in one AutoCreateJob row per project (a one-to-one column), so a signal
  delivered five times, or two payments at once, make one job;
- a run claims the job by a conditional UPDATE (pending/retrying and due, or running with an expired
  lease after a worker died), so two workers never call Pic-Time for it at once;
- the create at Pic-Time carries an Idempotency-Key stable for the project, so a retry after a crash
  between Pic-Time's answer and our commit gets the same gallery back (Pic-Time replays its 201);
- the link is one row under the "one auto-created gallery per project" constraint.

Transient errors (timeouts, 5xx, 429, request in progress, garbled answers) retry with exponential
backoff, jitter and a maximum, and never sooner than Pic-Time's Retry-After; permanent errors stop
and are recorded. A connection that needs reconnecting parks the job until it is reconnected.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from crm.payments.models import Payment
from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project
from pictime.errors import Conflict, NeedsReconnection, PicTimeError, RateLimited
from pictime.models import AutoCreateJob, Connection, GalleryLink
from pictime.schemas import Gallery, GalleryCreate
from pictime.services.common import apply_gallery, client_for, new_link

log = logging.getLogger(__name__)

Status = AutoCreateJob.Status
RUNNABLE = (Status.PENDING, Status.RETRYING)


def idempotency_key_for(project_id: int) -> str:
    return f"crm-autocreate-project-{project_id}"


def external_ref_for(project_id: int) -> str:
    return f"crm-project-{project_id}"


def max_attempts() -> int:
    return settings.PICTIME_AUTOCREATE_MAX_ATTEMPTS


def lease_seconds() -> float:
    """How long a claimed run may take before another worker may take it over (a dead worker)."""
    return settings.PICTIME_AUTOCREATE_LEASE_SECONDS


def backoff_seconds(attempt: int, retry_after: int | None = None) -> float:
    """Exponential backoff with jitter and a ceiling, never shorter than Pic-Time's Retry-After."""
    base = settings.PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS
    ceiling = settings.PICTIME_AUTOCREATE_MAX_BACKOFF_SECONDS
    delay = min(ceiling, base * 2 ** max(0, attempt - 1))
    delay = delay * random.uniform(0.5, 1.0)  # jitter: spread retries of many jobs
    return max(delay, float(retry_after or 0))


# --------------------------------------------------------------------------- the trigger
def start_for_first_payment(project_id: int, payment_id: int) -> AutoCreateJob | None:
    """Called (in a task) for a project's first payment. Records the one job of the project when
    auto-create is on and was turned on before that payment; None otherwise (not retroactive)."""
    project = Project.objects.select_related("company").filter(pk=project_id).first()
    payment = Payment.objects.filter(pk=payment_id, project_id=project_id).first()
    if project is None or payment is None:
        return None
    connection = Connection.objects.filter(company_id=project.company_id).first()
    if connection is None or not connection.auto_create_enabled or not connection.auto_create_enabled_at:
        return None
    first_paid_at = project.first_paid_at or payment.paid_at
    if connection.auto_create_enabled_at > first_paid_at:
        return None  # paid before the toggle was turned on
    try:
        with transaction.atomic():
            job, _ = AutoCreateJob.objects.get_or_create(
                project=project,
                defaults={
                    "company_id": project.company_id,
                    "payment_id": payment.pk,
                    "idempotency_key": idempotency_key_for(project.pk),
                },
            )
    except IntegrityError:  # a concurrent delivery of the same signal made it first
        job = AutoCreateJob.objects.get(project=project)
    return job


# --------------------------------------------------------------------------- one run
@dataclass(frozen=True)
class RunResult:
    status: str
    retry_in: float | None = None  # seconds until the next attempt, when one is due
    claimed: bool = True


def _claim(job_id: int) -> bool:
    now = timezone.now()
    due = Q(status__in=RUNNABLE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    dead_worker = Q(status=Status.RUNNING, updated_at__lt=now - timedelta(seconds=lease_seconds()))
    return bool(
        AutoCreateJob.objects.filter(due | dead_worker, pk=job_id).update(
            status=Status.RUNNING, attempts=F("attempts") + 1, updated_at=now
        )
    )


def _gallery_request(project: Project, connection: Connection) -> GalleryCreate:
    client = project.client
    return GalleryCreate(
        name=project.name[:200],
        event_date=project.event_date,
        client_name=client.name or None,
        client_email=(client.email or None) if client.name else None,
        brand_id=connection.default_brand_id or None,
        preset_id=connection.default_preset_id or None,
        external_ref=external_ref_for(project.pk),
    )


def after_remote_create(job: AutoCreateJob, gallery: Gallery) -> None:
    """Runs between Pic-Time's answer and our commit. Does nothing; it names the moment a worker
    may die (tests make it raise to prove a retry finds the same gallery)."""


def run_job(job_id: int) -> RunResult:
    """Claims the job and tries once to create and link the gallery; records the outcome."""
    if not _claim(job_id):
        job = AutoCreateJob.objects.filter(pk=job_id).first()
        status = job.status if job else "missing"
        retry_in = None
        if job and job.status in RUNNABLE and job.next_attempt_at:
            retry_in = max(0.0, (job.next_attempt_at - timezone.now()).total_seconds())
        return RunResult(status, retry_in=retry_in, claimed=False)

    job = AutoCreateJob.objects.select_related("project__client", "company").get(pk=job_id)
    project = job.project
    connection = Connection.objects.select_related("integration").filter(company_id=job.company_id).first()
    if connection is None or not connection.is_connected:
        return _wait_for_reconnection(job, "Pic-Time is not connected.")
    try:
        client = client_for(connection)
        try:
            gallery = client.create_gallery(
                _gallery_request(project, connection), idempotency_key=job.idempotency_key
            )
        except Conflict:
            # The key was used with another body (the project changed after a lost answer): the
            # gallery made then carries our external_ref, so find it instead of making another.
            gallery = _find_by_external_ref(client, project)
            if gallery is None:
                raise
        after_remote_create(job, gallery)
        return _succeed(job, connection, gallery)
    except NeedsReconnection as error:
        return _wait_for_reconnection(job, error.user_message)
    except PicTimeError as error:
        if error.permanent:
            return _fail(job, error.user_message, detail=str(error))
        retry_after = error.retry_after if isinstance(error, RateLimited) else None
        return _retry_or_fail(job, error.user_message, detail=str(error), retry_after=retry_after)
    except Exception as error:  # a bug or the database: record it and retry like a transient error
        log.exception("pictime.autocreate.unexpected", extra={"job": job.pk})
        return _retry_or_fail(job, "Something went wrong on our side.", detail=repr(error))


def _find_by_external_ref(client, project: Project) -> Gallery | None:
    ref = external_ref_for(project.pk)
    hint = project.client.email or project.name
    for gallery in client.iter_galleries(q=hint):
        if gallery.external_ref == ref:
            return gallery
    return None


def _succeed(job: AutoCreateJob, connection: Connection, gallery: Gallery) -> RunResult:
    project = job.project
    with transaction.atomic():
        locked = AutoCreateJob.objects.select_for_update().get(pk=job.pk)
        if locked.status == Status.SUCCEEDED:  # a worker that took over after our lease finished first
            return RunResult(locked.status)
        link = GalleryLink.objects.filter(project=project, origin=GalleryLink.Origin.AUTO_CREATED).first()
        if link is None:
            link = GalleryLink.objects.filter(project=project, gallery_id=gallery.id).first()
        if link is None:
            link = new_link(project, connection, gallery, origin=GalleryLink.Origin.AUTO_CREATED)
            link.save()
        else:
            apply_gallery(link, gallery)
        locked.status = Status.SUCCEEDED
        locked.link = link
        locked.last_error = ""
        locked.next_attempt_at = None
        locked.finished_at = timezone.now()
        locked.save(
            update_fields=["status", "link", "last_error", "next_attempt_at", "finished_at", "updated_at"]
        )
        log_activity(project, Activity.Kind.INTEGRATION, f"Pic-Time gallery created: {link.name} (offline)")
    return RunResult(Status.SUCCEEDED)


def _record(job: AutoCreateJob, **fields) -> None:
    fields["updated_at"] = timezone.now()
    AutoCreateJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(**fields)


def _wait_for_reconnection(job: AutoCreateJob, reason: str) -> RunResult:
    _record(job, status=Status.WAITING_RECONNECT, last_error=reason, next_attempt_at=None)
    log_activity(
        job.project,
        Activity.Kind.INTEGRATION,
        "Pic-Time gallery not created yet: Pic-Time needs to be reconnected. "
        "It will be created once you reconnect in Company Settings > Integrations.",
    )
    return RunResult(Status.WAITING_RECONNECT)


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


def _retry_or_fail(
    job: AutoCreateJob, reason: str, *, detail: str, retry_after: int | None = None
) -> RunResult:
    attempts = AutoCreateJob.objects.filter(pk=job.pk).values_list("attempts", flat=True).get()
    limit = max_attempts()
    if attempts >= limit:
        return _fail(job, f"{reason} (gave up after {attempts} attempts)", detail=detail)
    delay = backoff_seconds(attempts, retry_after)
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


# --------------------------------------------------------------------------- what else starts a run
def due_job_ids(limit: int = 500) -> list[int]:
    """Jobs whose retry is due, and jobs whose worker died (lease expired): the beat safety net for
    a lost countdown message."""
    now = timezone.now()
    due = Q(status__in=RUNNABLE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    dead_worker = Q(status=Status.RUNNING, updated_at__lt=now - timedelta(seconds=lease_seconds()))
    # A pending job younger than a few seconds is still on its way through the broker.
    fresh_pending = Q(status=Status.PENDING, created_at__gt=now - timedelta(seconds=30))
    return list(
        AutoCreateJob.objects.filter(due | dead_worker)
        .exclude(fresh_pending)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def resume_waiting_jobs(connection: Connection) -> list[int]:
    """After a reconnection: the jobs that waited for it run now (queued after commit)."""
    ids = list(
        AutoCreateJob.objects.filter(
            company_id=connection.company_id, status=Status.WAITING_RECONNECT
        ).values_list("pk", flat=True)
    )
    if ids:
        AutoCreateJob.objects.filter(pk__in=ids, status=Status.WAITING_RECONNECT).update(
            status=Status.PENDING, next_attempt_at=None, updated_at=timezone.now()
        )
        _enqueue(ids)
    return ids


def retry_autocreate(job: AutoCreateJob) -> bool:
    """The panel's (and support's) Retry after the last attempt failed: a fresh set of attempts.
    False when the job is not failed (already running, waiting or done)."""
    updated = AutoCreateJob.objects.filter(pk=job.pk, status=Status.FAILED).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, finished_at=None, updated_at=timezone.now()
    )
    if updated:
        log_activity(job.project, Activity.Kind.INTEGRATION, "Retrying to create the Pic-Time gallery.")
        _enqueue([job.pk])
    return bool(updated)


def autocreate_job_for(project: Project) -> AutoCreateJob | None:
    """The project's auto-create job, for the panel (None when auto-create never ran for it)."""
    return AutoCreateJob.objects.filter(company_id=project.company_id, project=project).first()


def _enqueue(job_ids: list[int]) -> None:
    from pictime.tasks import run_autocreate_job

    for job_id in job_ids:
        transaction.on_commit(lambda job_id=job_id: run_autocreate_job.delay(job_id))
