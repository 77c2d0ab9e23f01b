"""The REST API for the company's owner, its team member and an outsider from another studio.

Gallery operations run the real services against Pic-Time's API mocked on the network
(tests/pictime/offline.py): each test registers the answers it expects, every one must be asked
for, and what was asked is checked as well as our rows. (tests/api/test_schema_fuzz.py runs the
same API against the sandbox.)
"""

import json
import re
import uuid

import pytest
import responses
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from integrations.models import CompanyIntegration
from pictime.models import Connection, GalleryLink, Order, SyncRun
from pictime.services import sync
from pictime.services.galleries import PAGE_SIZE, external_ref
from tests.factories import link_gallery
from tests.fixtures import PICTIME_API
from tests.pictime import offline
from tests.pictime.offline import offline_account, offline_connection  # noqa: F401  (fixtures)
from tests.pictime_client.conftest import gallery_dict, order_dict

BELLA = {"name": "Bella Bride", "email": "bella@example.com"}


@pytest.fixture
def remote_gallery():
    """A gallery of the connected account at Pic-Time, not linked yet."""
    return gallery_dict(
        id="gal_bella", name="Bella & Ben Engagement", slug="bella-ben", event_date="2027-06-12", client=BELLA
    )


@pytest.fixture
def link(connection, project, remote_gallery):
    """remote_gallery linked to the project (as Connect gallery leaves it)."""
    return link_gallery(connection, project, remote_gallery)


def synced(pictime_api, connection, project, gallery, *orders):
    """The project's Sync: Pic-Time answers the gallery and its orders."""
    offline.answer_galleries(pictime_api, gallery, ids=gallery["id"])
    offline.answer_orders(pictime_api, gallery["id"], *orders)
    run = sync.sync_links(connection, project.gallery_links.all(), SyncRun.Trigger.MANUAL, project=project)
    assert run.status == "succeeded", run.error


PRINTS = [{"sku": "PRINT", "name": "8x10 print", "quantity": 2, "unit_price": "6.00"}]


@pytest.fixture
def order(pictime_api, connection, project, link, remote_gallery):
    """An order of the linked gallery, stored by the project's sync."""
    placed = order_dict(
        id="ord_prints", gallery_id=link.gallery_id, items=PRINTS, subtotal="12.00", total="12.96"
    )
    synced(pictime_api, connection, project, remote_gallery, placed)
    return Order.objects.get(gallery_id=link.gallery_id)


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
    assert one["name"] == "Bella & Ben Engagement" and one["can_view"] is False
    assert one["client_email"] == "bella@example.com" and one["event_date"] == "2027-06-12"


def test_an_outsider_can_not_reach_our_galleries(outsider_api, project, link, pictime_api):
    base = f"/api/projects/{project.pk}/galleries/"
    assert_error(outsider_api.get(base), 404, "not_found")
    assert_error(outsider_api.get(f"{base}{link.pk}/"), 404, "not_found")
    assert_error(outsider_api.post(base, {"name": "Mine now"}, format="json"), 404, "not_found")
    assert_error(
        outsider_api.post(f"{base}link/", {"gallery_id": link.gallery_id}, format="json"), 404, "not_found"
    )
    assert_error(outsider_api.get(f"{base}available/"), 404, "not_found")
    assert_error(outsider_api.post(f"{base}{link.pk}/sync/"), 404, "not_found")
    assert_error(outsider_api.delete(f"{base}{link.pk}/"), 404, "not_found")
    assert offline.sent(pictime_api) == []  # Pic-Time was never called
    assert GalleryLink.objects.filter(pk=link.pk).exists()
    assert not SyncRun.objects.exists()  # no sync run by the outsider (linking records none)


