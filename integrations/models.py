"""One company's installation of one integration provider."""

from django.db import models

from crm.companies.models import Company, CompanyScopedQuerySet


class CompanyIntegration(models.Model):
    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECTION = "needs_reconnection", "Needs reconnection"
        DISCONNECTED = "disconnected", "Disconnected"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="integrations")
    provider = models.CharField(max_length=50, help_text="The provider's key in the registry, e.g. pictime")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DISCONNECTED)
    last_error = models.TextField(blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["company", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["company", "provider"], name="one_integration_per_provider")
        ]

    def __str__(self):
        return f"{self.provider} for {self.company} ({self.get_status_display()})"

    @property
    def is_connected(self):
        return self.status == self.Status.CONNECTED
