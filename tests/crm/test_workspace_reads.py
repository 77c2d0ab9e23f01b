"""The workspace's reads (crm.projects.services.workspace): the company's project only, with its
client, invoices, payments and feed as stored."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from crm.payments.models import Installment, Invoice
from crm.payments.services import create_invoice, record_payment
from crm.projects.activity import log_activity
from crm.projects.models import Activity, Project
from crm.projects.services import create_project, workspace

pytestmark = pytest.mark.django_db


def test_invoices_and_their_schedules_read_as_stored(company, project):
    create_invoice(project=project, title="Prints", schedule=[(Decimal("200.00"), datetime.date(2027, 3, 1))])
    create_invoice(project=project, title="Album", schedule=[(Decimal("80.50"), datetime.date(2027, 4, 1))])

    invoices = workspace(company, project.pk)["invoices"]

    names = ("pk", "number", "title", "status", "created_at")
    orm = Invoice.objects.filter(project=project)
    assert [[getattr(i, n) for n in names] for i in invoices] == [[getattr(i, n) for n in names] for i in orm]
    assert [inst.amount for invoice in invoices for inst in invoice.schedule] == [
        Decimal("200.00"),
        Decimal("80.50"),
    ]


def test_paid_amounts_and_payments_read_as_stored(company, project, installment):
    record_payment(installment=installment, amount=Decimal("250.50"), method="cash")
    second = installment.invoice.installments.get(position=2)
    record_payment(installment=second, amount=Decimal("10.00"), method="cash")

    context = workspace(company, project.pk)

    paid = [inst.paid for invoice in context["invoices"] for inst in invoice.schedule]
    assert paid == [Decimal("250.50"), Decimal("10.00")]  # in the schedule's order
    assert all(type(amount) is Decimal for amount in paid)  # SQLite answers the sum as a float
    orm = [
        inst.paid
        for inst in Installment.objects.with_paid().filter(invoice__project=project).order_by("position")
    ]
    assert [str(amount) for amount in paid] == [str(amount) for amount in orm]
    assert [(p.amount, p.invoice.pk, p.installment.position) for p in context["payments"]] == [
        (Decimal("10.00"), installment.invoice_id, 2),  # newest first
        (Decimal("250.50"), installment.invoice_id, 1),
    ]


def test_the_feed_is_the_projects_own_newest_first(company, client_person, project):
    second = create_project(company=company, client=client_person, name="Second shoot", type="portrait")
    for n in range(3):
        log_activity(project, Activity.Kind.INTEGRATION, f"Line {n}")
    log_activity(second, Activity.Kind.INTEGRATION, "Only in the second")

    feed = [a.message for a in workspace(company, project.pk)["activities"]]
    assert feed[:3] == ["Line 2", "Line 1", "Line 0"]
    assert "Only in the second" not in feed
    assert "Only in the second" in [a.message for a in workspace(company, second.pk)["activities"]]


def test_another_companys_project_is_not_found(company, owner_client, other_project):
    with pytest.raises(Project.DoesNotExist):
        workspace(company, other_project.pk)
    assert workspace(other_project.company, other_project.pk)["project"] == other_project
    assert owner_client.get(reverse("project_workspace", args=[other_project.pk])).status_code == 404


def test_an_id_beyond_any_column_finds_nothing(company, owner_client):
    huge = 10**20
    with pytest.raises(Project.DoesNotExist):
        workspace(company, huge)
    assert owner_client.get(f"/projects/{huge}/").status_code == 404


def test_the_workspace_shows_the_projects_client(owner_client, project):
    project.client.name = "Bella O'Bride"
    project.client.save()
    html = owner_client.get(reverse("project_workspace", args=[project.pk])).content.decode()
    assert "Bella O&#39;Bride" in html
    assert f'href="mailto:{project.client.email}"' in html
