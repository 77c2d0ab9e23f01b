"""The REST API for the company's owner, its team member and an outsider from another studio."""

import sys

import pytest
from rest_framework.test import APIClient

from integrations.models import CompanyIntegration
from pictime.models import Connection, GalleryLink


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# ---------------------------------------------------------------- authentication


def test_token_authentication_works(owner_api, project):
    response = owner_api.get("/api/projects/")
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [project.pk]


def test_session_authentication_works(owner_client, project):
    response = owner_client.get("/api/projects/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_no_credentials_or_a_wrong_token_get_401(db):
    assert_error(APIClient().get("/api/projects/"), 401, "not_authenticated")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(api.get("/api/projects/"), 401, "authentication_failed")


def test_a_user_without_a_company_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="loner", password="x")
    api = APIClient()
    api.force_authenticate(user)
    assert_error(api.get("/api/projects/"), 403, "permission_denied")


def test_every_response_has_a_request_id(owner_api, project):
    response = owner_api.get("/api/projects/", HTTP_X_REQUEST_ID="trace-123")
    assert response["X-Request-ID"] == "trace-123"


# ---------------------------------------------------------------- projects


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_lists_and_reads_its_projects(callers, who, project, other_project):
    api = callers[who]
    listed = api.get("/api/projects/").json()
    assert [p["id"] for p in listed["results"]] == [project.pk]
    detail = api.get(f"/api/projects/{project.pk}/").json()
    assert detail["name"] == "Bella & Ben Wedding"
    assert detail["client"]["email"] == "bella@example.com"


def test_an_outsider_sees_only_their_own_projects(outsider_api, project, other_project):
    listed = outsider_api.get("/api/projects/").json()
    assert [p["id"] for p in listed["results"]] == [other_project.pk]
    assert_error(outsider_api.get(f"/api/projects/{project.pk}/"), 404, "not_found")


@pytest.mark.parametrize("bad_id", ["0", "999999", "abc", "-1", "99999999999999999999999"])
def test_bad_or_unknown_project_ids_are_404(owner_api, project, bad_id):
    assert_error(owner_api.get(f"/api/projects/{bad_id}/"), 404, "not_found")


