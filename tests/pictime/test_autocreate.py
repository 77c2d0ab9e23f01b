"""Auto-create: a project's first payment makes exactly one offline Pic-Time gallery, linked to it.

Pic-Time's API is mocked on the network (tests/pictime/offline.py): each test registers the answers
it expects (a create answers the same gallery for the same Idempotency-Key, as Pic-Time does), every
one must be asked for, and what was asked is checked."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone
from responses import matchers

from crm.payments.models import Payment
from crm.payments.services import record_payment
from crm.payments.signals import project_first_paid
from crm.projects.models import Activity
from integrations.models import CompanyIntegration
from pictime.models import AutoCreateJob, GalleryLink
from pictime.schemas import TokenSet
from pictime.services import autocreate
from pictime.services.connection import connect_account, set_auto_create
from pictime.tasks import run_pending_work
from tests.fixtures import PICTIME_API, PICTIME_URL
from tests.helpers import feed, pay
from tests.pictime.offline import DOWN, answer_orders, offline_account, offline_connection, page, sent  # noqa: F401
from tests.pictime_client.conftest import ACCOUNT, TOKEN, gallery_dict
from tests.waiting import drive_retries

GALLERY = gallery_dict(id="gal_auto", name="Bella & Ben Wedding", slug="bella-ben-wedding")


def made_from(request):
    """Pic-Time's answer to a create: the gallery made from the request's fields."""
    asked = json.loads(request.body)
    fields = ("name", "event_date", "client", "brand_id", "preset_id", "external_ref")
    return 201, {}, json.dumps({**GALLERY, **{name: asked.get(name) for name in fields}})


def pictime_creates(pictime_api, *failures):
    """Pic-Time answers each create with `failures` first (a status each, or (status, headers)), then
    the gallery made (the same one for each later create: one Idempotency-Key); it has no orders."""
    for failure in failures:
        status, headers = failure if isinstance(failure, tuple) else (failure, {})
        body = {"error": {"code": "rate_limited", "message": "Slow down"}} if status == 429 else DOWN
        pictime_api.post(PICTIME_API + "/galleries", status=status, json=body, headers=headers)
    pictime_api.add_callback(
        "POST", PICTIME_API + "/galleries", callback=made_from, content_type="application/json"
    )
    answer_orders(pictime_api, GALLERY["id"])


def creates(pictime_api) -> list[str]:
    """The Idempotency-Key of each create sent to Pic-Time."""
    return [r.headers["Idempotency-Key"] for r in sent(pictime_api, "POST", "/galleries")]


@pytest.fixture
def fast_retries(settings):
    settings.PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS = 0.05
    settings.PICTIME_AUTOCREATE_MAX_BACKOFF_SECONDS = 1
    return settings


def sweep():
    """The beat's sweep of pending work; how many auto-create jobs it sent again."""
    return run_pending_work()["autocreate"]


