"""Projects (a booked shoot: a wedding, a portrait session…) and their activity feed."""

import secrets

from django.db import models
from django.urls import reverse

from crm.clients.models import Client
from crm.companies.models import Company, CompanyScopedQuerySet


def new_portal_token():
    return secrets.token_urlsafe(32)


class Project(models.Model):
    class Type(models.TextChoices):
        WEDDING = "wedding", "Wedding"
        ENGAGEMENT = "engagement", "Engagement"
        PORTRAIT = "portrait", "Portrait"
        FAMILY = "family", "Family"
        NEWBORN = "newborn", "Newborn"
        EVENT = "event", "Event"
        COMMERCIAL = "commercial", "Commercial"
        OTHER = "other", "Other"

    class Stage(models.TextChoices):
        INQUIRY = "inquiry", "Inquiry"
        PROPOSAL_SENT = "proposal_sent", "Proposal sent"
        BOOKED = "booked", "Booked"
        SHOOT_DONE = "shoot_done", "Shoot done"
        EDITING = "editing", "Editing"
        DELIVERED = "delivered", "Delivered"
        COMPLETED = "completed", "Completed"
        ARCHIVED = "archived", "Archived"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="projects")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.WEDDING)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.INQUIRY)
    event_date = models.DateField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    private_notes = models.TextField(blank=True, help_text="Only visible to you and your team.")
    # The client portal's private link; None once revoked, a new value when re-issued.
    portal_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, default=new_portal_token
    )
    # Set once, by the first successful payment (the claim behind the "project first paid" signal).
    first_paid_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When what an integration shows in the project's workspace last changed (set by the integration,
    # e.g. Pic-Time's galleries and sales): the open workspace polls it to know when to reload them.
    integrations_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["company", "stage"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("project_workspace", args=[self.pk])

    def get_portal_url(self):
        return reverse("portal", args=[self.portal_token]) if self.portal_token else None


class Activity(models.Model):
    """One line of a project's activity feed."""

    class Kind(models.TextChoices):
        PROJECT_CREATED = "project_created", "Project created"
        INVOICE_CREATED = "invoice_created", "Invoice created"
        INVOICE_SENT = "invoice_sent", "Invoice sent"
        PAYMENT_RECEIVED = "payment_received", "Payment received"
        PAYMENT_FAILED = "payment_failed", "Payment failed"
        PORTAL_LINK = "portal_link", "Client portal link"
        STAGE_CHANGED = "stage_changed", "Stage changed"
        INTEGRATION = "integration", "Integration"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"

    def __str__(self):
        return self.message
