"""API tokens hashed at rest (knox), admin edits in the audit trail, a partial PUT that changes only
what it names, and the pay page of a paid installment."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection as db
from django.test import Client as Browser
from knox.models import AuthToken
from rest_framework.test import APIClient

from crm.audit.models import AuditEntry
from crm.clients.models import Client
from crm.payments.services import record_payment
from pictime.models import Connection
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def stored_text() -> str:
    """Every token-ish column as the database holds it."""
    with db.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        return " ".join(" ".join(row) for row in cursor.fetchall())


def test_a_token_from_email_and_password_works_and_is_stored_only_as_a_hash(owner, project):
    api = APIClient()
    r = api.post("/api/auth/token/", {"email": "ADA@lumen.test", "password": PASSWORD}, format="json")
    assert r.status_code == 201
    token = r.json()["token"]
    assert len(token) == 64 and r.json()["expiry"]
    assert token not in stored_text()  # only its hash (and its first 15 characters to find it by)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/projects/").json()["results"][0]["id"] == project.pk

    assert api.post("/api/auth/token/revoke/").status_code == 204
    assert AuthToken.objects.count() == 0
    assert api.get("/api/projects/").status_code == 401


def test_a_wrong_password_gets_no_token(owner):
    r = APIClient().post("/api/auth/token/", {"email": owner.username, "password": "nope"}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_credentials"
    assert AuthToken.objects.count() == 0


@pytest.mark.parametrize("header", ["Token ab\x00cd", "Token " + "a" * 5000, "Token zz", "Token é"])
def test_a_malformed_token_is_a_401(header, owner):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=header)
    assert api.get("/api/projects/").status_code == 401


def test_plain_text_tokens_are_moved_into_hashed_ones_and_keep_working(owner, project):
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # DRF's: 40 hex characters, kept in clear
    with db.cursor() as cursor:  # the table of DRF's authtoken app, as an older database has it
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id integer NOT NULL)")
        cursor.execute("INSERT INTO authtoken_token (key, user_id) VALUES (%s, %s)", [key, owner.pk])
    migration = importlib.import_module("crm.companies.migrations.0002_harden_hash_api_tokens")
    migration.move_tokens(apps, SimpleNamespace(connection=db))  # what it uses of a schema editor
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0
    assert key not in stored_text()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/projects/").status_code == 200


def test_a_superusers_edit_in_the_admin_is_in_the_audit_trail(client_person, company):
    root = get_user_model().objects.create_superuser(username="root@support.test", password="x")
    client_person_url = f"/admin/clients/client/{client_person.pk}/change/"
    browser = Browser()
    browser.force_login(root)
    page = browser.get(client_person_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["name"] = "Bella Renamed"
    r = browser.post(client_person_url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.change")
    assert entry.actor == root
    assert entry.target_type == "clients.client" and entry.target_id == str(client_person.pk)
    assert entry.company == company
    assert "name" in entry.message.lower()
    assert entry.details["superuser"] is True

    r = browser.post(f"/admin/clients/client/{client_person.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not Client.objects.filter(pk=client_person.pk).exists()
    assert AuditEntry.objects.filter(action="admin.delete", target_id=str(client_person.pk)).exists()


def test_a_multipart_put_without_enabled_leaves_auto_create_on(owner_api, connection):
    Connection.objects.filter(pk=connection.pk).update(auto_create_enabled=True)
    r = owner_api.put("/api/pictime/connection/auto-create/", {}, format="multipart")
    assert r.status_code == 400
    assert r.json()["error"]["details"] == {"enabled": ["This field is required."]}
    connection.refresh_from_db()
    assert connection.auto_create_enabled is True
    r = owner_api.put("/api/pictime/connection/auto-create/", {"enabled": "false"}, format="multipart")
    assert r.status_code == 200
    connection.refresh_from_db()
    assert connection.auto_create_enabled is False


def test_the_pay_page_of_a_paid_installment_says_it_is_paid(client, project, installment, owner):
    record_payment(
        installment=installment, amount=installment.amount, method="bank_transfer", recorded_by=owner
    )
    page = client.get(f"/portal/{project.portal_token}/pay/{installment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pay $0.00" not in html and "<form" not in html
    assert "is paid" in html
