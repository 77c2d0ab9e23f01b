"""The admin site as support staff use it: a staff user in the "Support" group, not a superuser.

The list and change pages read rows only, so their rows are made in the database (factories). The
three actions run the real services against Pic-Time's API mocked on the network
(tests/pictime/offline.py): each test registers the answers it expects, and checks what was asked.
"""

from urllib.parse import parse_qs

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.db import connection as db
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.audit.services import record
from integrations.models import CompanyIntegration
from pictime.models import AutoCreateJob, Connection, GalleryLink, SyncRun
from pictime.services.connection import disconnect, set_auto_create
from tests.factories import (
    link_gallery,
    make_connection,
    make_delivery,
    make_event,
    make_job,
    make_link,
    make_order,
    make_sync_run,
)
from tests.fixtures import PICTIME_URL
from tests.helpers import pay
from tests.pictime.offline import (  # noqa: F401  (fixtures)
    DOWN,
    answer_create,
    answer_galleries,
    answer_orders,
    offline_account,
    offline_connection,
    sent,
)
from tests.pictime_client.conftest import gallery_dict, order_dict

CHANGELISTS = [
    "admin:pictime_connection_changelist",
    "admin:pictime_gallerylink_changelist",
    "admin:pictime_autocreatejob_changelist",
    "admin:pictime_syncrun_changelist",
    "admin:pictime_webhookdelivery_changelist",
    "admin:pictime_webhookevent_changelist",
    "admin:pictime_order_changelist",
    "admin:audit_auditentry_changelist",
    "admin:companies_company_changelist",
    "admin:clients_client_changelist",
    "admin:projects_project_changelist",
    "admin:payments_payment_changelist",
    "admin:integrations_companyintegration_changelist",
]


def _everything():
    connection = make_connection()
    return {
        "connection": connection,
        "link": make_link(connection),
        "job": make_job(connection),
        "run": make_sync_run(connection),
        "delivery": make_delivery(connection),
        "event": make_event(connection),
        "order": make_order(connection),
    }


# ---------------------------------------------------------------- who gets in


@pytest.mark.parametrize("url_name", CHANGELISTS)
def test_a_support_user_sees_the_list_pages(support_client, url_name):
    _everything()
    response = support_client.get(reverse(url_name))
    assert response.status_code == 200


def test_a_support_user_sees_each_change_page(support_client):
    rows = _everything()
    record(actor="test", action="pictime.run_sync", target=rows["connection"], outcome="succeeded")
    for obj in [*rows.values(), AuditEntry.objects.get()]:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        assert support_client.get(url).status_code == 200, url


def test_a_support_user_is_not_a_superuser_and_can_not_change_crm_rows(support_user, support_client):
    rows = _everything()
    assert not support_user.is_superuser
    project = rows["link"].project
    url = reverse("admin:projects_project_change", args=[project.pk])
    response = support_client.post(url, {"name": "Renamed"})
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.name != "Renamed"


@pytest.mark.parametrize(
    "url_name", ["admin:pictime_connection_changelist", "admin:audit_auditentry_changelist"]
)
def test_a_non_staff_user_can_not_see_the_admin(owner_client, url_name):
    response = owner_client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_staff_user_outside_the_support_group_sees_nothing(db):
    user = get_user_model().objects.create_user(username="intern", password="x", is_staff=True)
    http = HttpClient()
    http.force_login(user)
    assert http.get(reverse("admin:pictime_connection_changelist")).status_code == 403


def test_the_support_group_has_view_and_action_permissions_only(support_user):
    assert support_user.has_perm("pictime.view_connection")
    assert support_user.has_perm("projects.view_project")
    assert support_user.has_perm("audit.view_auditentry")
    for perm in ["pictime.run_sync", "pictime.retry_autocreate", "pictime.disconnect_connection"]:
        assert support_user.has_perm(perm)
    for perm in ["pictime.change_connection", "pictime.delete_connection", "projects.change_project"]:
        assert not support_user.has_perm(perm)
    assert not support_user.has_perm("audit.change_auditentry")


# ---------------------------------------------------------------- tokens never shown


def test_the_connection_pages_never_show_a_token(support_client, superuser_client, connection):
    connection.refresh_from_db()
    secrets = [connection.access_token, connection.refresh_token, connection.webhook_secret]
    assert all(secrets)
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, webhook_secret FROM pictime_connection WHERE id = %s",
            [connection.pk],
        )
        ciphertexts = list(cursor.fetchone())
    pages = [
        reverse("admin:pictime_connection_changelist"),
        reverse("admin:pictime_connection_change", args=[connection.pk]),
        reverse("admin:pictime_connection_history", args=[connection.pk]),
    ]
    for http in (support_client, superuser_client):
        for url in pages:
            response = http.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert connection.account_name in html
            for value in secrets + ciphertexts:
                assert value not in html, url
            assert 'name="access_token"' not in html
            assert "webhook_secret" not in html
            assert "refresh_token" not in html