def test_our_link_ids_are_404_under_an_outsiders_project(outsider_api, other_project, link):
    base = f"/api/projects/{other_project.pk}/galleries/{link.pk}/"
    assert_error(outsider_api.get(base), 404, "not_found")
    assert_error(outsider_api.delete(base), 404, "not_found")
    assert GalleryLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_another_project_is_404_under_this_one(owner_api, link, company, client_person):
    from crm.projects.services import create_project

    second = create_project(company=company, client=client_person, name="Second", type="portrait")
    assert_error(owner_api.get(f"/api/projects/{second.pk}/galleries/{link.pk}/"), 404, "not_found")
    assert_error(owner_api.delete(f"/api/projects/{second.pk}/galleries/{link.pk}/"), 404, "not_found")
    assert GalleryLink.objects.filter(pk=link.pk).exists()


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_creates_a_new_gallery_once_per_idempotency_key(
    callers, who, project, connection, pictime_api, owner, teammate
):
    url = f"/api/projects/{project.pk}/galleries/"
    data = {
        "name": "Wedding day",
        "client_name": "Bella Bride",
        "client_email": "bella@example.com",
        "event_date": "2027-06-12",
    }
    key = f"create-{uuid.uuid4()}"
    made = gallery_dict(id="gal_new", name="Wedding day", event_date="2027-06-12", client=BELLA)
    offline.answer_galleries(pictime_api, q="bella@example.com")  # no likely duplicate yet
    offline.answer_create(pictime_api, made, key)  # and the same answer for the same key
    offline.answer_orders(pictime_api, "gal_new")

    response = callers[who].post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["origin"], body["status"]) == ("Wedding day", "created", "offline")

    link = GalleryLink.objects.get(pk=body["id"], project=project)
    assert link.created_by == (owner if who == "owner" else teammate)
    asked = json.loads(offline.sent(pictime_api, "POST", "/galleries")[0].body)
    assert asked["event_date"] == "2027-06-12" and asked["client"] == BELLA
    assert asked["external_ref"] == external_ref(project.pk) == f"crm-project-{project.pk}"

    # The same request sent again (its answer was lost): now a duplicate of the gallery it made,
    # so the API says so; sent with allow_duplicate and the same key, Pic-Time replays its answer.
    offline.answer_galleries(pictime_api, made, q="bella@example.com")
    error = assert_error(
        callers[who].post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key), 409, "duplicate"
    )
    assert [(g["id"], g["linked"]) for g in error["details"]["galleries"]] == [("gal_new", True)]
    replay = callers[who].post(
        url, {**data, "allow_duplicate": True}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert replay.status_code == 201, replay.content
    assert replay.json()["id"] == link.pk
    creates = offline.sent(pictime_api, "POST", "/galleries")
    assert [r.headers["Idempotency-Key"] for r in creates] == [key, key]
    assert GalleryLink.objects.filter(project=project).count() == 1


def test_a_likely_duplicate_is_offered_instead_of_created(
    owner_api, project, connection, remote_gallery, pictime_api
):
    url = f"/api/projects/{project.pk}/galleries/"
    data = {
        "name": "Wedding day",
        "client_name": "Bella Bride",
        "client_email": "Bella@Example.com",
        "event_date": "2027-06-12",
    }
    offline.answer_galleries(pictime_api, remote_gallery, q="bella@example.com")
    error = assert_error(owner_api.post(url, data, format="json"), 409, "duplicate")
    assert "allow_duplicate" in error["message"]
    [offered] = error["details"]["galleries"]
    assert (offered["id"], offered["name"], offered["linked"]) == (
        "gal_bella",
        "Bella & Ben Engagement",
        False,
    )
    assert (offered["client_email"], offered["event_date"]) == ("bella@example.com", "2027-06-12")
    assert offline.sent(pictime_api, "POST") == []
    assert not GalleryLink.objects.exists()

    # Another date is not a duplicate; and the caller may insist (no search then).
    for n in (1, 2):
        pictime_api.post(PICTIME_API + "/galleries", json=gallery_dict(id=f"gal_{n}"), status=201)
        offline.answer_orders(pictime_api, f"gal_{n}")
    other_day = owner_api.post(url, {**data, "event_date": "2027-06-13"}, format="json")
    assert other_day.status_code == 201, other_day.content
    anyway = owner_api.post(url, {**data, "allow_duplicate": True}, format="json")
    assert anyway.status_code == 201, anyway.content
    assert len(offline.sent(pictime_api, "GET", "/galleries")) == 2  # the two searches
    assert len(offline.sent(pictime_api, "POST", "/galleries")) == 2
    assert GalleryLink.objects.filter(project=project).count() == 2


def test_bad_input_gets_field_details_and_changes_nothing(owner_api, project, connection, pictime_api):
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
    assert offline.sent(pictime_api) == []
    assert not GalleryLink.objects.exists()


def test_creating_without_a_connection_says_to_connect(owner_api, project):
    error = assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/", {"name": "x"}, format="json"),
        409,
        "not_connected",
    )
    assert "Integrations" in error["message"]
    assert not GalleryLink.objects.exists()


