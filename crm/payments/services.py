"""Use cases of invoices and payments. `record_payment()` is the one way a payment enters the CRM."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.money import format_money
from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project

from .models import ZERO, Installment, Invoice, Payment
from .processors import Card, CardDeclined, get_processor
from .signals import project_first_paid


def create_invoice(*, project: Project, title: str, schedule: list[tuple[Decimal, date]]) -> Invoice:
    """An invoice whose payment schedule is a list of (amount, due date), in order."""
    if not schedule:
        raise ValidationError("An invoice needs at least one payment.")
    for amount, _due in schedule:
        if amount is None or amount <= 0:
            raise ValidationError("Every payment amount must be more than zero.")
    with transaction.atomic():
        # Lock the company row so two invoices created at once don't take the same number.
        type(project.company).objects.select_for_update().get(pk=project.company_id)
        last = Invoice.objects.filter(company_id=project.company_id).aggregate(n=Max("number"))["n"] or 0
        invoice = Invoice.objects.create(
            company_id=project.company_id, project=project, number=last + 1, title=title
        )
        Installment.objects.bulk_create(
            Installment(invoice=invoice, position=i, amount=amount, due_date=due)
            for i, (amount, due) in enumerate(schedule, start=1)
        )
        log_activity(project, Activity.Kind.INVOICE_CREATED, f"Invoice {invoice.display_number} created")
    return invoice


def send_invoice(invoice: Invoice) -> Invoice:
    """Marks the invoice as sent: the client can now pay it in the portal."""
    if invoice.status == Invoice.Status.DRAFT:
        invoice.status = Invoice.Status.SENT
        invoice.sent_at = timezone.now()
        invoice.save(update_fields=["status", "sent_at"])
        log_activity(invoice.project, Activity.Kind.INVOICE_SENT, f"Invoice {invoice.display_number} sent")
    return invoice


def project_invoices_and_payments(project: Project) -> tuple[list[Invoice], list[Payment]]:
    """The project's invoices, each with `schedule` (its installments in order, `paid` on each),
    and all their payments newest first, each with its invoice and installment.

    Three queries however many invoices and payments there are; one when the project has none."""
    # Explicitly ordered: Django leaves out Meta.ordering in a query with GROUP BY (with_paid's sum).
    installments = Installment.objects.with_paid().order_by("position")
    schedule = Prefetch("installments", queryset=installments, to_attr="schedule")
    invoices = list(Invoice.objects.filter(project=project).prefetch_related(schedule))
    if not invoices:  # then there are no payments either
        return [], []
    payments = list(Payment.objects.filter(project=project).select_related("invoice", "installment"))
    return invoices, payments


def overdue_amount(project_ref, today):
    """An expression for Project querysets: what is overdue in the project (installments of sent
    invoices due before `today`, less what was paid of each), None when nothing is."""
    paid = (
        Payment.objects.filter(installment=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
        .order_by()
        .values("installment")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = models.DecimalField(max_digits=12, decimal_places=2)
    late = (
        Installment.objects.filter(
            invoice__project=project_ref, invoice__status=Invoice.Status.SENT, due_date__lt=today
        )
        .annotate(left=F("amount") - Coalesce(Subquery(paid, output_field=money), ZERO, output_field=money))
        .filter(left__gt=0)
        .order_by()
        .values("invoice__project")
        .annotate(total=Sum("left"))
        .values("total")
    )
    return Subquery(late, output_field=money)


def installment_balance(installment: Installment) -> Decimal:
    paid = Installment.objects.with_paid().get(pk=installment.pk).paid
    return installment.amount - paid


def record_payment(
    *,
    installment: Installment,
    amount: Decimal,
    method: str,
    reference: str = "",
    card_last4: str = "",
    recorded_by=None,
    paid_at=None,
) -> Payment:
    """Records a successful payment against an installment.

    Refuses amounts that are not positive or exceed what is still due. In its transaction, the first
    successful payment of a project sends `project_first_paid` exactly once: the claim is a
    conditional UPDATE on the project row, which two concurrent payments can't both win.

    Three queries, four for a project's first payment (and its receivers' own: pictime's, one or
    two), one more when it pays the invoice off, however many installments and payments the invoice
    has: the rows, both balances and the invoice's last payment number in one read; the payment,
    numbered next (of two payments written from the same read only one is: the other reads again);
    the activity line; the first-paid claim; the invoice marked paid.
    """
    if amount is None or amount <= 0:
        raise ValidationError({"amount": "Enter an amount greater than zero."})
    if method not in Payment.Method.values:
        raise ValidationError({"method": "Choose how the payment was made."})
    fields = {"method": method, "reference": reference, "card_last4": card_last4, "recorded_by": recorded_by}
    while True:
        try:
            with transaction.atomic():
                return _record(installment.pk, amount, paid_at=paid_at or timezone.now(), **fields)
        except _NumberTaken as taken:
            if not taken.by_another_payment():
                raise taken.__cause__ from None
            # Another payment of the invoice was recorded after our read: read the balances again.


class _NumberTaken(Exception):
    """The payment's INSERT was refused: its number went to a payment recorded meanwhile, usually."""

    def __init__(self, invoice_id: int, number: int):
        self.invoice_id, self.number = invoice_id, number

    def by_another_payment(self) -> bool:
        return Payment.objects.filter(invoice_id=self.invoice_id, number=self.number).exists()


