"""The periodic sync and the one-project sync: Pic-Time's state, fetched politely, on our rows."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from crm.celery import app as celery_app
from integrations.models import CompanyIntegration
from pictime.client import BACKGROUND
from pictime.models import GalleryLink, Order, SyncRun
from pictime.services import sync
from tests.factories import later, link_gallery
from tests.fixtures import PICTIME_API, other_company_project
from tests.pictime_client.conftest import gallery_dict

NO_ORDERS = {"data": [], "next_cursor": None}


@pytest.fixture
def galleries(sandbox, pictime_account, connection, project):
    """101 galleries at the sandbox linked to the project (two batches of ids)."""
    made = [sandbox.create_gallery(pictime_account["id"], name=f"Session {n}") for n in range(101)]
    for gallery in made:
        link_gallery(connection, project, gallery)
    return made


@pytest.fixture
def remote(mocked_connection, project):
    """101 galleries at the mocked Pic-Time linked to the project (two batches of ids)."""
    made = [gallery_dict(id=f"gal_{n}", name=f"Session {n}", slug=f"session-{n}") for n in range(101)]
    for gallery in made:
        link_gallery(mocked_connection, project, gallery)
    return made


def answer_galleries(pictime_api, galleries):
    """GET /galleries?ids=… answered with the galleries asked for; returns the batches of ids asked."""
    by_id = {g["id"]: g for g in galleries}
    asked = []

    def answer(request):
        ids = parse_qs(urlsplit(request.url).query)["ids"][0].split(",")
        asked.append(ids)
        return 200, {}, json.dumps({"data": [by_id[i] for i in ids if i in by_id], "next_cursor": None})

    pictime_api.add_callback(
        responses.GET, PICTIME_API + "/galleries", callback=answer, content_type="application/json"
    )
    return asked


@pytest.mark.django_db
def test_it_refreshes_every_linked_gallery_in_batches_of_100(mocked_connection, remote, pictime_api):
    published = later(remote[0], 60)["updated_at"]
    remote[0] = later(remote[0], 60, status="online", published_at=published, image_count=12)
    remote[0]["cover_url"] = "https://pictime.example/covers/gal_0.jpg"
    remote[100] = later(remote[100], 60, image_count=3)
    asked = answer_galleries(pictime_api, remote)
    pictime_api.get(PICTIME_API + "/orders", json=NO_ORDERS)

    run = sync.sync_links(mocked_connection, None, SyncRun.Trigger.COMMAND)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert [len(batch) for batch in asked] == [100, 1]
    assert sorted(sum(asked, [])) == sorted(g["id"] for g in remote)  # each gallery asked once
    assert run.galleries_checked == 101
    assert run.galleries_updated == 2
    assert run.requests_made == 3 == len(pictime_api.calls)  # two gallery batches and one page of orders
    assert run.duration is not None
    first = GalleryLink.objects.get(gallery_id="gal_0")
    assert (first.status, first.image_count, first.is_online) == ("online", 12, True)
    assert first.cover_url == "https://pictime.example/covers/gal_0.jpg"
    assert GalleryLink.objects.get(gallery_id="gal_100").image_count == 3
    mocked_connection.refresh_from_db()
    assert mocked_connection.last_synced_at is not None


@pytest.mark.django_db
def test_it_waits_out_a_rate_limit_and_repeats_the_batch(mocked_connection, remote, pictime_api, waits):
    remote[100] = later(remote[100], 60, image_count=4)
    refused = {"error": {"code": "rate_limited", "message": "Too many requests"}}
    pictime_api.get(PICTIME_API + "/galleries", status=429, json=refused, headers={"Retry-After": "1"})
    answer_galleries(pictime_api, remote)
    pictime_api.get(PICTIME_API + "/orders", json=NO_ORDERS)

    run = sync.sync_links(mocked_connection, None, SyncRun.Trigger.SCHEDULE)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert any(w >= 1 for w in waits)  # Retry-After honoured
    calls = pictime_api.calls
    assert [c.response.status_code for c in calls] == [429, 200, 200, 200]
    assert calls[1].request.url == calls[0].request.url  # the refused call, then the same call again
    assert run.requests_made == 4
    assert GalleryLink.objects.get(gallery_id="gal_100").image_count == 4


@pytest.mark.django_db
def test_it_stays_under_the_rate_limit(connection, galleries, sandbox, pictime_account, waits):
    sandbox.set_rate_limit(per_sec=2, burst=1)
    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.requests_made - sandbox.stats(pictime_account["id"])["rate_limited"] == 3


@pytest.mark.django_db
def test_a_lasting_outage_fails_the_run_and_says_so(mocked_connection, remote, pictime_api, backoffs):
    failing = {"error": {"code": "internal_error", "message": "Something broke"}}
    pictime_api.get(PICTIME_API + "/galleries", status=500, json=failing)
    run = sync.sync_links(mocked_connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.FAILED
    assert "Pic-Time" in run.error
    assert run.requests_made == 1 + BACKGROUND.transient == len(pictime_api.calls)  # bounded
    assert len(backoffs) == BACKGROUND.transient  # a backoff before each retry


@pytest.mark.django_db
def test_a_gallery_deleted_at_pictime_is_shown_as_deleted(connection, project, sandbox, pictime_account):
    kept = sandbox.create_gallery(pictime_account["id"], name="Kept")
    gone = sandbox.create_gallery(pictime_account["id"], name="Gone")
    link_gallery(connection, project, kept)
    link_gallery(connection, project, gone)
    sandbox.delete_gallery(gone["id"])

    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)

    assert GalleryLink.objects.get(gallery_id=gone["id"]).is_deleted
    assert not GalleryLink.objects.get(gallery_id=kept["id"]).is_deleted


@pytest.mark.django_db
def test_orders_of_linked_galleries_are_stored_once_and_refunds_update_them(
    connection, project, sandbox, pictime_account
):
    linked = sandbox.create_gallery(pictime_account["id"], name="Linked")
    unlinked = sandbox.create_gallery(pictime_account["id"], name="Not linked")
    link_gallery(connection, project, linked)
    order = sandbox.place_order(linked["id"])
    sandbox.place_order(unlinked["id"])

    first = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert first.orders_upserted == 1
    stored = Order.objects.get()
    assert (stored.order_id, stored.status, stored.number) == (order["id"], "paid", order["number"])
    connection.refresh_from_db()
    assert connection.orders_synced_until is not None

    sandbox.refund_order(order["id"])
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert Order.objects.count() == 1
    assert Order.objects.get().status == Order.Status.REFUNDED


@pytest.mark.django_db
def test_syncing_a_projects_links_refreshes_only_their_galleries_and_orders(
    connection, project, sandbox, pictime_account
):
    mine = sandbox.create_gallery(pictime_account["id"], name="Mine")
    link_gallery(connection, project, mine)
    sandbox.add_photos(mine["id"], 9)
    sandbox.place_order(mine["id"])

    run = sync.sync_links(connection, project.gallery_links.all(), SyncRun.Trigger.MANUAL, project=project)

    assert run.project == project and run.trigger == SyncRun.Trigger.MANUAL
    assert run.galleries_checked == 1 and run.orders_upserted == 1
    assert GalleryLink.objects.get(gallery_id=mine["id"]).image_count == 9


@pytest.mark.django_db
def test_a_connection_needing_reconnection_is_not_synced(mocked_connection, remote, pictime_api):
    CompanyIntegration.objects.filter(pk=mocked_connection.integration_id).update(
        status=CompanyIntegration.Status.NEEDS_RECONNECTION
    )
    run = sync.sync_links(mocked_connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.FAILED and "needs reconnection" in run.error
    assert len(pictime_api.calls) == 0  # nothing was sent to Pic-Time
    assert sync.connections_to_sync() == []


@pytest.mark.django_db
def test_the_beat_syncs_every_connected_company(
    connection, project, sandbox, pictime_account, settings, django_capture_on_commit_callbacks
):
    from pictime.tasks import sync_all_connections

    gallery = sandbox.create_gallery(pictime_account["id"], name="Beat")
    link = link_gallery(connection, project, gallery)
    sandbox.add_photos(gallery["id"], 2)

    with django_capture_on_commit_callbacks(execute=True):
        assert sync_all_connections() == 1

    run = SyncRun.objects.get()
    assert run.trigger == SyncRun.Trigger.SCHEDULE and run.status == SyncRun.Status.SUCCEEDED
    link.refresh_from_db()
    assert link.image_count == 2
    entry = celery_app.conf.beat_schedule["pictime-sync-connections"]
    assert entry["task"] == "pictime.sync_all_connections"
    assert entry["schedule"] == float(settings.PICTIME_SYNC_INTERVAL_SECONDS)
    assert "pictime.sync_all_connections" in celery_app.tasks


@pytest.mark.django_db
@pytest.mark.parametrize("chosen", [False, True], ids=["whole-company", "chosen-links"])
def test_another_companys_links_are_left_alone(
    chosen, connection, project, other_company, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Ours")
    ours = link_gallery(connection, project, gallery)
    theirs = GalleryLink.objects.create(
        company=other_company,
        project=other_company_project(other_company),
        connection=connection,
        account_id=pictime_account["id"],
        gallery_id=gallery["id"],
        name="Theirs",
    )
    sandbox.add_photos(gallery["id"], 5)

    # The whole company (the beat), or links handed in by a caller, another company's among them.
    run = sync.sync_links(connection, [ours, theirs] if chosen else None, SyncRun.Trigger.SCHEDULE)

    assert run.status == SyncRun.Status.SUCCEEDED and run.galleries_checked == 1
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.image_count, theirs.image_count) == (5, 0)
