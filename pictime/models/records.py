"""The records of the work done for a company's Pic-Time links: auto-create jobs, webhook
deliveries and events, sync runs, and the shared rate limit of an account."""

from django.db import models

from crm.companies.models import Company, CompanyScopedQuerySet
from crm.projects.models import Project
from pictime.models.connection import Connection
from pictime.models.links import GalleryLink


class AutoCreateJob(models.Model):
    """The one auto-create of a project's gallery, claimed and recorded here (one row per project)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Will retry"
        WAITING_RECONNECT = "waiting_reconnect", "Waiting for Pic-Time to be reconnected"
        SUCCEEDED = "succeeded", "Gallery created"
        FAILED = "failed", "Failed"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pictime_autocreate_jobs")
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="pictime_autocreate_job")
    payment_id = models.BigIntegerField(help_text="The first payment that triggered it")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    idempotency_key = models.CharField(
        max_length=255, help_text="Stable for the project, so retries can't duplicate"
    )
    attempts = models.PositiveIntegerField(default=0)
    # Retrying: when the next attempt is due. Pending: when the beat sends it again if no worker has
    # taken it by then (its message may be lost).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The Celery task id of the run that holds the claim: the same message delivered again (its
    # worker died) or retried takes its own claim back at once, without waiting for the lease.
    claimed_by = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(blank=True)
    link = models.OneToOneField(
        GalleryLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="autocreate_job"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "auto-create job"
        permissions = [("retry_autocreate", "Can retry a failed auto-create of a gallery")]

    def __str__(self):
        return f"Auto-create for {self.project} ({self.get_status_display()})"


class WebhookDelivery(models.Model):
    """Every POST Pic-Time made to our webhook endpoint, with what we did with it."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        DUPLICATE = "duplicate", "Duplicate event (already handled)"
        BAD_SIGNATURE = "bad_signature", "Rejected: bad signature"
        STALE = "stale", "Rejected: timestamp too old"
        UNKNOWN_CONNECTION = "unknown_connection", "Rejected: unknown or disconnected connection"
        MALFORMED = "malformed", "Rejected: malformed body"

    connection = models.ForeignKey(
        Connection, on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    event_id = models.CharField(max_length=100, blank=True, db_index=True)
    event_type = models.CharField(max_length=50, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    body = models.TextField(blank=True, help_text="The raw body, cut at 20,000 characters")

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event_type or 'delivery'} {self.event_id} ({self.outcome})"


class WebhookEvent(models.Model):
    """One Pic-Time event, stored once however often it is delivered, and processed once."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored (older than what we have)"
        FAILED = "failed", "Failed"

    event_id = models.CharField(max_length=100, unique=True)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=50)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The processing task takes a connection's queued events oldest first; a small index,
            # since events leave it once processed.
            models.Index(
                fields=["connection", "id"], condition=models.Q(status="queued"), name="pictime_event_queued"
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id} ({self.status})"


class SyncRun(models.Model):
    """One sync of a connection (or of one project's galleries) and what it found."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Periodic (beat)"
        MANUAL = "manual", "Sync button"
        SUPPORT = "support", "Support staff"
        COMMAND = "command", "Management command"
        CONNECTED = "connected", "Connected (first sync)"
        LINKED = "linked", "Gallery linked (its orders)"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pictime_sync_runs")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    project = models.ForeignKey(Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    galleries_checked = models.PositiveIntegerField(default=0)
    galleries_updated = models.PositiveIntegerField(default=0)
    orders_upserted = models.PositiveIntegerField(default=0)
    requests_made = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Sync of {self.company} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

    @property
    def counts(self) -> str:
        """ "1 gallery checked, 1 updated, 1 order stored", in words that agree with their numbers."""

        def n(count, one, many):
            return f"{count} {one if count == 1 else many}"

        return (
            f"{n(self.galleries_checked, 'gallery', 'galleries')} checked, {self.galleries_updated} updated, "
            f"{n(self.orders_upserted, 'order', 'orders')} stored"
        )


class AccountRateLimit(models.Model):
    """The shared rate limit of one Pic-Time account when Redis is not there (the embedded defaults):
    one row per account, updated under its row lock (see pictime.ratelimit). Not company data: two
    companies connected to one Pic-Time account share its limit."""

    account_id = models.CharField("Pic-Time account id", max_length=100, unique=True)
    tokens = models.FloatField()
    promised = models.FloatField(default=0, help_text="Unix time of the last turn given to a waiting caller")
    blocked_until = models.FloatField(default=0, help_text="Unix time the last 429's Retry-After ends")
    per_second = models.FloatField(null=True, blank=True)
    last_sent = models.FloatField(default=0, help_text="Unix time of the last background request let through")
    in_flight = models.PositiveIntegerField(default=0, help_text="Background requests sent, not yet answered")
    updated = models.FloatField(help_text="Unix time of the last change")

    class Meta:
        verbose_name = "Pic-Time account rate limit"

    def __str__(self):
        return f"Rate limit of Pic-Time account {self.account_id}"
