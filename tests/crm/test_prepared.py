"""Prepared queries (crm/prepared.py) answer the same rows as the ORM, bound to each call's arguments."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.clients.models import Client
from crm.payments.models import Installment, Invoice
from crm.payments.services import create_invoice, project_invoices_and_payments, record_payment
from crm.prepared import prepared
from crm.projects.activity import log_activity, recent_activities
from crm.projects.models import Activity, Project
from crm.projects.services import create_project, workspace_project

pytestmark = pytest.mark.django_db


def _fields(instances, *names):
    return [tuple(getattr(instance, name) for name in names) for instance in instances]


def test_rows_are_the_orms_with_the_same_types(project):
    create_invoice(project=project, title="Prints", schedule=[(Decimal("200.00"), datetime.date(2027, 3, 1))])
    create_invoice(project=project, title="Album", schedule=[(Decimal("80.50"), datetime.date(2027, 4, 1))])
    for n in range(3):
        log_activity(project, Activity.Kind.INTEGRATION, f"Line {n}")

    invoices, _ = project_invoices_and_payments(project)
    orm = list(Invoice.objects.filter(project=project))
    names = ("pk", "number", "title", "status", "created_at")
    assert _fields(invoices, *names) == _fields(orm, *names)
    assert [inst.amount for invoice in invoices for inst in invoice.schedule] == [
        Decimal("200.00"),
        Decimal("80.50"),
    ]
    assert all(isinstance(invoice, Invoice) and invoice.created_at.tzinfo for invoice in invoices)

    feed = list(recent_activities(project.pk))
    assert [a.message for a in feed[:3]] == ["Line 2", "Line 1", "Line 0"]
    names = ("pk", "kind", "message", "created_at")
    assert _fields(feed, *names) == _fields(project.activities.all()[:20], *names)


def test_each_call_binds_its_own_arguments(company, client_person, project, other_project):
    second = create_project(company=company, client=client_person, name="Second shoot", type="portrait")
    log_activity(second, Activity.Kind.INTEGRATION, "Only in the second")

    assert "Only in the second" not in [a.message for a in recent_activities(project.pk)]
    assert "Only in the second" in [a.message for a in recent_activities(second.pk)]
    assert [p.name for p in workspace_project(company.pk, second.pk)] == ["Second shoot"]
    # Another company's project is not found through this company, and is through its own.
    assert list(workspace_project(company.pk, other_project.pk)) == []
    assert [p.pk for p in workspace_project(other_project.company_id, other_project.pk)] == [other_project.pk]


def test_annotations_are_set_on_each_row_with_the_orms_types(company, project, installment):
    (row,) = workspace_project(company.pk, project.pk)
    assert (row.client_name, row.client_email) == (project.client.name, project.client.email)
    assert isinstance(row, Project) and row.name == project.name
    assert row.has_invoices is True  # SQLite answers EXISTS with 1

    record_payment(installment=installment, amount=Decimal("250.50"), method="cash")
    invoices, payments = project_invoices_and_payments(project)
    paid = [inst.paid for invoice in invoices for inst in invoice.schedule]
    assert paid == [Decimal("250.50"), Decimal("0.00")]
    assert all(type(amount) is Decimal for amount in paid)  # SQLite answers the sum as a float
    orm = [inst.paid for inst in Installment.objects.with_paid().filter(invoice__project=project)]
    assert [str(amount) for amount in paid] == [str(amount) for amount in orm]
    assert [(p.amount, p.invoice.pk, p.installment.position) for p in payments] == [
        (Decimal("250.50"), installment.invoice_id, 1)
    ]


def test_the_sql_is_built_once_and_each_call_is_one_query(company, project):
    builds = []

    @prepared
    def named(company_id, name):
        builds.append(name)
        return Client.objects.filter(company_id=company_id, name=name)

    first = project.client.name
    Client.objects.create(company=company, name="Dora Groom", email="dora@example.com")
    with CaptureQueriesContext(connection) as queries:
        assert [c.name for c in named(company.pk, first)] == [first]
        assert [c.email for c in named(company.pk, "Dora Groom")] == ["dora@example.com"]
        assert list(named(company.pk, "Nobody")) == []
    assert len(queries) == 3
    assert len(builds) == 1  # with marker values, not the arguments
    assert builds[0] not in (first, "Dora Groom", "Nobody")


def test_an_id_beyond_any_column_finds_nothing(company, owner_client):
    huge = 10**20
    assert list(workspace_project(company.pk, huge)) == []
    response = owner_client.get(f"/projects/{huge}/")
    assert response.status_code == 404


def test_a_query_it_cant_prepare_is_refused_when_first_called(company):
    @prepared
    def with_client(company_id):
        return Project.objects.filter(company_id=company_id).select_related("client")

    @prepared
    def ignores_one(company_id, name):
        return Project.objects.filter(company_id=company_id)

    @prepared
    def named(company_id, names):
        return Project.objects.filter(company_id=company_id, name__in=names)

    with pytest.raises(TypeError, match="related objects"):
        list(with_client(company.pk))
    with pytest.raises(ValueError, match="argument 1"):
        list(ignores_one(company.pk, "Bella"))
    with pytest.raises(TypeError, match="ids and strings"):
        list(named(company.pk, ["A", "B"]))


def test_the_workspace_shows_the_client_from_the_prepared_row(owner_client, project):
    project.client.name = "Bella O'Bride"
    project.client.save()
    html = owner_client.get(reverse("project_workspace", args=[project.pk])).content.decode()
    assert "Bella O&#39;Bride" in html
    assert f'href="mailto:{project.client.email}"' in html


def test_prepared_annotations_keep_the_orm_column_names(company, project):
    @prepared
    def with_stage(company_id):
        return Project.objects.filter(company_id=company_id).annotate(shown_stage=F("stage"))

    assert [p.shown_stage for p in with_stage(company.pk)] == [project.stage]