def test_a_connection_needing_reconnection_is_a_409(
    owner_api, project, connection, remote_gallery, pictime_api
):
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(status="needs_reconnection")
    assert_error(
        owner_api.post(
            f"/api/projects/{project.pk}/galleries/link/", {"gallery_id": remote_gallery["id"]}, format="json"
        ),
        409,
        "needs_reconnection",
    )
    assert offline.sent(pictime_api) == []
    assert not GalleryLink.objects.exists()


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_links_an_existing_gallery_once(
    callers, who, project, connection, remote_gallery, pictime_api, owner, teammate
):
    offline.answer_gallery(pictime_api, remote_gallery)
    offline.answer_orders(pictime_api, "gal_bella")
    url = f"/api/projects/{project.pk}/galleries/link/"
    response = callers[who].post(url, {"gallery_id": "gal_bella"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["gallery_id"], body["name"], body["origin"]) == (
        "gal_bella",
        "Bella & Ben Engagement",
        "linked",
    )
    link = GalleryLink.objects.get(project=project)
    assert link.created_by == (owner if who == "owner" else teammate)
    error = assert_error(
        callers[who].post(url, {"gallery_id": "gal_bella"}, format="json"), 409, "already_linked"
    )
    assert "already linked" in error["message"]
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert len(offline.sent(pictime_api, "GET", "/galleries/gal_bella")) == 1  # the second was refused here


def test_pictime_errors_become_clear_api_errors(owner_api, project, connection, pictime_api):
    # A gallery of another Pic-Time account: Pic-Time says it isn't ours.
    offline.answer_gallery(pictime_api, {"id": "gal_theirs"}, status=404)
    error = assert_error(
        owner_api.post(
            f"/api/projects/{project.pk}/galleries/link/", {"gallery_id": "gal_theirs"}, format="json"
        ),
        422,
        "not_in_account",
    )
    assert set(error["details"]) == {"gallery_id"}

    # Pic-Time refuses a field: its message comes back under the field.
    offline.answer_create_refused(pictime_api, "preset_id", "Unknown preset.")
    error = assert_error(
        owner_api.post(
            f"/api/projects/{project.pk}/galleries/", {"name": "x", "preset_id": "pr_nope"}, format="json"
        ),
        422,
        "pictime_invalid",
    )
    assert error["details"] == {"preset_id": ["Unknown preset."]}

    # Pic-Time is down.
    pictime_api.replace(
        responses.POST,
        PICTIME_API + "/galleries",
        json={"error": {"code": "internal_error", "message": "x"}},
        status=500,
    )
    assert_error(
        owner_api.post(f"/api/projects/{project.pk}/galleries/", {"name": "x"}, format="json"),
        503,
        "pictime_unavailable",
    )
    assert len(offline.sent(pictime_api, "POST", "/galleries")) == 2
    assert not GalleryLink.objects.exists()


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_searches_the_account_galleries_page_by_page(
    callers, who, project, link, remote_gallery, pictime_api
):
    sessions = [gallery_dict(id=f"gal_{n}", name=f"Bella session {n}") for n in range(10)]
    offline.answer_galleries(pictime_api, *sessions, next_cursor="cur-2", q="Bella")
    offline.answer_galleries(pictime_api, remote_gallery, cursor="cur-2")
    url = f"/api/projects/{project.pk}/galleries/available/"

    first = callers[who].get(url, {"q": "Bella"})
    assert first.status_code == 200, first.content
    first = first.json()
    assert len(first["results"]) == 10 and first["next_cursor"]
    second = callers[who].get(url, {"cursor": first["next_cursor"]}).json()
    assert second["next_cursor"] is None
    found = {g["id"]: g["linked"] for g in first["results"] + second["results"]}
    assert len(found) == 11
    assert found.pop(link.gallery_id) is True
    assert set(found.values()) == {False}
    assert [r.params for r in offline.sent(pictime_api)] == [
        {"q": "Bella", "limit": str(PAGE_SIZE)},
        {"cursor": "cur-2", "limit": str(PAGE_SIZE)},
    ]


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_syncs_and_unlinks_a_gallery(callers, who, project, link, remote_gallery, pictime_api):
    published = {
        **remote_gallery,
        "status": "online",
        "image_count": 42,
        "published_at": remote_gallery["updated_at"],
    }
    published["updated_at"] = "2026-11-26T10:05:00.000000Z"
    offline.answer_galleries(pictime_api, published, ids="gal_bella")
    offline.answer_orders(pictime_api, "gal_bella")
    base = f"/api/projects/{project.pk}/galleries/{link.pk}/"
    synced = callers[who].post(f"{base}sync/")
    assert synced.status_code == 200, synced.content
    body = synced.json()
    assert (body["image_count"], body["status"], body["can_view"]) == (42, "online", True)
    assert body["public_url"] == remote_gallery["public_url"] and body["last_synced_at"]
    run = SyncRun.objects.get()
    assert (run.status, run.trigger, run.project_id) == ("succeeded", "manual", project.pk)

    asked = len(offline.sent(pictime_api))
    assert callers[who].delete(base).status_code == 204
    assert not GalleryLink.objects.filter(pk=link.pk).exists()
    assert len(offline.sent(pictime_api)) == asked  # nothing is asked of Pic-Time, let alone deleted
    assert_error(callers[who].get(base), 404, "not_found")


def test_a_gallery_deleted_at_pictime_is_shown_deleted_after_a_sync(owner_api, project, link, pictime_api):
    # Pic-Time leaves out a gallery it no longer has.
    offline.answer_galleries(pictime_api, ids=link.gallery_id)
    offline.answer_orders(pictime_api, link.gallery_id)
    body = owner_api.post(f"/api/projects/{project.pk}/galleries/{link.pk}/sync/").json()
    assert body["is_deleted"] is True
    assert GalleryLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_a_disconnected_account_can_not_be_synced(owner_api, project, link, pictime_api):
    GalleryLink.objects.filter(pk=link.pk).update(is_active=False)  # as after connecting another account
    assert_error(owner_api.post(f"/api/projects/{project.pk}/galleries/{link.pk}/sync/"), 409, "inactive")
    assert offline.sent(pictime_api) == []


# ---------------------------------------------------------------- a project's orders


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_lists_a_projects_orders(
    callers, who, project, order, connection, pictime_api, company, client_person
):
    from crm.projects.services import create_project
    from pictime.services.galleries import link_existing

    # An order of a gallery linked to another project of the company is not this project's.
    second = create_project(company=company, client=client_person, name="Portraits", type="portrait")
    offline.answer_gallery(pictime_api, gallery_dict(id="gal_portraits", name="Portraits"))
    album = [{"sku": "A", "name": "Album", "quantity": 1, "unit_price": "99.00"}]
    offline.answer_orders(
        pictime_api, "gal_portraits", order_dict(id="ord_album", gallery_id="gal_portraits", items=album)
    )
    link_existing(second, connection, "gal_portraits")
    assert Order.objects.count() == 2

    body = callers[who].get(f"/api/projects/{project.pk}/orders/").json()
    assert [o["order_id"] for o in body["results"]] == [order.order_id]
    [listed] = body["results"]
    assert (listed["subtotal"], listed["item_count"], listed["currency"]) == ("12.00", 2, "USD")
    assert listed["total"] == f"{order.total:.2f}" == "12.96"


def test_an_outsider_can_not_list_our_orders(outsider_api, project, order):
    assert_error(outsider_api.get(f"/api/projects/{project.pk}/orders/"), 404, "not_found")


# ---------------------------------------------------------------- the Pic-Time connection


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_team_reads_the_connection_without_tokens(callers, who, connection, pictime_account):
    connection.refresh_from_db()
    response = callers[who].get("/api/pictime/connection/")
    body = response.json()
    assert body["status"] == "connected"
    assert (body["account_id"], body["account_name"]) == (pictime_account["id"], pictime_account["name"])
    assert body["presets"] == connection.presets and len(body["presets"]) == 2
    assert body["brands"] == connection.brands == [{"id": "br_1", "name": "Jane Doe Weddings"}]
    text = response.content.decode()
    secrets = [connection.access_token, connection.refresh_token, connection.webhook_secret]
    assert all(secrets)
    for secret in secrets:
        assert secret not in text
    assert "token" not in " ".join(body)


def test_an_outsider_reads_only_their_own_connection_state(outsider_api, connection):
    body = outsider_api.get("/api/pictime/connection/").json()
    assert body["status"] == "disconnected"
    assert body["account_name"] == ""


def test_the_owner_turns_auto_create_on_and_off(owner_api, connection):
    body = owner_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json").json()
    assert body["auto_create_enabled"] is True and body["auto_create_enabled_at"]
    connection.refresh_from_db()
    assert connection.auto_create_enabled
    owner_api.put("/api/pictime/connection/auto-create/", {"enabled": False}, format="json")
    connection.refresh_from_db()
    assert not connection.auto_create_enabled


def test_a_member_can_not_change_the_connection(teammate_api, connection):
    before = (connection.default_brand_id, connection.default_preset_id, connection.portal_intro)
    assert_error(
        teammate_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        403,
        "permission_denied",
    )
    defaults = {"default_brand_id": "", "default_preset_id": "", "portal_intro": "Hi"}
    assert_error(
        teammate_api.put("/api/pictime/connection/defaults/", defaults, format="json"),
        403,
        "permission_denied",
    )
    connection.refresh_from_db()
    assert not connection.auto_create_enabled
    assert (connection.default_brand_id, connection.default_preset_id, connection.portal_intro) == before


def test_an_outsider_can_not_change_our_connection(outsider_api, connection):
    assert_error(
        outsider_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        409,
        "not_connected",
    )
    connection.refresh_from_db()
    assert not connection.auto_create_enabled


def test_auto_create_needs_a_connection(owner_api, company):
    assert_error(
        owner_api.put("/api/pictime/connection/auto-create/", {"enabled": True}, format="json"),
        409,
        "not_connected",
    )


def test_the_owner_saves_gallery_defaults(owner_api, connection):
    brand, preset = connection.brands[0]["id"], connection.presets[-1]["id"]
    assert preset != connection.default_preset_id
    defaults = {"default_brand_id": brand, "default_preset_id": preset, "portal_intro": "Your photos!"}
    body = owner_api.put("/api/pictime/connection/defaults/", defaults, format="json").json()
    assert body["default_preset_id"] == preset
    connection = Connection.objects.get(pk=connection.pk)
    assert (connection.default_brand_id, connection.default_preset_id, connection.portal_intro) == (
        brand,
        preset,
        "Your photos!",
    )


def test_gallery_defaults_must_be_the_accounts(owner_api, connection):
    before = connection.default_brand_id
    defaults = {
        "default_brand_id": "br_of_someone_else",
        "default_preset_id": connection.presets[0]["id"],
        "portal_intro": "x" * 1001,
    }
    error = assert_error(
        owner_api.put("/api/pictime/connection/defaults/", defaults, format="json"), 400, "invalid"
    )
    assert set(error["details"]) == {"default_brand_id", "portal_intro"}
    connection.refresh_from_db()
    assert connection.default_brand_id == before


# ---------------------------------------------------------------- schema and documentation


def test_the_schema_documents_the_duplicate_answer(owner_api):
    schema = owner_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert schema["openapi"].startswith("3.")
    create = schema["paths"]["/api/projects/{project_id}/galleries/"]["post"]
    assert "allow_duplicate" in create["description"]
    assert "duplicate" in create["responses"]["409"]["description"]
    request = schema["components"]["schemas"]["GalleryCreateRequest"]
    assert request["properties"]["allow_duplicate"]["type"] == "boolean"


def test_the_docs_page_is_swagger_ui_from_local_static_files(owner_client):
    page = owner_client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Its start-up script is a file of its own (no inline script: Content-Security-Policy).
    assert "<script>" not in html
    script = owner_client.get("/api/docs/?script=").content.decode()
    assert "SwaggerUIBundle" in script
    assert "/api/schema/" in script
    urls = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if u != "/api/docs/?script="]
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)
    for url in urls:
        assert url.startswith("/static/"), url  # no CDN: the page works offline
        assert finders.find(url.removeprefix("/static/")), url
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