# ---------------------------------------------------------------- actions


def _run_action(http, model, action, pks, **extra):
    url = reverse(f"admin:pictime_{model}_changelist")
    return http.post(url, {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra})


@pytest.fixture
def linked(connection, project):
    """A gallery of the connected account linked to the project."""
    return link_gallery(connection, project, gallery_dict(id="gal_wed", name="Wedding day"))


def revoke_answered(pictime_api, status=200):
    pictime_api.post(PICTIME_URL + "/oauth/revoke", status=status)


def test_support_disconnects_a_connection_after_confirming(
    support_user, support_client, connection, linked, pictime_api
):
    connection.refresh_from_db()
    refresh_token = connection.refresh_token
    response = _run_action(support_client, "connection", "disconnect_connection", [connection.pk])
    assert response.status_code == 200
    assert b"Yes, disconnect" in response.content
    connection.refresh_from_db()
    assert connection.is_connected  # nothing happened before the confirmation
    assert not AuditEntry.objects.exists()
    assert sent(pictime_api) == []

    revoke_answered(pictime_api)
    response = _run_action(
        support_client, "connection", "disconnect_connection", [connection.pk], confirm="yes"
    )
    assert response.status_code == 302

    connection = Connection.objects.get(pk=connection.pk)
    assert connection.integration.status == CompanyIntegration.Status.DISCONNECTED
    assert connection.refresh_token == "" and connection.access_token == ""
    linked.refresh_from_db()
    assert not linked.is_active  # the link stays, inactive
    # Pic-Time was asked to revoke the grant (which ends its access token too).
    [revoke] = sent(pictime_api)
    assert revoke.path_url == "/oauth/revoke"
    assert parse_qs(revoke.body) == {"token": [refresh_token], "token_type_hint": ["refresh_token"]}
    entry = AuditEntry.objects.get()
    assert entry.actor == support_user
    assert entry.action == "pictime.disconnect"
    assert (entry.target_type, entry.target_id) == ("pictime.connection", str(connection.pk))
    assert entry.company_id == connection.company_id
    assert entry.outcome == AuditEntry.Outcome.SUCCEEDED
    assert entry.details == {"revoked": True}
    assert "revoked the grant" in entry.message


def test_disconnecting_a_disconnected_connection_is_refused_and_audited(
    support_client, connection, pictime_api
):
    revoke_answered(pictime_api)
    disconnect(connection)
    _run_action(support_client, "connection", "disconnect_connection", [connection.pk], confirm="yes")
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.message) == (
        "pictime.disconnect",
        "failed",
        "Already disconnected.",
    )
    assert len(sent(pictime_api)) == 1  # the first disconnect's revoke only


def test_support_reruns_a_sync_on_the_worker(
    support_user, support_client, connection, linked, project, pictime_api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert response.status_code == 302
    assert not SyncRun.objects.exists()  # the request only queued it
    assert sent(pictime_api) == []
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.outcome) == (support_user, "pictime.run_sync", "succeeded")
    assert (entry.target_type, entry.target_id) == ("pictime.connection", str(connection.pk))
    assert entry.company_id == connection.company_id
    assert "Sync queued" in entry.message
    page = support_client.get(response.url).content.decode()
    assert "Sync queued: its result appears under Sync runs" in page

    # Meanwhile at Pic-Time: 5 photos and an order.
    answer_galleries(
        pictime_api,
        gallery_dict(
            id="gal_wed", name="Wedding day", image_count=5, updated_at="2026-11-26T10:05:00.000000Z"
        ),
        ids="gal_wed",
    )
    pictime_api.get(
        PICTIME_URL + "/api/v2/orders", json={"data": [order_dict(gallery_id="gal_wed")], "next_cursor": None}
    )
    for task in queued:  # the worker runs it (eagerly here)
        task()
    run = SyncRun.objects.get(connection=connection)
    assert (run.trigger, run.status, run.error) == ("support", "succeeded", "")
    assert (run.galleries_checked, run.galleries_updated, run.orders_upserted) == (1, 1, 1)
    assert run.requests_made == 2 == len(sent(pictime_api))  # one batch of galleries, one page of orders
    linked.refresh_from_db()
    assert linked.image_count == 5
    assert project.company.pictime_orders.count() == 1


def test_a_sync_of_a_disconnected_connection_is_refused_and_audited(
    support_client, connection, linked, pictime_api
):
    revoke_answered(pictime_api)
    disconnect(connection)
    _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert not SyncRun.objects.exists()
    assert len(sent(pictime_api)) == 1  # the disconnect's revoke; nothing for the sync
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == ("pictime.run_sync", "failed")
    assert "Disconnected" in entry.message


