"""A Pic-Time gallery linked to a project, and what the link copies from Pic-Time's state."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.companies.models import Company, CompanyScopedQuerySet
from crm.projects.models import Project
from pictime.models.connection import Connection
from pictime.signals import gallery_published

log = logging.getLogger(__name__)


class GalleryLinkQuerySet(CompanyScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def touch_projects(self) -> int:
        """Tells the open workspaces of these links' projects that what their Pic-Time panel shows
        changed (services.live reads it). Called by the services that change it, after their write."""
        return touch_projects(self.values("project_id"))


def touch_projects(project_ids) -> int:
    """The projects' live panels show something new (ids, or a query of them)."""
    return Project.objects.filter(pk__in=project_ids).update(integrations_changed_at=timezone.now())


def touch_company(company_id: int) -> int:
    """Every panel of the company shows something new: the connection's status (connected, needs
    reconnection, a refresh asked again). Rare, so one UPDATE of its projects beats a join in every
    poll (services.live)."""
    return Project.objects.filter(company_id=company_id).update(integrations_changed_at=timezone.now())


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
    # after its time is sent again by the beat's sweep (services.pending). Its tries that failed are
    # counted here, not in the task's message, so a message sent again carries on the count: 0 again
    # when it is recorded anew or done; kept when it is given up (no time, a count).
    ready_email_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The gallery-ready email and Delivered wait for a worker"
    )
    ready_email_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Tries of the gallery-ready email that failed"
    )
    orders_due_at = models.DateTimeField(
        null=True, blank=True, help_text="The gallery's earlier orders wait for a worker"
    )
    orders_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Tries of the earlier orders' fetch that failed"
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

    # What a link copies from Pic-Time's gallery (apply_remote): the fields a sync writes.
    REMOTE_FIELDS = [
        "name", "slug", "status", "published_at", "image_count", "cover_url", "public_url", "edit_url",
        "event_date", "expires_at", "client_name", "client_email", "remote_updated_at", "deleted_at",
        "last_synced_at", "last_sync_error",
    ]  # fmt: skip

    @classmethod
    def to_gallery(cls, project, connection, gallery, *, origin, created_by=None) -> GalleryLink:
        """An unsaved link of the project to a gallery of the connection's account, with its figures."""
        link = cls(
            company_id=project.company_id,
            project=project,
            connection=connection,
            account_id=connection.account_id,
            gallery_id=gallery.id,
            origin=origin,
            created_by=created_by,
        )
        link.apply_remote(gallery)
        return link

    def apply_remote(self, gallery) -> list[str] | None:
        """Copies Pic-Time's state of the gallery onto the link (unsaved): the fields whose value
        changed ([]: the same state again), or None when the state is older than ours (webhooks can
        arrive out of order) and nothing was applied. A gallery of a saved link going online sends
        `gallery_published` (the ready email and Delivered, pictime.receivers)."""
        if self.remote_updated_at and gallery.updated_at < self.remote_updated_at:
            return None
        # A new link of a gallery that is already online is not a publication.
        published = (
            self.pk is not None
            and gallery.status == self.Status.ONLINE
            and (self.status != self.Status.ONLINE or self.is_deleted)
            and self.ready_email_status in ("", ReadyEmail.FAILED)
        )
        client = gallery.client
        values = {
            "name": gallery.name[:200],
            "slug": gallery.slug or "",
            "status": gallery.status,
            "published_at": gallery.published_at,
            "image_count": gallery.image_count,
            "event_date": gallery.event_date,
            "expires_at": gallery.expires_at,
            "client_name": client.name if client else "",
            "client_email": (client.email or "") if client else "",
            "remote_updated_at": gallery.updated_at,
            "deleted_at": None,
        }
        refused = dict(gallery.refused_urls)
        for name in ("cover_url", "public_url", "edit_url"):
            if name in refused:  # not a safe link (pictime.links.UrlPolicy): keep the one we had
                log.warning(
                    "pictime.gallery.url_refused",
                    extra={"gallery": gallery.id, "field": name, "reason": refused[name]},
                )
            else:
                values[name] = getattr(gallery, name) or ""
        changed = [name for name, value in values.items() if getattr(self, name) != value]
        for name, value in values.items():
            setattr(self, name, value)
        self.last_synced_at = timezone.now()
        self.last_sync_error = ""
        if published:
            gallery_published.send(sender=GalleryLink, link=self)
        return changed

    def mark_deleted(self, when=None) -> None:
        """Pic-Time deleted the gallery (unsaved): the link stays, shown as deleted, not dropped."""
        self.deleted_at = when or timezone.now()
        self.status = self.Status.OFFLINE
        self.last_synced_at = timezone.now()

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
        return bool(self.public_url) and self.is_online and not self.is_expired_at(timezone.now())
