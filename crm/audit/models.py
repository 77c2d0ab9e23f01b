"""The audit trail: who did what to which object, when, and how it ended.

Written by `crm.audit.services.record()` for every action support staff take in the admin (re-run a
sync, retry an auto-create, disconnect) and by the management commands. Rows are never edited.
"""

from django.conf import settings
from django.db import models

from crm.companies.models import Company, CompanyScopedQuerySet


class AuditEntry(models.Model):
    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the trail still names the person after their account is deleted.
    actor_repr = models.CharField("actor", max_length=254)
    action = models.CharField(max_length=100, db_index=True, help_text="e.g. pictime.run_sync")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_entries"
    )
    target_type = models.CharField(max_length=100, help_text="app_label.model of the target")
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField("target", max_length=300)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.actor_repr}: {self.action} on {self.target_repr} ({self.outcome})"
