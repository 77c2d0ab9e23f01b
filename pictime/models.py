"""What the CRM keeps of Pic-Time: a company's connection, gallery links, orders, and the records
of the work done for them (auto-create jobs, sync runs, webhook deliveries).

The panel, the portal and the admin read only these rows: no page waits on Pic-Time.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.companies.models import Company, CompanyScopedQuerySet
from crm.projects.models import Project
from integrations.fields import EncryptedTextField
from integrations.models import CompanyIntegration

DEFAULT_PORTAL_INTRO = "Your photos are ready! Open your gallery to view, download and order prints."
DEFAULT_READY_EMAIL_SUBJECT = "Your gallery “{gallery_name}” is ready"
DEFAULT_READY_EMAIL_MESSAGE = (
    "Hi {first_name},\n\n"
    "Your photos are ready! Open your gallery to view, download and share them, and to order prints."
)
# Last in the studio's emails (the ready email and the expiry reminder), under the gallery's button
# and the portal link.
DEFAULT_READY_EMAIL_SIGNOFF = "With love,\n{studio_name}"
DEFAULT_REMINDER_EMAIL_SUBJECT = "Your gallery “{gallery_name}” closes on {expiry_date}"
DEFAULT_REMINDER_EMAIL_MESSAGE = (
    "Hi {first_name},\n\n"
    "A reminder that your gallery closes on {expiry_date}. There is still time to download your photos "
    "and order prints before it does."
)


def new_webhook_token():
    return secrets.token_urlsafe(24)


class ConnectionQuerySet(CompanyScopedQuerySet):
    def for_company(self, company):
        """The company's connection (one at most), with the status every caller reads. The one way to
        reach it: `Connection.objects.for_company(company).first()` (a company or its id)."""
        return self.filter(company=company).select_related("integration")


class Connection(models.Model):
    """A company's Pic-Time account, its OAuth grant and its settings. One per company.

    Its status (connected, needs reconnection, disconnected) and last error are those of its
    CompanyIntegration row, which the Integrations tab and the admin share with other providers.
    """

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="pictime_connection")
    integration = models.OneToOneField(CompanyIntegration, on_delete=models.CASCADE, related_name="pictime")
    account_id = models.CharField("Pic-Time account id", max_length=100, blank=True, db_index=True)
    account_name = models.CharField(max_length=200, blank=True)
    account_email = models.EmailField(blank=True)
    plan = models.CharField(max_length=50, blank=True)
    brands = models.JSONField(default=list, blank=True, help_text="[{id, name}] read from the account")
    presets = models.JSONField(default=list, blank=True, help_text="[{id, name}] read from the account")

    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=300, blank=True)
    # The stored refresh token was first sent to Pic-Time then (committed before sending) and no
    # answer has been saved yet: it may be spent, so it is never presented again after the grace's
    # margin (pictime.tokens). None: never sent.
    refresh_sent_at = models.DateTimeField(null=True, blank=True)
    # A worker asks again with that token until then (its answers were lost); meanwhile the
    # photographer reads "Pic-Time is not answering, retrying".
    refresh_retry_until = models.DateTimeField(null=True, blank=True)

    webhook_id = models.CharField(max_length=100, blank=True)
    webhook_secret = EncryptedTextField(blank=True)
    # In the webhook URL, so a delivery names its connection before its signature is checked.
    webhook_token = models.CharField(max_length=64, unique=True, default=new_webhook_token)

    auto_create_enabled = models.BooleanField("Auto-create galleries", default=False)
    # When auto-create was last turned on: only projects first paid after it get a gallery.
    auto_create_enabled_at = models.DateTimeField(null=True, blank=True)
    default_brand_id = models.CharField(max_length=100, blank=True)
    default_preset_id = models.CharField(max_length=100, blank=True)
    portal_intro = models.TextField(
        "Text above galleries in the client portal", blank=True, default=DEFAULT_PORTAL_INTRO
    )
    # The "gallery ready" email to the project's client when a linked gallery is first published.
    ready_email_enabled = models.BooleanField("Email clients when a gallery is published", default=True)
    ready_email_subject = models.CharField(
        "Email subject", max_length=200, default=DEFAULT_READY_EMAIL_SUBJECT
    )
    ready_email_message = models.TextField("Email message", default=DEFAULT_READY_EMAIL_MESSAGE)
    ready_email_signoff = models.TextField("Sign-off", blank=True, default=DEFAULT_READY_EMAIL_SIGNOFF)
    # The expiry reminder to the project's client, once per gallery and expiry date (services.reminders).
    reminder_email_enabled = models.BooleanField("Email clients before a gallery expires", default=True)
    reminder_days_before = models.PositiveSmallIntegerField("Days before", default=7)
    reminder_email_subject = models.CharField(
        "Reminder subject", max_length=200, default=DEFAULT_REMINDER_EMAIL_SUBJECT
    )
    reminder_email_message = models.TextField("Reminder message", default=DEFAULT_REMINDER_EMAIL_MESSAGE)

    connected_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Orders changed at or after this were not fetched yet (the periodic sync's `updated_since`).
    orders_synced_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        verbose_name = "Pic-Time connection"
        # The support actions of the admin (pictime/admin.py); granted to Support by pictime/apps.py.
        permissions = [
            ("run_sync", "Can re-run a Pic-Time sync"),
            ("disconnect_connection", "Can disconnect a company's Pic-Time account"),
        ]

    def __str__(self):
        return f"Pic-Time of {self.company}: {self.account_name or 'no account'} ({self.status})"

    @property
    def status(self):
        return self.integration.status

    @property
    def is_connected(self):
        return self.integration.status == CompanyIntegration.Status.CONNECTED

    @property
    def refresh_retrying(self):
        """A refresh whose answers were lost is being asked again in the background."""
        return bool(self.refresh_retry_until and self.refresh_retry_until > timezone.now())

    @property
    def needs_reconnection(self):
        return self.integration.status == CompanyIntegration.Status.NEEDS_RECONNECTION

    def brand_name(self, brand_id):
        return next((b["name"] for b in self.brands if b.get("id") == brand_id), "")


class GalleryLinkQuerySet(CompanyScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)


class ReadyEmail(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"


class GalleryLink(models.Model):
    """A Pic-Time gallery linked to a project, with the gallery's last known state."""

    ReadyEmail = ReadyEmail

    class Status(models.TextChoices):
        ONLINE = "online", "Online"
        OFFLINE = "offline", "Offline"

    class Origin(models.TextChoices):
        LINKED = "linked", "Linked an existing gallery"
        CREATED = "created", "Created from the CRM"
        AUTO_CREATED = "auto_created", "Auto-created on first payment"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="gallery_links")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gallery_links")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="links")
    account_id = models.CharField("Pic-Time account id", max_length=100)
    gallery_id = models.CharField("Pic-Time gallery id", max_length=100)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.LINKED)
    # False while the company is disconnected or connected to another Pic-Time account.
    is_active = models.BooleanField(default=True)

    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFLINE)
    published_at = models.DateTimeField(null=True, blank=True)
    image_count = models.PositiveIntegerField(default=0)
    cover_url = models.URLField(max_length=500, blank=True)
    public_url = models.URLField(max_length=500, blank=True)
    edit_url = models.URLField(max_length=500, blank=True)
    event_date = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    client_name = models.CharField(max_length=200, blank=True)
    client_email = models.EmailField(blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True, help_text="Pic-Time's updated_at")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When Pic-Time said it was deleted")

    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.CharField(max_length=300, blank=True)
    # The "gallery ready" email: claimed once per link (empty → sending → sent/failed/skipped).
    ready_email_status = models.CharField(
        max_length=10, choices=ReadyEmail.choices, blank=True, default="", db_index=True
    )
    ready_email_to = models.EmailField(blank=True)
    ready_email_at = models.DateTimeField(null=True, blank=True, help_text="When its status last changed")
    ready_email_error = models.CharField(max_length=300, blank=True)
    # The expiry reminder (services.reminders): the expiry date it was last sent (or is being sent)
    # for, so each expiry date gets one; a pending Remind client; and the send's state for the panel.
    reminder_expires_at = models.DateTimeField(null=True, blank=True, help_text="The expiry it was sent for")
    reminder_requested_at = models.DateTimeField(
        null=True, blank=True, help_text="Remind client, not sent yet"
    )
    reminder_status = models.CharField(max_length=10, choices=ReadyEmail.choices, blank=True, default="")
    reminder_to = models.EmailField(blank=True)
    reminder_at = models.DateTimeField(null=True, blank=True, help_text="When its status last changed")
    reminder_error = models.CharField(max_length=300, blank=True)
    # Pending work of the link, recorded in the transaction that makes it due (the broker's message is
    # only the fast path): set when it is handed to a worker, cleared when it is done; one still set
    # after its time is sent again by the beat's sweep (services.pending).
    ready_email_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The gallery-ready email and Delivered wait for a worker"
    )
    orders_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The gallery's earlier orders wait for a worker"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GalleryLinkQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "gallery_id"], name="gallery_linked_once_per_project"),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(origin="auto_created"),
                name="one_auto_created_gallery_per_project",
            ),
        ]
        indexes = [
            models.Index(fields=["account_id", "gallery_id"]),
            # The Galleries page's list and the reminder job read a company's links by expiry.
            models.Index(fields=["company", "expires_at"], name="pictime_link_company_expiry"),
            # The sweep's reads: only the few links with work pending are in these.
            models.Index(
                fields=["ready_email_due_at"],
                condition=Q(ready_email_due_at__isnull=False),
                name="link_ready_email_due",
            ),
            models.Index(
                fields=["orders_due_at"], condition=Q(orders_due_at__isnull=False), name="link_orders_due"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.gallery_id}) → {self.project}"

    @property
    def is_deleted(self):
        return self.deleted_at is not None

    @property
    def is_online(self):
        return self.status == self.Status.ONLINE and not self.is_deleted

    def is_expired_at(self, now):
        return bool(self.expires_at and self.expires_at <= now)

    @property
    def can_view(self):
        """View gallery works only while clients can see the gallery: online, not expired, not deleted."""
        from django.utils import timezone

        return bool(self.public_url) and self.is_online and not self.is_expired_at(timezone.now())


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


