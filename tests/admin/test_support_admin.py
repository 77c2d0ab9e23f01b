"""The admin site as support staff use it: a staff user in the "Support" group, not a superuser."""

import sys
import types

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
from pictime.models import AutoCreateJob, Connection, SyncRun

from .factories import (
    make_connection,
    make_delivery,
    make_event,
    make_job,
    make_link,
    make_order,
    make_sync_run,
)

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


def test_support_disconnects_a_connection_after_confirming(support_user, support_client, connection, sandbox):
    link = make_link(connection)
    response = _run_action(support_client, "connection", "disconnect_connection", [connection.pk])
    assert response.status_code == 200
    assert b"Yes, disconnect" in response.content
    connection.refresh_from_db()
    assert connection.is_connected  # nothing happened before the confirmation

    response = _run_action(
        support_client, "connection", "disconnect_connection", [connection.pk], confirm="yes"
    )
    assert response.status_code == 302

    connection = Connection.objects.get(pk=connection.pk)
    assert connection.integration.status == CompanyIntegration.Status.DISCONNECTED
    assert connection.refresh_token == "" and connection.access_token == ""
    link.refresh_from_db()
    assert not link.is_active
    entry = AuditEntry.objects.get()
    assert entry.actor == support_user
    assert entry.action == "pictime.disconnect"
    assert (entry.target_type, entry.target_id) == ("pictime.connection", str(connection.pk))
    assert entry.company_id == connection.company_id
    assert entry.outcome == AuditEntry.Outcome.SUCCEEDED
    assert entry.details == {"revoked": True}


@pytest.fixture
def fake_sync(monkeypatch):
    """Stands in for pictime.services.sync (built on another branch): records a SyncRun as the real
    service does, and the calls it got."""
    calls = []

    def sync_connection(connection, trigger):
        calls.append((connection.pk, trigger))
        return SyncRun.objects.create(
            company_id=connection.company_id,
            connection=connection,
            trigger=trigger,
            status=SyncRun.Status.SUCCEEDED,
        )

    module = types.SimpleNamespace(sync_connection=sync_connection, calls=calls)
    monkeypatch.setitem(sys.modules, "pictime.services.sync", module)
    return module


def test_support_reruns_a_sync(support_user, support_client, fake_sync):
    connection = make_connection()
    response = _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert response.status_code == 302
    assert fake_sync.calls == [(connection.pk, SyncRun.Trigger.SUPPORT)]
    run = SyncRun.objects.get(connection=connection)
    assert run.trigger == "support"
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.outcome) == (support_user, "pictime.run_sync", "succeeded")
    assert entry.target_id == str(connection.pk)
    assert entry.details == {"sync_run": run.pk}


def test_a_sync_of_a_disconnected_connection_is_refused_and_audited(support_client, fake_sync):
    connection = make_connection(status=CompanyIntegration.Status.DISCONNECTED)
    _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert fake_sync.calls == []
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == ("pictime.run_sync", "failed")


def test_a_failing_sync_is_audited_as_failed(support_client, monkeypatch):
    def sync_connection(connection, trigger):
        raise RuntimeError("Pic-Time exploded")

    monkeypatch.setitem(
        sys.modules, "pictime.services.sync", types.SimpleNamespace(sync_connection=sync_connection)
    )
    connection = make_connection()
    response = _run_action(support_client, "connection", "run_sync", [connection.pk])
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.outcome == "failed"
    assert "Pic-Time exploded" in entry.message


@pytest.fixture
def fake_autocreate(monkeypatch):
    """Stands in for pictime.services.autocreate.retry_autocreate (another branch): re-queues the job."""
    calls = []

    def retry_autocreate(job):
        calls.append(job.pk)
        AutoCreateJob.objects.filter(pk=job.pk).update(status=AutoCreateJob.Status.PENDING, attempts=0)
        return job

    module = types.SimpleNamespace(retry_autocreate=retry_autocreate, calls=calls)
    monkeypatch.setitem(sys.modules, "pictime.services.autocreate", module)
    return module


def test_support_retries_a_failed_autocreate(support_user, support_client, fake_autocreate):
    job = make_job(make_connection())
    response = _run_action(support_client, "autocreatejob", "retry_autocreate", [job.pk])
    assert response.status_code == 302
    assert fake_autocreate.calls == [job.pk]
    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.PENDING
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.outcome) == (
        support_user,
        "pictime.retry_autocreate",
        "succeeded",
    )
    assert (entry.target_type, entry.target_id) == ("pictime.autocreatejob", str(job.pk))
    assert entry.company_id == job.company_id


def test_only_a_failed_autocreate_is_retried(support_client, fake_autocreate):
    job = make_job(make_connection(), status=AutoCreateJob.Status.SUCCEEDED)
    _run_action(support_client, "autocreatejob", "retry_autocreate", [job.pk])
    assert fake_autocreate.calls == []
    assert AuditEntry.objects.get().outcome == "failed"


def test_a_staff_user_without_the_action_permission_can_not_run_it(support_group, fake_sync):
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_connection", content_type__app_label="pictime")
    )
    http = HttpClient()
    http.force_login(user)
    connection = make_connection()
    page = http.get(reverse("admin:pictime_connection_changelist"))
    assert page.status_code == 200
    assert b"run_sync" not in page.content
    _run_action(http, "connection", "run_sync", [connection.pk])
    assert fake_sync.calls == []
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
