"""Invoices with a payment schedule (installments), and the payments made against them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.companies.models import Company, CompanyScopedQuerySet
from crm.projects.models import Project

ZERO = Decimal("0.00")


class Invoice(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        PAID = "paid", "Paid"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invoices")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invoices")
    number = models.PositiveIntegerField(help_text="Numbered per company: 1, 2, 3…")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["company", "number"], name="invoice_number_unique_per_company")
        ]

    def __str__(self):
        return f"Invoice #{self.number:04d} · {self.title}"

    @property
    def display_number(self):
        return f"#{self.number:04d}"

    def overdue(self):
        """Its overdue installments (needs `schedule`, with `paid`)."""
        return [inst for inst in getattr(self, "schedule", ()) if inst.is_overdue]

    @property
    def status_label(self):
        """ "Partly paid" for a sent invoice with some payments (needs `schedule`, with `paid`)."""
        schedule = getattr(self, "schedule", None) or []
        if self.status == self.Status.SENT and any(inst.paid for inst in schedule):
            return "Partly paid"
        return self.get_status_display()


class InstallmentQuerySet(models.QuerySet):
    def with_paid(self):
        return self.annotate(
            paid=Coalesce(
                Sum("payments__amount", filter=Q(payments__status="succeeded")),
                ZERO,
                output_field=models.DecimalField(max_digits=10, decimal_places=2),
            )
        )


class Installment(models.Model):
    """One step of an invoice's payment schedule: an amount due by a date."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="installments")
    position = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    due_date = models.DateField()

    objects = InstallmentQuerySet.as_manager()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="installment_position_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="installment_amount_positive"),
        ]

    def __str__(self):
        return f"Payment {self.position} of {self.invoice}"

    @property
    def due_now(self) -> Decimal:
        """What is still to pay (needs `paid`, from with_paid())."""
        return max(self.amount - self.paid, ZERO)

    @property
    def is_overdue(self) -> bool:
        """Past its due date and not paid in full, on an invoice the client was sent (needs `paid`;
        reads the invoice, which the prefetches of the workspace and the portal have set)."""
        return (
            self.invoice.status == Invoice.Status.SENT
            and self.paid < self.amount
            and self.due_date < timezone.localdate()
        )


class Payment(models.Model):
    class Method(models.TextChoices):
        CARD = "card", "Card"
        CASH = "cash", "Cash"
        CHECK = "check", "Check"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        REFUNDED = "refunded", "Refunded"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="payments")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    reference = models.CharField(max_length=100, blank=True, help_text="Check number, transfer or charge id")
    card_last4 = models.CharField(max_length=4, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField()
    # 1, 2, 3… within the invoice. Unique, so of two payments recorded at once from the same read of
    # the balances only one is written: the other reads them again (record_payment).
    number = models.PositiveIntegerField(editable=False, help_text="The payment's number within its invoice")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CompanyScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["invoice", "number"], name="payment_number_unique_per_invoice"),
        ]

    def __str__(self):
        return f"{self.amount} by {self.get_method_display()} on {self.paid_at:%Y-%m-%d}"