def _with_balances(installment_id):
    """The installment with its invoice, project and company, the invoice's total, what was paid of
    the installment and of the invoice, and the invoice's last payment number: one query."""
    money = models.DecimalField(max_digits=12, decimal_places=2)

    def total(rows, by):
        summed = rows.order_by().values(by).annotate(total=Sum("amount")).values("total")
        return Coalesce(Subquery(summed, output_field=money), ZERO, output_field=money)

    # The newest by the (invoice, number) unique index; an aggregate costs more to build than to run.
    last = Payment.objects.filter(invoice_id=OuterRef("invoice_id")).order_by("-number").values("number")[:1]
    succeeded = Payment.objects.filter(status=Payment.Status.SUCCEEDED)
    return (
        Installment.objects.select_related("invoice__project__company")
        .annotate(
            installment_paid=total(succeeded.filter(installment_id=OuterRef("pk")), "installment_id"),
            invoice_paid=total(succeeded.filter(invoice_id=OuterRef("invoice_id")), "invoice_id"),
            invoice_total=total(Installment.objects.filter(invoice_id=OuterRef("invoice_id")), "invoice_id"),
            last_payment_number=Coalesce(Subquery(last), 0),
        )
        .get(pk=installment_id)
    )


def _record(installment_id, amount, *, paid_at, **fields) -> Payment:
    """One attempt, in a transaction; raises _NumberTaken when the payment's number is taken."""
    locked = _with_balances(installment_id)
    invoice, project = locked.invoice, locked.invoice.project
    company = project.company
    balance = locked.amount - locked.installment_paid
    if balance <= ZERO:
        raise ValidationError({"amount": "This payment is already paid in full."})
    if amount > balance:
        most = format_money(balance, company.currency, company.locale)
        raise ValidationError({"amount": f"The most that can be paid here is {most}."})
    number = locked.last_payment_number + 1
    try:
        payment = Payment.objects.create(
            company_id=project.company_id,
            project=project,
            invoice=invoice,
            installment=locked,
            amount=amount,
            paid_at=paid_at,
            number=number,
            **fields,
        )
    except IntegrityError as refused:
        raise _NumberTaken(invoice.pk, number) from refused
    if locked.invoice_paid + amount >= locked.invoice_total:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    log_activity(
        project,
        Activity.Kind.PAYMENT_RECEIVED,
        f"Payment received: {format_money(amount, company.currency, company.locale)} "
        f"by {payment.get_method_display()} "
        f"(invoice {invoice.display_number}, payment {locked.position})",
    )
    # A project paid before stays paid (first_paid_at is never cleared): no claim to make. A first
    # payment is news to what integrations show in the workspace (a gallery being made): its open
    # panels reload, with no statement of their own.
    first = project.first_paid_at is None and Project.objects.filter(
        pk=project.pk, first_paid_at__isnull=True
    ).update(first_paid_at=payment.paid_at, integrations_changed_at=timezone.now())
    if first:  # in this transaction: what it causes is recorded with the payment (see the signal)
        project_first_paid.send(
            sender=Payment,
            project_id=project.pk,
            payment_id=payment.pk,
            company_id=project.company_id,
            paid_at=payment.paid_at,
        )
    return payment


def pay_by_card(*, installment: Installment, card: Card) -> Payment:
    """A client pays an installment in full from the portal with a card.

    A declined card raises CardDeclined and records nothing but a line in the activity feed.
    """
    balance = installment_balance(installment)
    if balance <= ZERO:
        raise ValidationError("This payment is already paid in full.")
    project = installment.invoice.project
    processor = get_processor()
    try:
        charge = processor.charge(
            amount=balance,
            currency=project.company.currency,
            card=card,
            description=f"{project.company.name}: {installment}",
        )
    except CardDeclined as declined:
        log_activity(project, Activity.Kind.PAYMENT_FAILED, f"Card payment declined: {declined}")
        raise
    try:
        return record_payment(
            installment=installment,
            amount=charge.amount,
            method=Payment.Method.CARD,
            reference=charge.id,
            card_last4=charge.last4,
        )
    except Exception:
        # Paid by someone else meanwhile, or the database failed: never keep money we didn't record.
        processor.refund(charge.id)
        raise
