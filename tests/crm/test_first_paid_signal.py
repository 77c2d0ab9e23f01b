"""The "project first paid" signal: once per project, inside the payment's transaction, never for a
declined card."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.payments.models import Payment
from crm.payments.processors import Card, CardDeclined
from crm.payments.services import pay_by_card, record_payment
from crm.payments.signals import project_first_paid
from crm.projects.models import Activity, Project
from tests.waiting import at_once

GOOD_CARD = Card(number="4242424242424242", exp_month=12, exp_year=2039, cvc="123", name="Bella Bride")
DECLINED_CARD = Card(number="4000000000000002", exp_month=12, exp_year=2039, cvc="123", name="Bella Bride")


@pytest.fixture
def first_paid():
    """Every project_first_paid the test's code sends, with its arguments."""
    calls = []
    lock = threading.Lock()

    def receiver(sender, signal, **kwargs):
        with lock:
            calls.append({"sender": sender, **kwargs})

    project_first_paid.connect(receiver, weak=False, dispatch_uid="test-first-paid")
    yield calls
    project_first_paid.disconnect(dispatch_uid="test-first-paid")


@pytest.mark.django_db
def test_it_fires_once_for_two_sequential_payments(invoice, first_paid, django_capture_on_commit_callbacks):
    first, second = invoice.installments.order_by("position")
    with django_capture_on_commit_callbacks(execute=True):
        p1 = record_payment(installment=first, amount=Decimal("1000.00"), method="check")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(installment=second, amount=Decimal("500.00"), method="cash")
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(installment=second, amount=Decimal("2000.00"), method="cash")

    assert first_paid == [
        {
            "sender": Payment,
            "project_id": invoice.project_id,
            "payment_id": p1.pk,
            "company_id": invoice.company_id,
            "paid_at": p1.paid_at,
        }
    ]
    project = Project.objects.get(pk=invoice.project_id)
    assert project.first_paid_at == p1.paid_at
    assert Payment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_it_is_sent_inside_the_payment_transaction(installment, first_paid):
    """What the payment causes is recorded with it: the receivers run in its transaction, where the
    payment is already written."""
    seen = []

    def receiver(sender, payment_id, **kwargs):
        seen.append(
            (transaction.get_connection().in_atomic_block, Payment.objects.filter(pk=payment_id).exists())
        )

    project_first_paid.connect(receiver, weak=False, dispatch_uid="test-in-transaction")
    try:
        record_payment(installment=installment, amount=Decimal("100.00"), method="cash")
    finally:
        project_first_paid.disconnect(dispatch_uid="test-in-transaction")
    assert seen == [(True, True)]
    assert len(first_paid) == 1


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_fails_rolls_the_payment_back_and_the_next_payment_is_the_first(
    installment, first_paid
):
    def broken(sender, **kwargs):
        raise RuntimeError("the database refused the receiver's row")

    project_first_paid.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            record_payment(installment=installment, amount=Decimal("100.00"), method="cash")
    finally:
        project_first_paid.disconnect(dispatch_uid="test-broken")
    assert Payment.objects.count() == 0
    assert Project.objects.get(pk=installment.invoice.project_id).first_paid_at is None

    payment = record_payment(installment=installment, amount=Decimal("100.00"), method="cash")
    # Sent again for the payment that was recorded: the first payment of the project after all.
    assert first_paid[-1]["payment_id"] == payment.pk
    assert Project.objects.get(pk=installment.invoice.project_id).first_paid_at == payment.paid_at


@pytest.mark.django_db
def test_it_fires_once_for_a_card_payment(installment, first_paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay_by_card(installment=installment, card=GOOD_CARD)
    assert [c["payment_id"] for c in first_paid] == [payment.pk]
    assert payment.card_last4 == "4242"
    assert payment.amount == Decimal("1000.00")


@pytest.mark.django_db
def test_it_does_not_fire_for_a_declined_card(installment, first_paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CardDeclined):
        pay_by_card(installment=installment, card=DECLINED_CARD)
    assert first_paid == []
    assert Payment.objects.count() == 0
    project = Project.objects.get(pk=installment.invoice.project_id)
    assert project.first_paid_at is None
    assert project.activities.filter(kind=Activity.Kind.PAYMENT_FAILED).count() == 1


@pytest.mark.django_db
def test_it_does_not_fire_for_a_refused_amount(installment, first_paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        record_payment(installment=installment, amount=Decimal("1000.01"), method="cash")
    assert first_paid == []
    assert Payment.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_fires_once_for_two_payments_committed_at_the_same_time(invoice, first_paid):
    first, second = invoice.installments.order_by("position")
    results, errors = at_once(
        lambda: record_payment(installment=first, amount=Decimal("1000.00"), method="check"),
        lambda: record_payment(installment=second, amount=Decimal("2500.00"), method="bank_transfer"),
    )
    assert errors == [None, None]
    assert Payment.objects.filter(project_id=invoice.project_id).count() == 2
    assert len(first_paid) == 1
    assert first_paid[0]["project_id"] == invoice.project_id
    assert first_paid[0]["payment_id"] in {p.pk for p in results}
    project = Project.objects.get(pk=invoice.project_id)
    assert project.first_paid_at == Payment.objects.get(pk=first_paid[0]["payment_id"]).paid_at


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payments_of_the_same_installment_at_once_never_overpay_it(installment, first_paid):
    results, errors = at_once(
        lambda: record_payment(installment=installment, amount=Decimal("1000.00"), method="check"),
        lambda: record_payment(installment=installment, amount=Decimal("1000.00"), method="cash"),
    )
    assert sorted(e is None for e in errors) == [False, True]
    refused = next(e for e in errors if e is not None)
    assert isinstance(refused, ValidationError)
    assert refused.message_dict == {"amount": ["This payment is already paid in full."]}
    assert Payment.objects.count() == 1
    assert len(first_paid) == 1
