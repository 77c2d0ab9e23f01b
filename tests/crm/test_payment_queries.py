"""record_payment's queries: a fixed number, however many installments and payments the invoice has,
and the invoice marked paid by whichever of two concurrent last payments commits second."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.payments.models import Invoice, Payment
from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.models import Activity, Project

DUE = datetime.date(2027, 1, 1)


def _invoice(project, amounts):
    return send_invoice(
        create_invoice(project=project, title="Collection", schedule=[(Decimal(a), DUE) for a in amounts])
    )


def _queries_of_payment(installment, amount):
    """The statements record_payment sends, without the savepoints of the test's transaction."""
    with CaptureQueriesContext(connection) as ctx:
        record_payment(installment=installment, amount=Decimal(amount), method="cash")
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


# record_payment's four (the read, the payment, the activity line, the first-paid claim), and the
# receiver's read of whether auto-create applies (pictime; the company has no connection here).
FIRST_PAYMENT_QUERIES = 5


@pytest.mark.django_db
def test_a_first_payment_takes_five_queries_however_long_the_schedule(project, other_project):
    short = _invoice(project, ["100.00", "100.00"])
    assert len(_queries_of_payment(short.installments.get(position=1), "100.00")) == FIRST_PAYMENT_QUERIES

    long = _invoice(other_project, ["10.00"] * 12)
    assert len(_queries_of_payment(long.installments.get(position=1), "10.00")) == FIRST_PAYMENT_QUERIES


@pytest.mark.django_db
def test_later_payments_take_three_queries_however_many_were_made_and_four_to_pay_it_off(project):
    invoice = _invoice(project, ["10.00"] * 12)
    installments = list(invoice.installments.order_by("position"))
    record_payment(installment=installments[0], amount=Decimal("10.00"), method="cash")
    counts = []
    for installment in installments[1:]:
        counts.append(len(_queries_of_payment(installment, "4.00")))
        counts.append(len(_queries_of_payment(installment, "6.00")))  # pays the installment off
    assert counts == [3] * 21 + [4], counts  # the last one also marks the invoice paid
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert Payment.objects.filter(invoice=invoice).count() == 23


@pytest.mark.django_db
def test_the_invoice_is_paid_only_when_every_installment_is(project):
    invoice = _invoice(project, ["100.00", "200.00"])
    first, second = invoice.installments.order_by("position")
    record_payment(installment=second, amount=Decimal("200.00"), method="cash")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    record_payment(installment=first, amount=Decimal("60.00"), method="cash")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.SENT
    with pytest.raises(ValidationError, match=r"The most that can be paid here is \$40\.00"):
        record_payment(installment=first, amount=Decimal("40.01"), method="cash")
    record_payment(installment=first, amount=Decimal("40.00"), method="cash")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    with pytest.raises(ValidationError, match="already paid in full"):
        record_payment(installment=first, amount=Decimal("1.00"), method="cash")


@pytest.mark.django_db
def test_a_payment_changes_nothing_of_another_company(project, other_project):
    mine = _invoice(project, ["100.00"])
    theirs = _invoice(other_project, ["100.00"])
    record_payment(installment=mine.installments.get(), amount=Decimal("100.00"), method="cash")
    theirs.refresh_from_db()
    assert theirs.status == Invoice.Status.SENT
    assert not Payment.objects.filter(invoice=theirs).exists()
    assert Project.objects.get(pk=other_project.pk).first_paid_at is None
    assert not Activity.objects.filter(project=other_project, kind=Activity.Kind.PAYMENT_RECEIVED).exists()
    line = Activity.objects.get(project=project, kind=Activity.Kind.PAYMENT_RECEIVED)
    assert line.message == "Payment received: $100.00 by Cash (invoice #0001, payment 1)"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_last_payments_at_once_leave_the_invoice_paid(project):
    """Each reads the other's installment unpaid; the one that commits second reads again."""
    invoice = _invoice(project, ["100.00", "200.00"])
    first, second = invoice.installments.order_by("position")
    barrier = threading.Barrier(2)
    errors = []

    def pay(installment, amount):
        try:
            barrier.wait(timeout=10)
            record_payment(installment=installment, amount=Decimal(amount), method="cash")
        except Exception as error:  # noqa: BLE001  (reported to the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=pay, args=(first, "100.00")),
        threading.Thread(target=pay, args=(second, "200.00")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert sorted(Payment.objects.filter(invoice=invoice).values_list("number", flat=True)) == [1, 2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_recorded_between_our_read_and_our_insert_makes_us_read_again(project, monkeypatch):
    """Another payment of the invoice commits after our read of the balances: ours can't take the
    number it read as next, so it reads again and is recorded after it, with both balances right."""
    from crm.payments import services

    invoice = _invoice(project, ["100.00", "200.00"])
    first, second = invoice.installments.order_by("position")
    read = services._with_balances
    reads = []

    def read_then_another_payment_commits(installment_id):
        locked = read(installment_id)
        reads.append(locked.last_payment_number)
        if len(reads) == 1:  # in another connection, as another request would
            other = threading.Thread(
                target=lambda: (
                    record_payment(installment=second, amount=Decimal("200.00"), method="cash"),
                    connection.close(),
                )
            )
            other.start()
            other.join(timeout=30)
        return locked

    monkeypatch.setattr(services, "_with_balances", read_then_another_payment_commits)
    ours = record_payment(installment=first, amount=Decimal("100.00"), method="card")

    assert reads == [0, 0, 1]  # ours, the other's (it took number 1), ours again
    assert ours.number == 2
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert list(
        Payment.objects.filter(invoice=invoice).order_by("number").values_list("method", "amount")
    ) == [
        ("cash", Decimal("200.00")),
        ("card", Decimal("100.00")),
    ]
