"""Webhook events are applied by a task per connection, in batches: each link written once a batch,
events of one gallery in the order received (an older state ignored), each event once, a bad one
failing alone, and a burst of deliveries queueing one task while one waits. No request to Pic-Time
is expected: its API is mocked with nothing to answer."""

import threading

import pytest
from django.db import connection as db
from django.db import connections
from django.test.utils import CaptureQueriesContext

from pictime import tasks
from pictime.models import GalleryLink, WebhookEvent
from pictime.services import webhooks
from tests.factories import deliver, event, later, link_gallery
from tests.helpers import statements
from tests.pictime.offline import offline_account, offline_connection, offline_gallery  # noqa: F401
from tests.pictime_client.conftest import gallery_dict

Status = WebhookEvent.Status


@pytest.fixture
def two_links(connection, project):
    galleries = [gallery_dict(id=f"gal_{n}", name=f"Wedding {n}", slug=f"wedding-{n}") for n in (1, 2)]
    return [(link_gallery(connection, project, gallery), gallery) for gallery in galleries]


def _store(client, connection, account_id, gallery, counts, prefix):
    """Delivers one gallery.updated per count (each a second later than the last delivered), without
    running the processing task; returns the event ids."""
    ids = []
    for n, count in enumerate(counts, start=1):
        event_id = f"{prefix}-{gallery['id']}-{n}"
        data = later(gallery, count, image_count=count)
        response = deliver(client, connection, event("gallery.updated", data, account_id, event_id))
        assert response.status_code == 202
        ids.append(event_id)
    return ids


@pytest.mark.django_db
def test_a_burst_is_applied_in_order_with_the_same_statements_however_many_events(
    client, connection, two_links, pictime_account, django_capture_on_commit_callbacks
):
    account = pictime_account["id"]

    def burst(counts, prefix):
        with django_capture_on_commit_callbacks(execute=False):  # stored; the task runs below
            for _link, gallery in two_links:
                _store(client, connection, account, gallery, counts, prefix)
        with CaptureQueriesContext(db) as processing:
            taken = tasks.process_webhook_events(connection.pk)
        assert taken == 2 * len(counts)
        return len(statements(processing))

    # 5 updates a gallery, the 4th older than the 3rd (delivered late): it is ignored.
    few = burst([1, 2, 4, 3, 5], "few")
    for link, _ in two_links:
        link.refresh_from_db()
        assert link.image_count == 5
    late = WebhookEvent.objects.filter(event_id__startswith="few-", event_id__endswith="-4")
    assert set(late.values_list("status", flat=True)) == {Status.IGNORED}
    assert WebhookEvent.objects.filter(event_id__startswith="few-", status=Status.PROCESSED).count() == 8

    # 40 more a gallery, one late again, cost the same statements: the claim, the links, one write
    # a link, one for their projects' panel version, one for the processed events and one for the
    # ignored.
    many = burst([*range(6, 43), 44, 43, 45], "many")
    assert many == few == 7
    for link, _ in two_links:
        link.refresh_from_db()
        assert link.image_count == 45
    assert not WebhookEvent.objects.filter(status=Status.QUEUED).exists()


@pytest.mark.django_db
def test_one_event_the_database_refuses_fails_alone_and_the_rest_of_its_batch_applies(
    connection, link, gallery, pictime_account
):
    account = pictime_account["id"]
    payloads = [
        event("gallery.updated", later(gallery, 1, image_count=7), account, "ok-1"),
        # As an older version stored it: a count no column can hold.
        event("gallery.updated", later(gallery, 2, image_count=10**30), account, "bad"),
        event("gallery.updated", later(gallery, 3, image_count=9), account, "ok-2"),
    ]
    for payload in payloads:
        WebhookEvent.objects.create(
            event_id=payload["id"], connection=connection, type=payload["type"], payload=payload
        )

    assert webhooks.process_queued(connection.pk) == 3

    statuses = dict(WebhookEvent.objects.values_list("event_id", "status"))
    assert statuses == {"ok-1": Status.PROCESSED, "bad": Status.FAILED, "ok-2": Status.PROCESSED}
    assert "image_count" in WebhookEvent.objects.get(event_id="bad").error
    link.refresh_from_db()
    assert link.image_count == 9


@pytest.mark.django_db
def test_a_burst_of_deliveries_queues_one_task_while_one_is_waiting(
    client, connection, link, gallery, pictime_account, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.process_webhook_events, "delay", queued.append)  # queued, not run yet
    with django_capture_on_commit_callbacks(execute=True):
        _store(client, connection, pictime_account["id"], gallery, [1, 2, 3, 4], "burst")
    assert queued == [connection.pk]

    assert webhooks.process_queued(connection.pk) == 4  # the task starts: later events queue another
    with django_capture_on_commit_callbacks(execute=True):
        _store(client, connection, pictime_account["id"], gallery, [5], "after")
    assert queued == [connection.pk, connection.pk]
    assert webhooks.process_queued(connection.pk) == 1
    link.refresh_from_db()
    assert link.image_count == 5


@pytest.mark.django_db(transaction=True)
def test_two_tasks_taking_the_same_connections_events_apply_each_once(connection, two_links, pictime_account):
    """Two workers drain one connection at once (PostgreSQL): the second waits for the first's batch,
    every event is taken by exactly one of them, none is ignored (each gallery's events apply in the
    order received), and each link ends in its newest state."""
    account = pictime_account["id"]
    for _link, gallery in two_links:
        for count in range(1, 151):
            payload = event(
                "gallery.updated",
                later(gallery, count, image_count=count),
                account,
                f"{gallery['id']}-{count}",
            )
            WebhookEvent.objects.create(
                event_id=payload["id"], connection=connection, type=payload["type"], payload=payload
            )
    taken = []
    start = threading.Barrier(2)

    def drain():
        try:
            start.wait()
            taken.append(webhooks.process_queued(connection.pk))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=drain) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sum(taken) == 300
    assert WebhookEvent.objects.filter(status=Status.PROCESSED).count() == 300
    assert dict(GalleryLink.objects.values_list("gallery_id", "image_count")) == {
        gallery["id"]: 150 for _, gallery in two_links
    }
