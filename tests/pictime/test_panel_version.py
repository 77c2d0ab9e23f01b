"""The live panel's version: each service that changes what a project's Pic-Time panel shows moves
that project's version (and only its company's), and an unchanged poll is one query and no content."""

import pytest
from django.core import mail

from pictime.models import AutoCreateJob, Connection, SyncRun
from pictime.queue import retry_autocreate
from pictime.services import autocreate, galleries
from pictime.services.connection import disconnect
from pictime.services.live import project_version, ticket
from pictime.services.sync import sync_links
from pictime.tokens import rejected
from tests.factories import deliver, event, later, link_gallery, make_connection, make_link, make_project


class Versions:
    """The versions a project's panel went through."""

    def __init__(self, project):
        self.project = project
        self.seen = [self.now()]

    def now(self):
        return project_version(self.project.company_id, self.project.pk)

    def changed(self) -> bool:
        version = self.now()
        if version == self.seen[-1]:
            return False
        assert version not in self.seen
        self.seen.append(version)
        return True


@pytest.mark.django_db
def test_each_service_that_changes_the_panel_moves_its_version_and_no_other_company_s(
    client,
    project,
    other_project,
    connection,
    sandbox,
    pictime_account,
    send,
    django_capture_on_commit_callbacks,
):
    theirs_link = make_link(make_connection(other_project.company), other_project)
    mine, theirs = Versions(project), Versions(other_project)
    empty = Versions(make_project(project.company))  # a project of ours without galleries
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")

    link = galleries.link_existing(project, connection, gallery["id"])  # Connect gallery
    assert mine.changed()
    galleries.sync_link(link)  # the Sync button
    assert mine.changed()

    order = sandbox.place_order(
        gallery["id"], items=[{"sku": "P", "name": "Print", "quantity": 1, "unit_price": "9.00"}]
    )
    send(event("order.created", order, pictime_account["id"], "evt_order"))  # a sale by webhook
    assert mine.changed()
    send(event("order.updated", order, pictime_account["id"], "evt_order_again"))  # the same state
    assert not mine.changed()

    online = later(gallery, 1, status="online", published_at=gallery["updated_at"], image_count=12)
    with django_capture_on_commit_callbacks() as webhook_task:
        deliver(client, connection, event("gallery.updated", online, pictime_account["id"], "evt_online"))
    with django_capture_on_commit_callbacks() as email_task:
        webhook_task[0]()  # the webhook applied: online
    assert mine.changed()
    with django_capture_on_commit_callbacks(execute=True):
        email_task[0]()  # the gallery-ready email sent
    assert mine.changed() and mail.outbox

    sync_links(connection, None, SyncRun.Trigger.SCHEDULE)  # the periodic sync: "Synced just now"
    assert mine.changed()

    job = AutoCreateJob.objects.create(
        company=project.company,
        project=project,
        payment_id=1,
        status=AutoCreateJob.Status.FAILED,
        idempotency_key="autocreate-version",
    )
    assert not mine.changed()  # (made here as it stood after its last attempt failed)
    with django_capture_on_commit_callbacks(execute=False):
        assert retry_autocreate(job)  # the panel's Retry
    assert mine.changed()
    assert autocreate.run_job(job.pk).status == AutoCreateJob.Status.SUCCEEDED  # the worker: linked
    assert mine.changed()

    galleries.unlink(link)
    assert mine.changed()
    assert not empty.changed()  # nothing of it changed so far

    rejected(connection.pk, Connection.objects.get(pk=connection.pk).access_token)  # needs reconnection
    assert mine.changed() and empty.changed()
    disconnect(Connection.objects.get(pk=connection.pk))
    assert mine.changed() and empty.changed()

    assert len(mine.seen) == 12
    assert not theirs.changed()
    galleries.unlink(theirs_link)  # another company's change: theirs moves, ours not
    assert theirs.changed() and not mine.changed() and not empty.changed()


@pytest.mark.django_db
def test_an_unchanged_poll_is_one_query_and_no_content_however_many_galleries(
    owner_client, project, connection, sandbox, pictime_account, django_assert_num_queries
):
    for count in (0, 1, 10):
        while project.gallery_links.count() < count:
            link_gallery(connection, project, sandbox.create_gallery(pictime_account["id"], name="Session"))
        version = project_version(project.company, project.pk)
        with django_assert_num_queries(1):
            response = owner_client.get(
                f"/integrations/pictime/projects/{project.pk}/galleries/live/",
                {"v": version, "t": ticket(project)},
            )
        assert response.status_code == 204 and response.content == b""


@pytest.mark.django_db
def test_a_webhook_that_changes_nothing_shown_moves_no_version(project, connection, link, gallery, send):
    mine = Versions(project)
    send(event("gallery.updated", later(gallery, 5, image_count=7), connection.account_id, "evt_1"))
    assert mine.changed()
    send(event("gallery.updated", later(gallery, 1, image_count=3), connection.account_id, "evt_old"))
    assert not mine.changed()  # older than what the link has: ignored