def test_a_queued_sync_that_fails_shows_why_in_its_sync_run(
    support_client, connection, linked, pictime_api, django_capture_on_commit_callbacks
):
    # The grant was revoked at Pic-Time: the token is refused, and so is its refresh.
    refused = {"error": {"code": "invalid_token", "message": "The access token was revoked"}}
    pictime_api.get(PICTIME_URL + "/api/v2/galleries", status=401, json=refused)
    pictime_api.post(PICTIME_URL + "/oauth/token", status=400, json={"error": "invalid_grant"})
    with django_capture_on_commit_callbacks(execute=True):
        response = _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert response.status_code == 302
    run = SyncRun.objects.get()
    assert (run.trigger, run.status) == ("support", "failed")
    assert "reconnect Pic-Time" in run.error
    linked.refresh_from_db()
    assert linked.image_count == 0
    page = support_client.get(reverse("admin:pictime_syncrun_changelist")).content.decode()
    assert "Failed" in page


@pytest.fixture
def failed_job(settings, connection, installment, pictime_api, django_capture_on_commit_callbacks):
    """A failed auto-create, the way the product makes one: auto-create is on, the first payment
    arrives, Pic-Time fails the create and that was the last attempt allowed."""
    settings.PICTIME_AUTOCREATE_MAX_ATTEMPTS = 1
    set_auto_create(connection, True)
    pictime_api.post(PICTIME_URL + "/api/v2/galleries", status=500, json=DOWN)
    pay(installment, django_capture_on_commit_callbacks)
    job = AutoCreateJob.objects.get(project=installment.invoice.project)
    assert job.status == AutoCreateJob.Status.FAILED and job.attempts == 1, job.last_error
    assert asked_to_create(pictime_api) == [job.idempotency_key]
    pictime_api.reset()  # what the job asked is asked; the tests register what comes next
    return job


def created(pictime_api, project):
    """Pic-Time creates the project's gallery and has no orders for it yet."""
    pictime_api.post(
        PICTIME_URL + "/api/v2/galleries", json=gallery_dict(id="gal_auto", name=project.name), status=201
    )
    answer_orders(pictime_api, "gal_auto")


def asked_to_create(pictime_api) -> list[str]:
    """The Idempotency-Key of each create sent to Pic-Time."""
    return [r.headers["Idempotency-Key"] for r in sent(pictime_api, "POST", "/galleries")]


def test_support_retries_a_failed_autocreate(
    support_user, support_client, failed_job, pictime_api, django_capture_on_commit_callbacks
):
    created(pictime_api, failed_job.project)
    with django_capture_on_commit_callbacks(execute=True):  # the retry is queued after the commit
        response = _run_action(support_client, "autocreatejob", "retry_autocreate", [failed_job.pk])
    assert response.status_code == 302

    failed_job.refresh_from_db()
    assert failed_job.status == AutoCreateJob.Status.SUCCEEDED
    assert failed_job.attempts == 1 and failed_job.last_error == ""
    assert asked_to_create(pictime_api) == [failed_job.idempotency_key]  # the key of the failed try
    link = GalleryLink.objects.get(project=failed_job.project)
    assert link.origin == GalleryLink.Origin.AUTO_CREATED and failed_job.link == link
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.outcome) == (
        support_user,
        "pictime.retry_autocreate",
        "succeeded",
    )
    assert (entry.target_type, entry.target_id) == ("pictime.autocreatejob", str(failed_job.pk))
    assert entry.company_id == failed_job.company_id
    assert entry.details == {"status": "pending"}  # queued; the worker then created the gallery


def test_only_a_failed_autocreate_is_retried(
    support_client, connection, installment, pictime_api, django_capture_on_commit_callbacks
):
    set_auto_create(connection, True)
    created(pictime_api, installment.invoice.project)
    pay(installment, django_capture_on_commit_callbacks)
    job = AutoCreateJob.objects.get(project=installment.invoice.project)
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        _run_action(support_client, "autocreatejob", "retry_autocreate", [job.pk])
    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.SUCCEEDED and job.attempts == 1
    assert asked_to_create(pictime_api) == [job.idempotency_key]  # the payment's only
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == ("pictime.retry_autocreate", "failed")
    assert "not retried" in entry.message


def test_a_staff_user_without_the_action_permission_can_not_run_it(
    support_group, connection, linked, pictime_api
):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_connection", content_type__app_label="pictime")
    )
    http = HttpClient()
    http.force_login(user)
    page = http.get(reverse("admin:pictime_connection_changelist"))
    assert page.status_code == 200
    assert b"run_sync" not in page.content and b"disconnect_connection" not in page.content
    _run_action(http, "connection", "run_sync", [connection.pk])
    _run_action(http, "connection", "disconnect_connection", [connection.pk], confirm="yes")
    assert sent(pictime_api) == []
    assert not SyncRun.objects.exists()
    assert Connection.objects.get(pk=connection.pk).is_connected
    assert not AuditEntry.objects.exists()


