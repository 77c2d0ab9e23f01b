"""A photography company (the tenant) and the people who work in it."""

from django.conf import settings
from django.db import models
from django.utils import translation

from crm.money import DEFAULT_LOCALE, locale_choices


class Company(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # How amounts and dates are written on its pages, its client portal and its emails.
    locale = models.CharField(
        max_length=10,
        choices=locale_choices,
        default=DEFAULT_LOCALE,
        help_text="How amounts and dates are written, e.g. $1,500.00 for English (United States).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def language(self) -> str:
        """The company's locale as Django's language code ("en_US" → "en-us"), to activate."""
        return translation.to_language(self.locale)


class Membership(models.Model):
    """A user's place in a company. A user belongs to one company."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "joined_at"]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()}) at {self.company}"

    @property
    def is_owner(self):
        return self.role == self.Role.OWNER


class CompanyScopedQuerySet(models.QuerySet):
    """Every query on user input goes through the company: `Model.objects.for_company(c)`."""

    def for_company(self, company):
        return self.filter(company=company)