@pytest.mark.django_db
def test_first_payment_creates_one_offline_gallery_from_the_project(
    auto_create_on, installment, pictime_api, pictime_account, django_capture_on_commit_callbacks
):
    project = installment.invoice.project
    pictime_creates(pictime_api)
    pay(installment, django_capture_on_commit_callbacks)

    link = GalleryLink.objects.get(project=project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED
    assert link.name == "Bella & Ben Wedding"
    assert link.status == GalleryLink.Status.OFFLINE and link.published_at is None
    assert link.event_date == project.event_date
    assert (link.client_name, link.client_email) == ("Bella Bride", "bella@example.com")
    assert link.account_id == pictime_account["id"]
    job = AutoCreateJob.objects.get(project=project)
    assert creates(pictime_api) == [job.idempotency_key]
    asked = json.loads(sent(pictime_api, "POST", "/galleries")[0].body)
    assert (asked["name"], asked["event_date"]) == ("Bella & Ben Wedding", str(project.event_date))
    assert asked["client"] == {"name": "Bella Bride", "email": "bella@example.com"}
    assert (asked["brand_id"], asked["preset_id"]) == ("br_1", "pr_1")  # the connection's defaults
    assert asked["external_ref"] == f"crm-project-{project.pk}"
    assert job.status == AutoCreateJob.Status.SUCCEEDED and job.link == link and job.attempts == 1
    assert feed(project, Activity.Kind.INTEGRATION) == [
        "Pic-Time gallery created: Bella & Ben Wedding (offline)"
    ]


@pytest.mark.django_db
def test_the_signal_delivered_five_times_makes_one_gallery(
    auto_create_on, installment, pictime_api, django_capture_on_commit_callbacks
):
    project = installment.invoice.project
    pictime_creates(pictime_api)
    payment = pay(installment, django_capture_on_commit_callbacks)
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            project_first_paid.send(
                sender=Payment,
                project_id=project.pk,
                payment_id=payment.pk,
                company_id=project.company_id,
                paid_at=payment.paid_at,
            )

    assert len(creates(pictime_api)) == 1
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert AutoCreateJob.objects.filter(project=project).count() == 1
    assert feed(project, Activity.Kind.INTEGRATION) == [
        "Pic-Time gallery created: Bella & Ben Wedding (offline)"
    ]


@pytest.mark.django_db
def test_a_second_payment_makes_no_second_gallery(
    auto_create_on, invoice, pictime_api, django_capture_on_commit_callbacks
):
    first, second = invoice.installments.order_by("position")
    pictime_creates(pictime_api)
    pay(first, django_capture_on_commit_callbacks)
    pay(second, django_capture_on_commit_callbacks, "2500.00")
    assert len(creates(pictime_api)) == 1
    assert GalleryLink.objects.filter(project=invoice.project).count() == 1


@pytest.mark.django_db
def test_it_is_not_retroactive(connection, invoice, pictime_api, django_capture_on_commit_callbacks):
    first, second = invoice.installments.order_by("position")
    pay(first, django_capture_on_commit_callbacks)  # paid while auto-create was off
    set_auto_create(connection, True)
    pay(second, django_capture_on_commit_callbacks, "2500.00")  # the second payment, after turning it on

    assert sent(pictime_api) == []
    assert not GalleryLink.objects.filter(project=invoice.project).exists()
    assert not AutoCreateJob.objects.exists()
    assert feed(invoice.project, Activity.Kind.INTEGRATION) == []


@pytest.mark.django_db
def test_it_does_nothing_while_auto_create_is_off(
    connection, installment, pictime_api, django_capture_on_commit_callbacks
):
    pay(installment, django_capture_on_commit_callbacks)
    assert sent(pictime_api) == []
    assert not AutoCreateJob.objects.exists()


@pytest.mark.django_db
def test_a_payment_dated_before_the_toggle_is_not_retroactive(
    auto_create_on, installment, pictime_api, django_capture_on_commit_callbacks
):
    """A payment recorded now but dated earlier (a check received last week) is not a new one."""
    with django_capture_on_commit_callbacks(execute=True):
        record_payment(
            installment=installment,
            amount=Decimal("1000.00"),
            method="check",
            paid_at=auto_create_on.auto_create_enabled_at - timezone.timedelta(days=7),
        )
    assert sent(pictime_api) == []
    assert not AutoCreateJob.objects.exists()


class WorkerDied(BaseException):
    """Stands for a worker killed (SIGKILL, OOM): nothing in the service can catch it."""


@pytest.mark.django_db
def test_a_worker_dying_after_pictime_answered_leaves_one_gallery_after_the_retry(
    auto_create_on, installment, pictime_api, django_capture_on_commit_callbacks, monkeypatch
):
    project = installment.invoice.project
    with django_capture_on_commit_callbacks(execute=False):  # the payment; its task is the test's to run
        payment = record_payment(installment=installment, amount=Decimal("1000.00"), method="card")
    job = autocreate.start_for_first_payment(project.pk, payment.pk)
    pictime_creates(pictime_api)

    made = []

    def die(job, connection, gallery, orders):  # between Pic-Time's answers and our commit
        made.append(gallery.id)
        raise WorkerDied

    monkeypatch.setattr(autocreate, "_succeed", die)
    with pytest.raises(WorkerDied):
        autocreate.run_job(job.pk)
    monkeypatch.undo()

    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.RUNNING  # as a dead worker leaves it
    assert creates(pictime_api) == [job.idempotency_key]
    assert not GalleryLink.objects.exists()

    assert sweep() == 0  # its lease has not run out: it may still be working
    AutoCreateJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timezone.timedelta(seconds=autocreate.lease_seconds() + 1)
    )
    assert sweep() == 1  # the beat takes over a dead worker's job

    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.SUCCEEDED and job.attempts == 2
    assert creates(pictime_api) == [job.idempotency_key] * 2  # the same key: Pic-Time's answer again
    assert GalleryLink.objects.get(project=project).gallery_id == made[0]


@pytest.mark.django_db
def test_an_error_after_pictime_answered_retries_and_finds_the_same_gallery(
    auto_create_on,
    installment,
    pictime_api,
    django_capture_on_commit_callbacks,
    monkeypatch,
    fast_retries,
):
    project = installment.invoice.project
    calls = []
    store = autocreate._succeed

    def database_hiccup(job, connection, gallery, orders):  # between Pic-Time's answers and our commit
        calls.append(gallery.id)
        if len(calls) == 1:
            raise RuntimeError("connection to the database lost")
        return store(job, connection, gallery, orders)

    monkeypatch.setattr(autocreate, "_succeed", database_hiccup)
    pictime_creates(pictime_api)
    pay(installment, django_capture_on_commit_callbacks)
    job = drive_retries(AutoCreateJob.objects.get(project=project))

    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert calls[0] == calls[1]  # Pic-Time replayed its first answer
    assert creates(pictime_api) == [job.idempotency_key] * 2
    assert GalleryLink.objects.get(project=project).gallery_id == calls[0]