# ---------------------------------------------------------------- the audit trail is read-only


def test_audit_entries_can_not_be_added_changed_or_deleted_in_the_admin(superuser_client, support_client):
    connection = make_connection()
    entry = record(actor="manage.py", action="pictime.run_sync", target=connection, outcome="succeeded")
    change_url = reverse("admin:audit_auditentry_change", args=[entry.pk])
    for http in (superuser_client, support_client):
        page = http.get(change_url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert http.post(change_url, {"action": "x", "outcome": "failed"}).status_code == 403
        delete_url = reverse("admin:audit_auditentry_delete", args=[entry.pk])
        assert http.post(delete_url, {"post": "yes"}).status_code == 403
        assert http.get(reverse("admin:audit_auditentry_add")).status_code == 403
        listing = http.get(reverse("admin:audit_auditentry_changelist"))
        assert b"delete_selected" not in listing.content
    entry.refresh_from_db()
    assert entry.outcome == "succeeded"
    assert AuditEntry.objects.count() == 1


# ---------------------------------------------------------------- search and constant queries


@pytest.mark.parametrize(
    "url_name,term",
    [
        ("admin:pictime_connection_changelist", "company"),
        ("admin:pictime_connection_changelist", "client_email"),
        ("admin:pictime_connection_changelist", "account_id"),
        ("admin:pictime_gallerylink_changelist", "gallery_id"),
        ("admin:pictime_gallerylink_changelist", "client_email"),
        ("admin:pictime_gallerylink_changelist", "project"),
    ],
)
def test_support_finds_rows_by_company_project_client_email_and_pictime_ids(support_client, url_name, term):
    rows = _everything()
    other = _everything()
    link = rows["link"]
    q = {
        "company": link.company.name,
        "client_email": link.project.client.email,
        "account_id": rows["connection"].account_id,
        "gallery_id": link.gallery_id,
        "project": link.project.name,
    }[term]
    html = support_client.get(reverse(url_name), {"q": q}).content.decode()
    expected = rows["connection"].account_name if "connection" in url_name else link.gallery_id
    not_expected = other["connection"].account_name if "connection" in url_name else other["link"].gallery_id
    assert expected in html
    assert not_expected not in html


@pytest.mark.parametrize("term", ["project", "client_email", "order_id"])
def test_support_finds_a_projects_orders_by_project_name_and_client_email(support_client, term):
    rows, other = _everything(), _everything()
    for r in (rows, other):  # each order is of its own studio's linked gallery
        r["order"].gallery_id = r["link"].gallery_id
        r["order"].save()
    link = rows["link"]
    q = {
        "project": link.project.name,
        "client_email": link.project.client.email,
        "order_id": rows["order"].order_id,
    }
    html = support_client.get(reverse("admin:pictime_order_changelist"), {"q": q[term]}).content.decode()
    assert rows["order"].order_id in html
    assert other["order"].order_id not in html


MAKERS = {
    "connection": lambda: make_connection(),
    "gallerylink": lambda: make_link(make_connection()),
    "autocreatejob": lambda: make_job(make_connection()),
    "syncrun": lambda: make_sync_run(make_connection()),
    "webhookdelivery": lambda: make_delivery(make_connection()),
    "webhookevent": lambda: make_event(make_connection()),
    "order": lambda: make_order(make_connection()),
    "auditentry": lambda: record(actor="t", action="a", target=make_connection(), outcome="succeeded"),
}


@pytest.mark.parametrize("model", list(MAKERS))
def test_list_pages_make_as_many_queries_for_ten_rows_as_for_one(support_client, model):
    app = "audit" if model == "auditentry" else "pictime"
    url = reverse(f"admin:{app}_{model}_changelist")

    def count():
        with CaptureQueriesContext(db) as queries:
            assert support_client.get(url).status_code == 200
        return len(queries)

    MAKERS[model]()
    one = count()
    for _ in range(9):
        MAKERS[model]()
    ten = count()
    assert one == ten


def test_the_connection_page_links_to_its_records(support_client):
    import re

    rows = _everything()
    make_everything_else = _everything()  # another company's rows must not appear
    connection = rows["connection"]
    page = support_client.get(
        reverse("admin:pictime_connection_change", args=[connection.pk])
    ).content.decode()
    links = re.findall(r'href="(/admin/pictime/[a-z]+/\?[^"]+)"', page)
    assert len(links) == 6
    for url in links:
        response = support_client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200, url  # a refused filter would redirect to ?e=1
        assert str(make_everything_else["connection"].company) not in response.content.decode(), url