class Order(models.Model):
    """A Pic-Time order (photo sale) of a gallery the company has linked."""

    class Status(models.TextChoices):
        PAID = "paid", "Paid"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="pictime_orders")
    order_id = models.CharField("Pic-Time order id", max_length=100)
    gallery_id = models.CharField("Pic-Time gallery id", max_length=100, db_index=True)
    number = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=Status.choices)
    currency = models.CharField(max_length=3)
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    items = models.JSONField(default=list)
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(blank=True)
    placed_at = models.DateTimeField()
    remote_updated_at = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at"]
        constraints = [models.UniqueConstraint(fields=["company", "order_id"], name="order_stored_once")]
        # The Galleries page: sales by month and the CSV read a company's orders by date; each
        # gallery's orders and sales are read by its id. The included columns let PostgreSQL
        # answer from the index alone (other databases ignore them).
        indexes = [
            models.Index(
                fields=["company", "placed_at"],
                include=["status", "currency", "total", "gallery_id"],
                name="pictime_order_company_placed",
            ),
            models.Index(
                fields=["company", "gallery_id"],
                include=["status", "currency", "total"],
                name="pictime_order_company_gallery",
            ),
            # The newest change and the newest row of a company's orders: the page's cache key.
            models.Index(fields=["company", "remote_updated_at"], name="pictime_order_company_changed"),
            models.Index(fields=["company", "id"], name="pictime_order_company_id"),
        ]

    def __str__(self):
        return f"Order {self.number} ({self.get_status_display()})"

    @property
    def item_count(self):
        return sum(int(item.get("quantity", 0)) for item in self.items)


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
