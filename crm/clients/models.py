"""The photographer's clients (the people who book and pay)."""

from django.db import models

from crm.companies.models import Company, CompanyScopedQuerySet


class Client(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="clients")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["company", "email"])]

    def __str__(self):
        return self.name