@pytest.mark.django_db
def test_it_retries_three_server_errors_then_creates_one_gallery(
    auto_create_on, installment, pictime_api, django_capture_on_commit_callbacks, fast_retries
):
    project = installment.invoice.project
    pictime_creates(pictime_api, 500, 500, 500)
    pay(installment, django_capture_on_commit_callbacks)
    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.RETRYING
    assert "will retry" in feed(project, Activity.Kind.INTEGRATION)[0].lower()

    job = drive_retries(job)
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert job.attempts == 4
    assert creates(pictime_api) == [job.idempotency_key] * 4
    messages = feed(project, Activity.Kind.INTEGRATION)
    assert messages[0] == "Pic-Time gallery created: Bella & Ben Wedding (offline)"
    assert len([m for m in messages if "Will retry" in m]) == 3


@pytest.mark.django_db
def test_it_waits_as_long_as_retry_after_says(
    auto_create_on, installment, pictime_api, django_capture_on_commit_callbacks, fast_retries
):
    project = installment.invoice.project
    pictime_creates(pictime_api, (429, {"Retry-After": "1"}))
    before = timezone.now()
    pay(installment, django_capture_on_commit_callbacks)

    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.RETRYING
    assert job.next_attempt_at >= before + timezone.timedelta(seconds=1)  # not the 0.05 s backoff
    assert sweep() == 0  # not due yet: nothing is sent during Retry-After
    job = drive_retries(job)
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert [c.response.status_code for c in pictime_api.calls if c.request.method == "POST"] == [429, 201]
    assert creates(pictime_api) == [job.idempotency_key] * 2


@pytest.mark.django_db
def test_after_the_last_attempt_it_fails_and_retry_works(
    auto_create_on,
    installment,
    pictime_api,
    django_capture_on_commit_callbacks,
    fast_retries,
    owner_client,
):
    fast_retries.PICTIME_AUTOCREATE_MAX_ATTEMPTS = 2
    project = installment.invoice.project
    pictime_creates(pictime_api, 500, 500)
    pay(installment, django_capture_on_commit_callbacks)
    job = drive_retries(AutoCreateJob.objects.get(project=project))

    assert job.status == AutoCreateJob.Status.FAILED and job.attempts == 2
    assert job.last_error
    assert "Use Retry in the Pic-Time Galleries panel" in feed(project, Activity.Kind.INTEGRATION)[0]
    assert not GalleryLink.objects.filter(project=project).exists()
    assert autocreate.autocreate_job_for(project) == job

    from django.template.loader import render_to_string

    snippet = render_to_string("pictime/autocreate_status.html", {"job": job})
    assert "could not be created" in snippet and ">Retry</button>" in snippet

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/integrations/pictime/projects/{project.pk}/auto-create/retry/")
    assert response.status_code == 302
    job = drive_retries(job)  # its turn under the account's rate limit may be a moment later
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert creates(pictime_api) == [job.idempotency_key] * 3
    assert (
        feed(project, Activity.Kind.INTEGRATION)[0]
        == "Pic-Time gallery created: Bella & Ben Wedding (offline)"
    )


@pytest.mark.django_db
def test_an_outsider_cannot_retry_another_companys_job(auto_create_on, installment, outsider_client):
    job = AutoCreateJob.objects.create(
        company=installment.invoice.company,
        project=installment.invoice.project,
        payment_id=1,
        status=AutoCreateJob.Status.FAILED,
        idempotency_key="k",
    )
    response = outsider_client.post(f"/integrations/pictime/projects/{job.project_id}/auto-create/retry/")
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.FAILED


@pytest.mark.django_db
def test_it_waits_for_a_reconnection_then_creates_the_gallery(
    auto_create_on, installment, pictime_api, company, django_capture_on_commit_callbacks
):
    project = installment.invoice.project
    CompanyIntegration.objects.filter(company=company).update(
        status=CompanyIntegration.Status.NEEDS_RECONNECTION
    )
    pay(installment, django_capture_on_commit_callbacks)
    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.WAITING_RECONNECT
    assert "needs to be reconnected" in feed(project, Activity.Kind.INTEGRATION)[0]
    assert sent(pictime_api) == []

    # Reconnecting: the account read with the new grant, the old grant revoked, the webhook
    # subscribed; then the waiting job runs, and the first sync.
    pictime_api.get(PICTIME_API + "/account", json={**ACCOUNT, "id": auto_create_on.account_id})
    pictime_api.post(PICTIME_URL + "/oauth/revoke")
    pictime_api.get(PICTIME_API + "/webhooks", json=page())
    subscription = {"id": "wh_1", "url": "http://testserver/x", "events": ["order.created"], "secret": "s"}
    pictime_api.post(PICTIME_API + "/webhooks", json=subscription, status=201)
    pictime_creates(pictime_api)
    # The first sync: the linked gallery, and the account's orders (all: no sync ran before).
    pictime_api.get(PICTIME_API + "/galleries", json=page(GALLERY))
    everything = matchers.query_param_matcher({"limit": "100"}, strict_match=True)
    pictime_api.get(PICTIME_API + "/orders", json=page(), match=[everything])
    with django_capture_on_commit_callbacks(execute=True):
        connect_account(company=company, tokens=TokenSet.from_dict(TOKEN))

    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert creates(pictime_api) == [job.idempotency_key]
    assert GalleryLink.objects.get(project=project).origin == GalleryLink.Origin.AUTO_CREATED