def test_projects_are_paginated(owner_api, company, client_person):
    from crm.projects.services import create_project

    for n in range(3):
        create_project(company=company, client=client_person, name=f"Shoot {n}", type="portrait")
    page = owner_api.get("/api/projects/", {"page_size": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert_error(owner_api.get("/api/projects/", {"page": 9}), 404, "not_found")


# ---------------------------------------------------------------- a project's galleries


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_lists_a_projects_galleries(callers, who, project, link):
    body = callers[who].get(f"/api/projects/{project.pk}/galleries/").json()
    assert [g["gallery_id"] for g in body["results"]] == [link.gallery_id]
    one = callers[who].get(f"/api/projects/{project.pk}/galleries/{link.pk}/").json()
    assert one["name"] == link.name and one["can_view"] is False


def test_an_outsider_can_not_reach_our_galleries(outsider_api, project, link, fake_galleries):
    base = f"/api/projects/{project.pk}/galleries/"
    assert_error(outsider_api.get(base), 404, "not_found")
    assert_error(outsider_api.get(f"{base}{link.pk}/"), 404, "not_found")
    assert_error(outsider_api.post(base, {"name": "Mine now"}, format="json"), 404, "not_found")
    assert_error(outsider_api.post(f"{base}link/", {"gallery_id": "g"}, format="json"), 404, "not_found")
    assert_error(outsider_api.get(f"{base}available/"), 404, "not_found")
    assert_error(outsider_api.post(f"{base}{link.pk}/sync/"), 404, "not_found")
    assert_error(outsider_api.delete(f"{base}{link.pk}/"), 404, "not_found")
    assert fake_galleries.calls == []
    assert GalleryLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_another_project_is_404_under_this_one(owner_api, link, company, client_person):
    from crm.projects.services import create_project

    second = create_project(company=company, client=client_person, name="Second", type="portrait")
    assert_error(owner_api.get(f"/api/projects/{second.pk}/galleries/{link.pk}/"), 404, "not_found")


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_creates_a_new_gallery(
    callers, who, project, db_connection, fake_galleries, owner, teammate
):
    response = callers[who].post(
        f"/api/projects/{project.pk}/galleries/",
        {"name": "Wedding day", "client_email": "bella@example.com", "event_date": "2027-06-12"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-1",
    )
    assert response.status_code == 201, response.content
    assert response.json()["name"] == "Wedding day"
    user = owner if who == "owner" else teammate
    name, project_pk, connection_pk, data, key, user_pk = fake_galleries.calls[-1]
    assert (name, project_pk, connection_pk, key, user_pk) == (
        "create_and_link",
        project.pk,
        db_connection.pk,
        "create-1",
        user.pk,
    )
    assert data["name"] == "Wedding day" and str(data["event_date"]) == "2027-06-12"


def test_bad_input_gets_field_details_and_changes_nothing(owner_api, project, db_connection, fake_galleries):
    before = GalleryLink.objects.count()
    error = assert_error(
        owner_api.post(
            f"/api/projects/{project.pk}/galleries/", {"name": "", "client_email": "nope"}, format="json"
        ),
        400,
        "invalid",
    )
    assert set(error["details"]) == {"name", "client_email"}
    assert all(isinstance(m, str) for m in error["details"]["name"])
    error = assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/link/", {}, format="json"), 400, "invalid"
    )
    assert "gallery_id" in error["details"]
    assert fake_galleries.calls == []
    assert GalleryLink.objects.count() == before


def test_creating_without_a_connection_says_to_connect(owner_api, project, fake_galleries):
    error = assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/", {"name": "x"}, format="json"),
        409,
        "not_connected",
    )
    assert "Integrations" in error["message"]
    assert fake_galleries.calls == []


def test_a_connection_needing_reconnection_is_a_409(owner_api, project, db_connection, fake_galleries):
    CompanyIntegration.objects.filter(pk=db_connection.integration_id).update(status="needs_reconnection")
    assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/link/", {"gallery_id": "g1"}, format="json"),
        409,
        "needs_reconnection",
    )


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_links_an_existing_gallery(callers, who, project, db_connection, fake_galleries):
    response = callers[who].post(
        f"/api/projects/{project.pk}/galleries/link/", {"gallery_id": "gal_existing"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["gallery_id"] == "gal_existing"
    assert fake_galleries.calls[-1][:4] == ("link_existing", project.pk, db_connection.pk, "gal_existing")


def test_pictime_errors_become_clear_api_errors(
    owner_api, project, db_connection, fake_galleries, monkeypatch
):
    from pictime import errors

    def refuse(project, connection, gallery_id, user):
        raise errors.NotFound("gallery of another account", status=404)

    monkeypatch.setattr(fake_galleries, "link_existing", refuse)
    url = f"/api/projects/{project.pk}/galleries/link/"
    error = assert_error(
        owner_api.post(url, {"gallery_id": "theirs"}, format="json"), 404, "pictime_not_found"
    )
    assert error["message"] == errors.NotFound.default_user_message

    def invalid(*args):
        raise errors.ValidationFailed("bad", details={"name": "too long"})

    monkeypatch.setattr(fake_galleries, "create_and_link", invalid)
    error = assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/", {"name": "x"}, format="json"),
        422,
        "pictime_invalid",
    )
    assert error["details"] == {"name": ["too long"]}

    def down(*args):
        raise errors.Unavailable("timeout")

    monkeypatch.setattr(fake_galleries, "create_and_link", down)
    assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/", {"name": "x"}, format="json"),
        503,
        "pictime_unavailable",
    )


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_searches_the_account_galleries(callers, who, project, link, fake_galleries):
    body = (
        callers[who]
        .get(f"/api/projects/{project.pk}/galleries/available/", {"q": "Bel", "cursor": "c1"})
        .json()
    )
    assert fake_galleries.calls[-1] == ("list_account_galleries", link.connection_id, "Bel", "c1")
    assert [(g["id"], g["linked"]) for g in body["results"]] == [
        (link.gallery_id, True),
        ("gal_not_linked", False),
    ]
    assert body["next_cursor"] == "c2"


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_syncs_and_unlinks_a_gallery(callers, who, project, link, fake_galleries):
    base = f"/api/projects/{project.pk}/galleries/{link.pk}/"
    synced = callers[who].post(f"{base}sync/")
    assert synced.status_code == 200
    assert synced.json()["image_count"] == 42
    assert callers[who].delete(base).status_code == 204
    assert fake_galleries.calls[-2:] == [("sync_link", link.pk), ("unlink", link.pk)]
    assert not GalleryLink.objects.filter(pk=link.pk).exists()


