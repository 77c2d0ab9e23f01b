"""The Pic-Time Galleries panel's pages, as the photographer (and an outsider) would use them.

Pic-Time's API is mocked on the network (tests/pictime/offline.py): each test registers the answers
it expects, and every one must be asked for; what Pic-Time does with them is the contract tests'."""

import datetime
import json
import re
import uuid

import pytest
import responses
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.models import Connection, GalleryLink
from pictime.services.galleries import PAGE_SIZE
from tests.factories import later, make_link
from tests.helpers import text, workspace
from tests.pictime import offline
from tests.pictime.offline import offline_account, offline_connection  # noqa: F401  (fixtures)
from tests.pictime_client.conftest import gallery_dict

HTMX = {"HTTP_HX_REQUEST": "true"}
BELLA = {"name": "Bella Bride", "email": "bella@example.com"}


# ----------------------------------------------------------------------------- rendering
def test_workspace_lists_linked_galleries_with_their_state(owner_client, project, connection):
    make_link(
        connection,
        project,
        1,
        name="Wedding day",
        status="online",
        published_at=timezone.now(),
        image_count=312,
        expires_at=timezone.now() + datetime.timedelta(days=5, hours=3),
    )
    make_link(
        connection,
        project,
        2,
        name="Engagement",
        published_at=None,
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    make_link(connection, project, 3, name="Removed one", deleted_at=timezone.now())
    make_link(connection, project, 4, name="Old account's", is_active=False)

    html = workspace(owner_client, project)
    page = text(html)
    assert "Only visible to you" in page and "Pic-Time Galleries" in page
    assert "Wedding day Online Expires in 5 days 312 images" in page
    assert "Engagement Expired 2 images" in page  # clients can't open it: not "Offline", not "Online"
    assert "Removed one Deleted in Pic-Time" in page
    assert "Old account's Offline Inactive" in page
    assert 'aria-label="Add gallery"' in html
    for name in ("View gallery", "Edit in Pic-Time", "Sync", "Unlink"):
        assert f'aria-label="{name}"' in html
    # View gallery opens the live gallery only while online and not expired; otherwise disabled,
    # with a tooltip that says why.
    assert 'href="https://pictime.example/g/1" target="_blank"' in html
    assert 'href="https://pictime.example/g/2"' not in html
    assert "This gallery has expired: clients can&#39;t open it. Extend it in Pic-Time." in html
    assert "This gallery is offline: View gallery works once you publish it in Pic-Time." in html
    assert "This gallery was deleted in Pic-Time." in html


def test_workspace_queries_do_not_grow_with_linked_galleries(owner_client, project, connection):
    make_link(connection, project, 0)
    workspace(owner_client, project)  # warm caches (content types, sessions)
    with CaptureQueriesContext(db) as one:
        workspace(owner_client, project)
    for n in range(1, 10):
        make_link(connection, project, n)
    with CaptureQueriesContext(db) as ten:
        html = workspace(owner_client, project)
    assert "Gallery number 9" in text(html)
    assert len(ten) == len(one)


def test_workspace_makes_no_request_to_pictime(owner_client, project, connection, pictime_api):
    make_link(connection, project, 1, name="Wedding day")
    make_link(connection, project, 2, name="Engagement")

    page = text(workspace(owner_client, project))

    assert "Wedding day" in page and "Engagement" in page
    assert offline.sent(pictime_api) == []


def test_panel_says_pictime_is_not_connected(owner_client, project):
    html = workspace(owner_client, project)
    assert "Pic-Time is not connected. Connect it in Company Settings > Integrations" in text(html)
    assert 'href="/settings/integrations/"' in html
    assert 'aria-label="Add gallery"' not in html


def test_panel_asks_to_reconnect(owner_client, project, connection):
    make_link(connection, project, 1, name="Wedding day")
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(status="needs_reconnection")

    html = workspace(owner_client, project)

    page = text(html)
    assert "Pic-Time needs to be reconnected" in page and "Reconnect" in page
    assert re.search(r'href="/settings/integrations/">Reconnect</a>', html)
    assert "Wedding day" in page
    assert 'aria-label="Add gallery"' not in html


# ----------------------------------------------------------------------------- adding
def test_add_gallery_offers_create_or_select(teammate_client, project, connection):
    response = teammate_client.get(reverse("pictime:panel_add", args=[project.pk]), **HTMX)
    assert response.status_code == 200
    page = text(response)
    assert "Create a new Pic-Time gallery" in page and "Select an existing gallery" in page


def test_new_gallery_form_is_prefilled_from_the_project(owner_client, project, connection):
    response = owner_client.get(reverse("pictime:panel_new", args=[project.pk]), **HTMX)
    html = response.content.decode()
    assert 'value="Bella &amp; Ben Wedding"' in html
    assert 'value="2027-06-12"' in html
    assert 'value="Bella Bride"' in html and 'value="bella@example.com"' in html
    assert 'value="bella-ben-wedding"' in html
    assert f'<option value="{connection.default_brand_id}" selected>' in html
    assert re.search(r'name="idempotency_key" value="[0-9a-f]{32}"', html)


def form_data(connection, **overrides):
    data = {
        "name": "Bella & Ben Wedding",
        "event_date": "2027-06-12",
        "client_name": "Bella Bride",
        "client_email": "bella@example.com",
        "brand_id": connection.default_brand_id,
        "preset_id": connection.default_preset_id,
        "slug": f"bella-ben-{uuid.uuid4().hex[:8]}",
        "idempotency_key": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def test_creating_a_gallery_links_it_and_a_double_submit_creates_one(
    teammate_client, project, connection, pictime_api
):
    url = reverse("pictime:panel_new", args=[project.pk])
    data = form_data(connection)
    made = gallery_dict(id="gal_new", name="Bella & Ben Wedding", slug=data["slug"], client=BELLA)
    made["event_date"] = "2027-06-12"
    offline.answer_galleries(pictime_api, q="bella@example.com")  # no likely duplicate yet
    offline.answer_create(pictime_api, made, data["idempotency_key"])
    offline.answer_orders(pictime_api, "gal_new")

    first = teammate_client.post(url, data, **HTMX)

    assert "“Bella & Ben Wedding” was created in Pic-Time and linked to this project." in text(first)
    assert "Bella & Ben Wedding Offline 0 images" in text(first)
    body = json.loads(offline.sent(pictime_api, "POST", "/galleries")[0].body)
    assert (body["name"], body["slug"], body["event_date"]) == (
        "Bella & Ben Wedding",
        data["slug"],
        "2027-06-12",
    )
    assert (body["brand_id"], body["preset_id"]) == ("br_1", "pr_1")  # the connection's defaults

    # The same form submitted again: Pic-Time's search now finds the gallery, already linked here.
    offline.answer_galleries(pictime_api, made, q="bella@example.com")
    second = teammate_client.post(url, data, **HTMX)

    assert second.status_code == 200
    assert "Linked to this project" in text(second)
    assert len(offline.sent(pictime_api, "POST", "/galleries")) == 1  # one gallery made
    link = GalleryLink.objects.get(project=project)
    assert link.origin == "created" and link.slug == data["slug"]
    assert "Pic-Time gallery “Bella & Ben Wedding” created and linked." in text(
        workspace(teammate_client, project)
    )


def test_bad_form_input_shows_field_messages_and_creates_nothing(
    owner_client, project, connection, pictime_api
):
    data = form_data(connection, name="  ", client_email="not-an-email", slug="No Spaces!")

    response = owner_client.post(reverse("pictime:panel_new", args=[project.pk]), data)

    assert response.status_code == 400
    page = text(response)
    # A name of spaces is an empty name once the field strips it.
    assert "Gallery name Enter a name for the gallery." in page
    assert "Enter a valid email address." in page
    assert "Use 3 to 100 lowercase letters, digits or hyphens." in page
    assert offline.sent(pictime_api) == []
    assert not GalleryLink.objects.exists()


def test_pictime_validation_details_show_on_the_right_field(owner_client, project, connection, pictime_api):
    data = form_data(connection, slug="taken-slug")
    offline.answer_galleries(pictime_api, q="bella@example.com")
    offline.answer_create_refused(
        pictime_api, "slug", "This slug is already taken in the account.", summary="Invalid gallery"
    )

    response = owner_client.post(reverse("pictime:panel_new", args=[project.pk]), data, **HTMX)

    html = response.content.decode()
    slug_field = re.search(r'<div class="field has-error">\s*<label for="id_slug">.*?</div>', html, re.S)
    assert slug_field and "This slug is already taken in the account." in slug_field.group(0)
    assert "Pic-Time rejected some of the details" in text(response)
    assert not GalleryLink.objects.exists()


def test_a_likely_duplicate_is_offered_for_connection_instead(owner_client, project, connection, pictime_api):
    existing = gallery_dict(id="gal_twin", name="Bella wedding (made in Pic-Time)", client=BELLA)
    existing["event_date"] = "2027-06-12"
    other_day = gallery_dict(id="gal_other", name="Bella engagement", client=BELLA, event_date="2027-01-02")
    offline.answer_galleries(pictime_api, existing, other_day, q="bella@example.com")
    url = reverse("pictime:panel_new", args=[project.pk])

    warned = owner_client.post(url, form_data(connection), **HTMX)

    page = text(warned)
    assert "1 gallery for bella@example.com on Jun 12, 2027 already exists in Pic-Time." in page
    assert "Bella wedding (made in Pic-Time)" in page and "Bella engagement" not in page
    assert 'aria-label="Connect gallery Bella wedding (made in Pic-Time)"' in warned.content.decode()
    assert "Create anyway" in page

    offline.answer_gallery(pictime_api, existing)
    offline.answer_orders(pictime_api, "gal_twin")
    connected = owner_client.post(
        reverse("pictime:panel_connect", args=[project.pk]), {"gallery_id": "gal_twin"}, **HTMX
    )
    assert "“Bella wedding (made in Pic-Time)” is now linked to this project." in text(connected)
    assert offline.sent(pictime_api, "POST") == []  # nothing created


def test_create_anyway_creates_despite_a_duplicate(owner_client, project, connection, pictime_api):
    data = form_data(connection, create_anyway="on")
    offline.answer_create(
        pictime_api, gallery_dict(id="gal_new", name="Bella & Ben Wedding"), data["idempotency_key"]
    )
    offline.answer_orders(pictime_api, "gal_new")

    response = owner_client.post(reverse("pictime:panel_new", args=[project.pk]), data, **HTMX)

    assert "“Bella & Ben Wedding” was created in Pic-Time and linked to this project." in text(response)
    assert offline.sent(pictime_api, "GET", "/galleries") == []  # no search for duplicates
    assert GalleryLink.objects.filter(project=project, gallery_id="gal_new").exists()


def connect(http, project, gallery_id, **extra):
    return http.post(reverse("pictime:panel_connect", args=[project.pk]), {"gallery_id": gallery_id}, **extra)


def linked_at_pictime(pictime_api, http, project, gallery):
    """`gallery` connected to the project from the panel (Pic-Time answers it and its orders)."""
    offline.answer_gallery(pictime_api, gallery)
    offline.answer_orders(pictime_api, gallery["id"])
    connect(http, project, gallery["id"], **HTMX)
    return GalleryLink.objects.get(project=project, gallery_id=gallery["id"])


def test_existing_galleries_are_searchable_and_marks_linked_ones(
    owner_client, project, connection, pictime_api
):
    wedding = gallery_dict(id="gal_w", name="Smith wedding")
    linked_at_pictime(pictime_api, owner_client, project, wedding)
    engagement = gallery_dict(id="gal_e", name="Smith engagement")
    offline.answer_galleries(pictime_api, wedding, engagement, q="smith")

    response = owner_client.get(
        reverse("pictime:panel_existing", args=[project.pk]), {"q": " smith "}, **HTMX
    )

    html = response.content.decode()
    results = html.split('aria-label="Pic-Time galleries"')[1].split("</ul>")[0]
    assert "Smith engagement" in results
    linked_row = re.search(r'<li data-gallery-id="gal_w">.*?</li>', results, re.S).group(0)
    assert "Linked to this project" in linked_row and "Connect" not in linked_row
    other_row = re.search(r'<li data-gallery-id="gal_e">.*?</li>', results, re.S).group(0)
    assert "Connect" in other_row and "Linked to this project" not in other_row
    assert offline.sent(pictime_api, "GET", "/galleries")[0].params == {"q": "smith", "limit": str(PAGE_SIZE)}


def test_existing_galleries_page_with_cursors(owner_client, project, connection, pictime_api):
    sessions = [gallery_dict(id=f"gal_{i}", name=f"Session {i:02}") for i in range(13)]
    offline.answer_galleries(pictime_api, *sessions[:PAGE_SIZE], next_cursor="cur-2", limit=str(PAGE_SIZE))
    offline.answer_galleries(pictime_api, *sessions[PAGE_SIZE:], cursor="cur-2")
    url = reverse("pictime:panel_existing", args=[project.pk])

    first = owner_client.get(url, **HTMX).content.decode()
    cursor = re.search(r'name="cursor" value="([^"]+)"', first).group(1)
    second = owner_client.get(url, {"cursor": cursor}, **HTMX).content.decode()

    name = r'<span class="pt-result-name">(Session \d\d)</span>'
    seen = re.findall(name, first) + re.findall(name, second)
    assert seen == [f"Session {i:02}" for i in range(13)]
    assert "Next page" in first and "Next page" not in second and "First page" in second
    # The next page sends only the cursor (Pic-Time's cursor carries the search).
    assert [r.params for r in offline.sent(pictime_api)] == [
        {"limit": str(PAGE_SIZE)},
        {"limit": str(PAGE_SIZE), "cursor": "cur-2"},
    ]


def test_connecting_another_accounts_gallery_is_refused(owner_client, project, connection, pictime_api):
    offline.answer_gallery(pictime_api, {"id": "gal_theirs"}, status=404)  # Pic-Time: not in this account

    response = connect(owner_client, project, "gal_theirs", **HTMX)

    assert response.status_code == 200
    assert "That gallery isn't in your connected Pic-Time account, so it can't be linked." in text(response)
    assert not GalleryLink.objects.exists()


def test_the_same_gallery_cannot_be_linked_twice(owner_client, project, connection, pictime_api):
    linked_at_pictime(pictime_api, owner_client, project, gallery_dict(id="gal_w", name="Wedding day"))

    response = connect(owner_client, project, "gal_w", **HTMX)

    assert "“Wedding day” is already linked to this project." in text(response)
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert len(offline.sent(pictime_api, "GET", "/galleries/gal_w")) == 1  # not asked again


def test_a_project_may_have_several_galleries(owner_client, project, connection, pictime_api):
    for n, name in enumerate(("Engagement", "Wedding")):
        offline.answer_gallery(pictime_api, gallery_dict(id=f"gal_{n}", name=name))
        offline.answer_orders(pictime_api, f"gal_{n}")
        connect(owner_client, project, f"gal_{n}")
    page = text(workspace(owner_client, project))
    assert "Engagement Offline" in page and "Wedding Offline" in page


def test_plain_post_without_htmx_redirects_to_the_workspace(owner_client, project, connection, pictime_api):
    offline.answer_gallery(pictime_api, gallery_dict(id="gal_nojs", name="No-JS gallery"))
    offline.answer_orders(pictime_api, "gal_nojs")
    response = connect(owner_client, project, "gal_nojs", follow=True)
    assert response.redirect_chain == [(project.get_absolute_url(), 302)]
    assert "“No-JS gallery” is now linked to this project." in text(response)


# ----------------------------------------------------------------------------- sync and unlink
def test_sync_shows_the_new_figures(owner_client, project, connection, pictime_api):
    gallery = gallery_dict(id="gal_w", name="Wedding day")
    link = linked_at_pictime(pictime_api, owner_client, project, gallery)
    published = later(gallery, 60, status="online", image_count=25, published_at=gallery["updated_at"])
    offline.answer_galleries(pictime_api, published, ids="gal_w")
    offline.answer_orders(pictime_api, "gal_w")

    response = owner_client.post(reverse("pictime:panel_sync", args=[project.pk, link.pk]), **HTMX)

    page = text(response)
    assert "“Wedding day” is up to date." in page
    assert "Wedding day Online 25 images" in page
    assert f'href="{gallery["public_url"]}" target="_blank"' in response.content.decode()


def test_unlink_removes_it_from_the_project_only(owner_client, project, connection, pictime_api):
    link = make_link(connection, project, 1, name="Wedding day")

    response = owner_client.post(reverse("pictime:panel_unlink", args=[project.pk, link.pk]), **HTMX)

    assert "“Wedding day” was unlinked from this project. It is still in Pic-Time." in text(response)
    assert not GalleryLink.objects.exists()
    assert offline.sent(pictime_api) == []  # nothing asked of Pic-Time, let alone deleted
    html = response.content.decode()
    assert "Unlink “Wedding day”?" not in html  # no link left to unlink


def test_unlink_asks_to_confirm(owner_client, project, connection):
    make_link(connection, project, 1, name="Wedding day")
    html = workspace(owner_client, project)
    # An in-page dialog that says what happens (not the browser's confirm()).
    assert "hx-confirm" not in html
    assert '<h3 id="pt-unlink-title-' in html and "Unlink “Wedding day”?" in html
    assert "Nothing is deleted in Pic-Time" in html


# ----------------------------------------------------------------------------- Pic-Time down
DOWN = "Couldn't reach Pic-Time. Try again in a minute."


def test_pictime_down_while_connecting_shows_the_message(owner_client, project, connection, pictime_api):
    offline.answer_gallery(pictime_api, {"id": "gal_w"}, status=500)
    response = connect(owner_client, project, "gal_w", **HTMX)
    assert response.status_code == 200
    assert DOWN in text(response)
    assert not GalleryLink.objects.exists()
    assert len(offline.sent(pictime_api)) == 1  # a person's click is not retried: it says so at once


def test_pictime_down_while_syncing_changes_nothing(owner_client, project, connection, pictime_api):
    link = make_link(connection, project, 1, name="Wedding day", image_count=0)
    offline.answer_down(pictime_api, responses.GET, "/galleries")

    response = owner_client.post(reverse("pictime:panel_sync", args=[project.pk, link.pk]), **HTMX)

    assert response.status_code == 200
    assert DOWN in text(response)
    assert "Wedding day Offline 0 images" in text(response)
    link.refresh_from_db()
    assert link.image_count == 0


def test_pictime_down_while_creating_creates_nothing(owner_client, project, connection, pictime_api):
    offline.answer_down(pictime_api, responses.GET, "/galleries")  # the search for a likely duplicate
    response = owner_client.post(
        reverse("pictime:panel_new", args=[project.pk]), form_data(connection), **HTMX
    )
    assert response.status_code == 200
    assert DOWN in text(response)
    assert 'value="Bella &amp; Ben Wedding"' in response.content.decode()  # the form is kept
    assert offline.sent(pictime_api, "POST") == []
    assert not GalleryLink.objects.exists()


def test_pictime_down_while_listing_shows_the_message(owner_client, project, connection, pictime_api):
    offline.answer_down(pictime_api, responses.GET, "/galleries")
    response = owner_client.get(reverse("pictime:panel_existing", args=[project.pk]), **HTMX)
    assert response.status_code == 200
    assert DOWN in text(response)


# ----------------------------------------------------------------------------- other companies
@pytest.fixture
def other_link(other_project):
    integration = CompanyIntegration.objects.create(
        company=other_project.company, provider="pictime", status="connected"
    )
    other_connection = Connection.objects.create(
        company=other_project.company, integration=integration, account_id="acc_other"
    )
    return make_link(other_connection, other_project, 99, name="Other studio's gallery")


PROJECT_ENDPOINTS = [
    ("get", "pictime:panel"),
    ("get", "pictime:panel_add"),
    ("get", "pictime:panel_new"),
    ("post", "pictime:panel_new"),
    ("get", "pictime:panel_existing"),
    ("post", "pictime:panel_connect"),
]
LINK_ENDPOINTS = ["pictime:panel_sync", "pictime:panel_unlink"]


@pytest.mark.parametrize("method,name", PROJECT_ENDPOINTS)
def test_outsider_gets_404_on_project_endpoints(outsider_client, project, connection, method, name):
    response = getattr(outsider_client, method)(reverse(name, args=[project.pk]), **HTMX)
    assert response.status_code == 404


@pytest.mark.parametrize("method,name", PROJECT_ENDPOINTS)
def test_another_companys_project_is_404(owner_client, other_project, connection, method, name):
    response = getattr(owner_client, method)(reverse(name, args=[other_project.pk]), **HTMX)
    assert response.status_code == 404


@pytest.mark.parametrize("name", LINK_ENDPOINTS)
def test_outsider_gets_404_on_link_endpoints(outsider_client, project, connection, name):
    link = make_link(connection, project, 1)
    response = outsider_client.post(reverse(name, args=[project.pk, link.pk]), **HTMX)
    assert response.status_code == 404
    assert GalleryLink.objects.filter(pk=link.pk).exists()


@pytest.mark.parametrize("name", LINK_ENDPOINTS)
def test_another_companys_link_is_404(owner_client, project, other_link, name):
    for project_pk in (project.pk, other_link.project_id):
        response = owner_client.post(reverse(name, args=[project_pk, other_link.pk]), **HTMX)
        assert response.status_code == 404
    assert GalleryLink.objects.filter(pk=other_link.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get(reverse("pictime:panel_add", args=[project.pk]))
    assert response.status_code == 302 and response.url.startswith("/login/")
