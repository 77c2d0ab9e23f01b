"""The periodic sync and the one-project sync: Pic-Time's state, fetched politely, on our rows."""

import pytest

from crm.celery import app as celery_app
from integrations.models import CompanyIntegration
from pictime.client import BACKGROUND
from pictime.models import GalleryLink, Order, SyncRun
from pictime.services import sync
from tests.factories import link_gallery
from tests.fixtures import other_company_project


@pytest.fixture
def galleries(sandbox, pictime_account, connection, project):
    """101 galleries linked to the project (two batches of ids)."""
    made = [sandbox.create_gallery(pictime_account["id"], name=f"Session {n}") for n in range(101)]
    for gallery in made:
        link_gallery(connection, project, gallery)
    return made


@pytest.mark.django_db
def test_it_refreshes_every_linked_gallery_in_batches_of_100(connection, galleries, sandbox):
    sandbox.add_photos(galleries[0]["id"], 12)
    sandbox.publish(galleries[0]["id"])
    sandbox.add_photos(galleries[100]["id"], 3)

    run = sync.sync_links(connection, None, SyncRun.Trigger.COMMAND)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.galleries_checked == 101
    assert run.galleries_updated == 2
    assert run.requests_made == 3  # two gallery batches and one page of orders
    assert run.duration is not None
    first = GalleryLink.objects.get(gallery_id=galleries[0]["id"])
    assert (first.status, first.image_count, first.is_online) == ("online", 12, True)
    assert first.cover_url
    assert GalleryLink.objects.get(gallery_id=galleries[100]["id"]).image_count == 3
    connection.refresh_from_db()
    assert connection.last_synced_at is not None


@pytest.mark.django_db
def test_it_waits_out_a_rate_limit_and_repeats_the_batch(
    connection, galleries, sandbox, pictime_account, waits
):
    sandbox.add_photos(galleries[100]["id"], 4)
    sandbox.set_faults(rate_limit_next=1, retry_after=1)

    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert any(w >= 1 for w in waits)  # Retry-After honoured
    assert sandbox.stats(pictime_account["id"])["rate_limited"] == 1
    assert run.requests_made == 4  # the refused call, then the same call again
    assert GalleryLink.objects.get(gallery_id=galleries[100]["id"]).image_count == 4


@pytest.mark.django_db
def test_it_stays_under_the_rate_limit(connection, galleries, sandbox, pictime_account, waits):
    sandbox.set_rate_limit(per_sec=2, burst=1)
    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert run.requests_made - sandbox.stats(pictime_account["id"])["rate_limited"] == 3


@pytest.mark.django_db
def test_a_lasting_outage_fails_the_run_and_says_so(connection, galleries, sandbox, waits):
    sandbox.set_faults(error_rate=1.0)
    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.FAILED
    assert "Pic-Time" in run.error
    assert run.requests_made == 1 + BACKGROUND.transient  # bounded


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
def test_a_connection_needing_reconnection_is_not_synced(connection, galleries, sandbox, pictime_account):
    CompanyIntegration.objects.filter(pk=connection.integration_id).update(
        status=CompanyIntegration.Status.NEEDS_RECONNECTION
    )
    before = sandbox.stats(pictime_account["id"])["api_requests"]
    run = sync.sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == SyncRun.Status.FAILED and "needs reconnection" in run.error
    assert sandbox.stats(pictime_account["id"])["api_requests"] == before
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
