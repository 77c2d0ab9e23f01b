"""The "gallery ready" email: a linked gallery's first publication emails the project's client once,
from the studio, with the gallery and portal links; the project moves to Delivered. The changes come
as Pic-Time's webhooks; Pic-Time's API is mocked with nothing to answer (no request is expected)."""

import pytest
from django.core import mail
from django.utils import timezone

from crm.projects.models import Project
from pictime import tasks
from pictime.models import GalleryLink
from pictime.services import webhooks
from tests.factories import deliver, event, link_gallery
from tests.helpers import feed, run_task
from tests.pictime.offline import offline_account, offline_connection, offline_gallery  # noqa: F401
from tests.pictime_client.conftest import gallery_dict


@pytest.mark.django_db
def test_publishing_a_linked_gallery_emails_the_client_once_with_its_links(pictime, link, project, gallery):
    pictime.publish(cover_url="https://pictime.example/covers/bella.jpg")

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["bella@example.com"]
    assert email.from_email.startswith("Lumen Studio <")
    assert email.subject == "Your gallery “Bella & Ben Wedding” is ready"
    html = email.alternatives[0][0]
    portal = f"http://testserver/portal/{project.portal_token}/"
    for body in (email.body, html):
        assert gallery["public_url"] in body
        assert portal in body
        assert "Hi Bella," in body  # the first name
        # The studio's sign-off comes last: after the gallery's link and the portal's.
        assert (
            body.index(portal)
            < body.index("With love,")
            < body.index("Lumen Studio", body.index("With love,"))
        )
    assert 'src="https://pictime.example/covers/bella.jpg"' in html
    assert (
        html.index('src="https://pictime.example/covers/bella.jpg"')
        < html.index("View your gallery")
        < html.index("With love,")
    )
    assert "View your gallery" in html

    link.refresh_from_db()
    assert link.ready_email_status == "sent" and link.ready_email_to == "bella@example.com"
    assert "Gallery ready email sent to bella@example.com" in feed(project)
    project.refresh_from_db()
    assert project.stage == Project.Stage.DELIVERED
    assert "Stage changed to Delivered" in feed(project)


@pytest.mark.django_db
def test_publish_offline_publish_again_sends_one_email(pictime, link):
    pictime.publish()
    pictime.take_offline()
    pictime.publish()
    pictime.change(image_count=40)  # an update of an online gallery is no publication either
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_same_event_delivered_twice_sends_one_email(pictime, link, client, connection, pictime_account):
    pictime.publish()
    again = event("gallery.updated", pictime.gallery, pictime_account["id"], f"evt_{pictime.seconds}")
    deliver(client, connection, again)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_email_for_a_gallery_taken_offline_before_it_goes_out(pictime, link, project):
    pictime.publish(run_tasks=False)
    pictime.take_offline(run_tasks=False)
    pictime.run_queued()
    assert mail.outbox == []
    link.refresh_from_db()
    assert link.ready_email_status == ""  # its real first publication will still email


