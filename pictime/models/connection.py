"""A company's Pic-Time connection: its account, OAuth grant and settings."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from crm.companies.models import Company, CompanyScopedQuerySet
from integrations.fields import EncryptedTextField
from integrations.models import CompanyIntegration
from pictime.errors import NotConnected

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

    def connected(self, company) -> Connection:
        """The company's connection if it can call Pic-Time, else NotConnected: the check of every
        page, form and API call that needs Pic-Time."""
        return Connection.require(self.for_company(company).first())

    def auto_creating(self, company_id: int, first_paid_at) -> bool:
        """Whether Auto-create applies to the company's project first paid at `first_paid_at`: on,
        and turned on before then (not retroactive). Connection.auto_creates is the same rule."""
        return self.filter(
            company_id=company_id, auto_create_enabled=True, auto_create_enabled_at__lte=first_paid_at
        ).exists()


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

    # The gallery settings and the account's brands and presets, as the admin and the API show them.
    GALLERY_SETTINGS = (
        "auto_create_enabled",
        "auto_create_enabled_at",
        "default_brand_id",
        "default_preset_id",
        "portal_intro",
        "brands",
        "presets",
    )

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

    @property
    def webhook_url(self) -> str:
        base = settings.PICTIME_WEBHOOK_BASE_URL or settings.SITE_URL
        return base + reverse("pictime:webhook", args=[self.webhook_token])

    def auto_creates(self, first_paid_at) -> bool:
        """Whether Auto-create applies to a project first paid at `first_paid_at` (the rule of
        ConnectionQuerySet.auto_creating, on a loaded row)."""
        enabled_at = self.auto_create_enabled_at
        return self.auto_create_enabled and enabled_at is not None and enabled_at <= first_paid_at

    @staticmethod
    def require(connection: Connection | None) -> Connection:
        """The connection, if it can call Pic-Time; NotConnected (saying connect or reconnect) if not."""
        if connection is None or not connection.is_connected:
            raise NotConnected.of(connection)
        return connection

    def api(self, *, access_token: str = "", background: bool = False, returning: bool = False):
        """The one way to get the connection's Pic-Time API client, with a valid access token (the
        one this row was read with: no read of its own; refreshed first when it is about to expire,
        and again when Pic-Time refuses it), held to the account's shared rate limit; NotConnected
        when the company has no usable grant.

        `access_token` only while connecting: the new grant's token reads the account before anything
        is stored (the connection may be unsaved then). `background`: for tasks, whose calls are
        paced one at a time (pictime.ratelimit); a person's click may use the burst. `returning`: a
        task back for the turn the limit gave it.
        """
        # The client and the tokens import these models: imported when first called.
        from pictime import ratelimit
        from pictime.client import PicTimeClient
        from pictime.tokens import ConnectionTokens, access_token_of

        base, timeout = settings.PICTIME_BASE_URL, settings.PICTIME_TIMEOUT
        if access_token:
            return PicTimeClient(base, access_token, timeout=timeout, company_id=self.company_id)
        Connection.require(self)
        return PicTimeClient(
            base,
            access_token_of(self),
            timeout=timeout,
            company_id=self.company_id,
            tokens=ConnectionTokens(self.pk),
            limiter=ratelimit.for_account(self.account_id, background=background, returning=returning),
            max_inline_wait=settings.PICTIME_RATE_LIMIT_INLINE_WAIT_SECONDS if background else 0.0,
        )
