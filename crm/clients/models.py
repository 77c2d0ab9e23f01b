"""The photographer's clients (the people who book and pay)."""

from django.db import models

from crm.companies.models import Company, CompanyScopedQuerySet


class Client(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=200)
    first_name = models.CharField(
        max_length=100,
        blank=True,
        help_text="How emails and the portal greet them. Empty: the name's first word.",
    )
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When it was last saved: pages that keep figures with client names key on it (Galleries).
    updated_at = models.DateTimeField(auto_now=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["company", "email"])]

    def __str__(self):
        return self.name

    @property
    def greeting_name(self) -> str:
        """ "Emma" for Emma Carter: their first name, or the first word of their name."""
        return self.first_name.strip() or (self.name.split() or [""])[0]