@pytest.mark.django_db
def test_no_email_for_a_gallery_deleted_before_it_goes_out(pictime, link):
    pictime.publish(run_tasks=False)
    pictime.change("gallery.deleted", run_tasks=False)
    pictime.run_queued()
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_email_for_an_expired_gallery(pictime, link):
    pictime.publish(expires_at="2020-01-01T00:00:00Z")
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_email_when_the_company_turned_it_off(pictime, link, connection, project):
    connection.ready_email_enabled = False
    connection.save()
    pictime.publish()
    assert mail.outbox == []
    link.refresh_from_db()
    assert link.ready_email_status == "skipped"
    project.refresh_from_db()
    assert project.stage == Project.Stage.DELIVERED  # delivered all the same

    # Turned on later: this gallery's publication has passed; it gets no email.
    connection.ready_email_enabled = True
    connection.save()
    pictime.take_offline()
    pictime.publish()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_linked_gallery_already_online_is_not_a_publication(connection, project):
    published = "2026-01-10T10:00:00Z"
    gallery = gallery_dict(name="Delivered long ago", status="online", published_at=published, image_count=80)
    link_gallery(connection, project, gallery)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_completed_project_stays_completed(pictime, link, project):
    Project.objects.filter(pk=project.pk).update(stage=Project.Stage.COMPLETED)
    pictime.publish()
    project.refresh_from_db()
    assert project.stage == Project.Stage.COMPLETED
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_is_shown_and_retried(pictime, link, project, settings, owner_client):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    pictime.publish()

    link.refresh_from_db()
    assert link.ready_email_status == "failed" and "Connection" in link.ready_email_error
    failed = "Gallery ready email to bella@example.com failed"
    assert feed(project)[0].startswith(failed) and feed(project)[0].endswith("Trying again shortly.")
    page = owner_client.get(f"/projects/{project.pk}/").content.decode()
    assert failed in page
    # Its retries, each run as a worker runs it when its countdown ends: the sixth try is the last.
    assert [run_task(tasks.gallery_published, link.pk) for _ in range(5)] == ["retrying"] * 4 + ["failed"]
    assert feed(project)[0].startswith(failed) and feed(project)[0].endswith("It was not sent.")

    # The mail server is back: the next try (the beat or a republish) sends it, once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_task(tasks.gallery_published, link.pk) == "sent"
    assert run_task(tasks.gallery_published, link.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_another_company_s_gallery_never_emails_this_company_s_client(
    pictime, link, other_project, connection
):
    # The same Pic-Time gallery id linked in another studio's project, by another connection: the
    # webhook is this connection's, so only this company's link (and client) is affected.
    GalleryLink.objects.create(
        company=other_project.company,
        project=other_project,
        connection=connection,
        account_id="acct_other",
        gallery_id=link.gallery_id,
        name="Other",
    )
    pictime.publish()
    assert [m.to for m in mail.outbox] == [["bella@example.com"]]


# ------------------------------------------------------------------ a lost message: the beat's sweep


def sweep_emails():
    return tasks.run_pending_work()["ready_email"]


@pytest.mark.django_db
def test_an_email_whose_message_was_lost_is_sent_once_by_the_sweep_a_lease_later(pictime, link, project):
    """The email's message was lost (Redis restarted empty, or its worker died): the link says the
    email is due, and the sweep sends it once its lease has run out."""
    pictime.publish(run_tasks=False)
    pictime.pending.clear()  # the message never reaches a worker
    link.refresh_from_db()
    assert link.ready_email_due_at is not None and link.ready_email_status == ""
    assert sweep_emails() == 0 and not mail.outbox  # within its lease: it may be on its way

    GalleryLink.objects.filter(pk=link.pk).update(ready_email_due_at=timezone.now())  # a lease later
    assert sweep_emails() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bella@example.com"]
    assert Project.objects.get(pk=project.pk).stage == Project.Stage.DELIVERED
    link.refresh_from_db()
    assert link.ready_email_status == GalleryLink.ReadyEmail.SENT and link.ready_email_due_at is None
    assert sweep_emails() == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_email_the_broker_refused_is_sent_at_the_next_sweep(
    pictime, link, project, connection, broker_down, django_capture_on_commit_callbacks
):
    """The broker is down while a worker applies the publication: the email's message can't be sent;
    the next sweep after the broker is back sends it, without waiting a lease."""
    pictime.publish(run_tasks=False)  # the webhook's own message failed too: the event is stored
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.process_queued(connection.pk)  # the event applied (by a worker, say, or the sweep)
    link.refresh_from_db()
    assert link.status == GalleryLink.Status.ONLINE and not mail.outbox
    assert link.ready_email_due_at <= timezone.now()

    broker_down.back()
    assert sweep_emails() == 1
    assert len(mail.outbox) == 1
    assert sweep_emails() == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_email_sent_by_its_task_is_not_sent_again_by_the_sweep(pictime, link):
    pictime.publish()
    assert len(mail.outbox) == 1
    link.refresh_from_db()
    assert link.ready_email_due_at is None
    GalleryLink.objects.filter(pk=link.pk).update(ready_email_due_at=timezone.now())  # a late duplicate
    assert sweep_emails() == 1
    assert len(mail.outbox) == 1  # claimed once: the sweep's run finds it sent