def test_gallery_operations_answer_501_until_the_service_exists(
    owner_api, project, db_connection, monkeypatch
):
    monkeypatch.setitem(sys.modules, "pictime.services.galleries", None)  # import raises ImportError
    assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/link/", {"gallery_id": "g"}, format="json"),
        501,
        "not_available",
    )


# ---------------------------------------------------------------- a project's orders


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_lists_a_projects_orders(callers, who, project, order, link):
    from tests.admin.factories import make_order

    make_order(link.connection)  # an order of a gallery not linked to this project
    body = callers[who].get(f"/api/projects/{project.pk}/orders/").json()
    assert [o["order_id"] for o in body["results"]] == [order.order_id]
    assert body["results"][0]["total"] == "12.00"


def test_an_outsider_can_not_list_our_orders(outsider_api, project, order):
    assert_error(outsider_api.get(f"/api/projects/{project.pk}/orders/"), 404, "not_found")


# ---------------------------------------------------------------- the Pic-Time connection


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_reads_the_connection_without_tokens(callers, who, db_connection):
    response = callers[who].get("/api/pictime/connection/")
    body = response.json()
    assert body["status"] == "connected"
    assert body["account_name"] == db_connection.account_name
    text = response.content.decode()
    for secret in (db_connection.access_token, db_connection.refresh_token, db_connection.webhook_secret):
        assert secret not in text
    assert "token" not in " ".join(body)


def test_an_outsider_reads_only_their_own_connection_state(outsider_api, db_connection):
    body = outsider_api.get("/api/pictime/connection/").json()
    assert body["status"] == "disconnected"
    assert body["account_name"] == ""


def test_the_owner_turns_auto_create_on_and_off(owner_api, db_connection):
    body = owner_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json").json()
    assert body["auto_create_enabled"] is True and body["auto_create_enabled_at"]
    db_connection.refresh_from_db()
    assert db_connection.auto_create_enabled
    owner_api.put("/api/pictime/connection/auto-create/", {"enabled": False}, format="json")
    db_connection.refresh_from_db()
    assert not db_connection.auto_create_enabled


def test_a_member_can_not_change_the_connection(teammate_api, db_connection):
    assert_error(
        teammate_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        403,
        "permission_denied",
    )
    defaults = {"default_brand_id": "br_2", "default_preset_id": "", "portal_intro": "Hi"}
    assert_error(
        teammate_api.put("/api/pictime/connection/defaults/", defaults, format="json"),
        403,
        "permission_denied",
    )
    db_connection.refresh_from_db()
    assert not db_connection.auto_create_enabled and db_connection.default_brand_id == ""


def test_an_outsider_can_not_change_our_connection(outsider_api, db_connection):
    assert_error(
        outsider_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        409,
        "not_connected",
    )
    db_connection.refresh_from_db()
    assert not db_connection.auto_create_enabled


def test_auto_create_needs_a_connection(owner_api, company):
    assert_error(
        owner_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        409,
        "not_connected",
    )


def test_the_owner_saves_gallery_defaults(owner_api, db_connection):
    defaults = {"default_brand_id": "br_2", "default_preset_id": "pr_1", "portal_intro": "Your photos!"}
    body = owner_api.put("/api/pictime/connection/defaults/", defaults, format="json").json()
    assert body["default_brand_id"] == "br_2"
    db_connection = Connection.objects.get(pk=db_connection.pk)
    assert (db_connection.default_brand_id, db_connection.default_preset_id, db_connection.portal_intro) == (
        "br_2",
        "pr_1",
        "Your photos!",
    )


def test_gallery_defaults_must_be_the_accounts(owner_api, db_connection):
    defaults = {
        "default_brand_id": "br_of_someone_else",
        "default_preset_id": "pr_1",
        "portal_intro": "x" * 1001,
    }
    error = assert_error(
        owner_api.put("/api/pictime/connection/defaults/", defaults, format="json"), 400, "invalid"
    )
    assert set(error["details"]) == {"default_brand_id", "portal_intro"}
    db_connection.refresh_from_db()
    assert db_connection.default_brand_id == ""


def test_the_schema_and_docs_are_served(owner_api, owner_client):
    schema = owner_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/projects/{project_id}/galleries/" in schema["paths"]
    page = owner_client.get("/api/docs/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert b"/api/projects/{project_id}/orders/" in page.content
