"""Fixed costs: an auto-create job, a payment and a webhook send the same number of SQL statements
(and the job two calls to Pic-Time) however many projects, galleries and installments there are."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.payments.services import create_invoice, record_payment, send_invoice
from crm.projects.services import create_project
from pictime.models import AutoCreateJob, Connection, GalleryLink, WebhookEvent
from pictime.services import webhooks
from pictime.services.connection import set_auto_create
from pictime.tasks import autocreate_gallery
from tests.factories import deliver, event, link_gallery
from tests.helpers import run_task, statements

# The claim of the job the payment recorded (an UPDATE), its read with the project, client and
# connection (whose token the client takes: no read of its own); the create and the gallery's orders
# (asked as for any new link; a new gallery has none) on the same client; then the link, the job,
# the project's panel version and the activity line.
JOB_QUERIES = 6
RETRY_QUERIES = 6  # the same
JOB_CALLS = 2  # POST /galleries, GET /orders?gallery_id=
WEBHOOK_RECEIPT_QUERIES = 3  # the connection, the event, the delivery log line
# The event (locked), its links (locked), the link, its project's panel version, the event's status.
WEBHOOK_PROCESSING_QUERIES = 5


def _synced(connection):
    """Auto-create on, and the account's orders read once (as connecting does at once)."""
    set_auto_create(connection, True)
    Connection.objects.filter(pk=connection.pk).update(orders_synced_until=timezone.now())


def _paid_project(company, client_person, installments=1):
    """A project with a sent invoice and its first payment recorded (auto-create not run yet)."""
    project = create_project(company=company, client=client_person, name="Ada & Bo Wedding", type="wedding")
    schedule = [(Decimal("100.00"), datetime.date(2027, 1, 1 + i)) for i in range(installments)]
    invoice = send_invoice(create_invoice(project=project, title="Collection", schedule=schedule))
    first = invoice.installments.first()
    payment = record_payment(installment=first, amount=Decimal("100.00"), method="card")
    return project, payment


def _run_job(sandbox, account, project, payment):
    before = sandbox.stats(account["id"])["api_requests"]
    with CaptureQueriesContext(db) as ctx:
        status = run_task(autocreate_gallery, project.pk, payment.pk)
    assert status == AutoCreateJob.Status.SUCCEEDED
    return statements(ctx), sandbox.stats(account["id"])["api_requests"] - before


@pytest.mark.django_db
def test_a_job_takes_the_same_queries_and_calls_however_many_projects_and_galleries(
    connection, company, client_person, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    _synced(connection)
    with django_capture_on_commit_callbacks(execute=False):
        project, payment = _paid_project(company, client_person)
    queries, calls = _run_job(sandbox, pictime_account, project, payment)
    assert (len(queries), calls) == (JOB_QUERIES, JOB_CALLS), queries

    for i in range(5):  # more projects, each with its gallery, and a longer schedule
        other = create_project(company=company, client=client_person, name=f"Other {i}", type="wedding")
        link_gallery(connection, other, sandbox.create_gallery(pictime_account["id"], name=f"Other {i}"))
    with django_capture_on_commit_callbacks(execute=False):
        project, payment = _paid_project(company, client_person, installments=6)
    queries, calls = _run_job(sandbox, pictime_account, project, payment)
    assert (len(queries), calls) == (JOB_QUERIES, JOB_CALLS), queries

    link = GalleryLink.objects.get(project=project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED
    assert AutoCreateJob.objects.get(project=project).link == link
    assert project.activities.filter(message__startswith="Pic-Time gallery created").count() == 1


@pytest.mark.django_db
def test_a_retry_takes_the_same_queries_and_calls(
    connection, company, client_person, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    _synced(connection)
    with django_capture_on_commit_callbacks(execute=False):
        project, payment = _paid_project(company, client_person, installments=3)
    sandbox.set_faults(fail_next=1)
    assert run_task(autocreate_gallery, project.pk, payment.pk) == AutoCreateJob.Status.RETRYING
    AutoCreateJob.objects.filter(project=project).update(next_attempt_at=timezone.now())  # due now
    queries, calls = _run_job(sandbox, pictime_account, project, payment)
    assert (len(queries), calls) == (RETRY_QUERIES, JOB_CALLS), queries
    assert AutoCreateJob.objects.get(project=project).attempts == 2


@pytest.mark.django_db
def test_a_job_of_another_companys_project_changes_nothing_here(
    connection, company, client_person, other_project, django_capture_on_commit_callbacks
):
    """The other company has no connection: its job is not eligible, and ours is untouched."""
    set_auto_create(connection, True)
    invoice = send_invoice(
        create_invoice(
            project=other_project, title="Other", schedule=[(Decimal("50.00"), datetime.date(2027, 1, 1))]
        )
    )
    with django_capture_on_commit_callbacks(execute=False):
        payment = record_payment(
            installment=invoice.installments.get(), amount=Decimal("50.00"), method="cash"
        )
    assert run_task(autocreate_gallery, other_project.pk, payment.pk) == "not_eligible"
    assert not AutoCreateJob.objects.exists()
    assert not GalleryLink.objects.exists()


def _webhook_costs(client, connection, link, gallery, account_id, event_id, seconds):
    data = {**gallery, "image_count": seconds, "updated_at": _later(gallery["updated_at"], seconds)}
    with CaptureQueriesContext(db) as receipt:
        response = deliver(client, connection, event("gallery.updated", data, account_id, event_id))
    assert response.status_code == 202
    stored = WebhookEvent.objects.get(event_id=event_id)
    with CaptureQueriesContext(db) as processing:
        assert webhooks.process(stored.pk).status == WebhookEvent.Status.PROCESSED
    link.refresh_from_db()
    assert link.image_count == seconds
    return len(statements(receipt)), len(statements(processing))


def _later(timestamp, seconds):
    when = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (when + datetime.timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_a_webhook_takes_the_same_queries_however_many_galleries_are_linked(
    client, connection, project, company, client_person, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link = link_gallery(connection, project, gallery)
    first = _webhook_costs(client, connection, link, gallery, pictime_account["id"], "evt_q1", 1)
    assert first == (WEBHOOK_RECEIPT_QUERIES, WEBHOOK_PROCESSING_QUERIES)

    for i in range(8):
        other = create_project(company=company, client=client_person, name=f"Other {i}", type="wedding")
        link_gallery(connection, other, sandbox.create_gallery(pictime_account["id"], name=f"Other {i}"))
    assert _webhook_costs(client, connection, link, gallery, pictime_account["id"], "evt_q2", 2) == first


@pytest.mark.django_db
def test_another_companys_webhook_never_touches_our_link(
    client, connection, project, other_company, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    """An event signed for another company's connection, naming our gallery, changes nothing here."""
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link = link_gallery(connection, project, gallery)
    theirs = Connection.objects.get(pk=connection.pk)
    theirs.pk, theirs.company, theirs.webhook_token = None, other_company, "theirs-token"
    theirs.integration = type(connection.integration).objects.create(
        company=other_company, provider=connection.integration.provider
    )
    theirs.save()
    data = {**gallery, "image_count": 99, "updated_at": _later(gallery["updated_at"], 9)}
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, theirs, event("gallery.updated", data, pictime_account["id"], "evt_x"))
    assert response.status_code == 202
    link.refresh_from_db()
    assert link.image_count == gallery["image_count"]
