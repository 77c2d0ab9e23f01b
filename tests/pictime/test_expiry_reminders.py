"""The expiry reminder email: once per gallery and expiry date, N days before, only while the gallery
is online; Remind client at most once a day; retried when the mail server fails; recorded in the
feed and the panel; another company's gallery answers 404."""

import datetime
import html

import pytest
from django.core import mail
from django.utils import timezone

from pictime import tasks
from pictime.models import GalleryLink
from pictime.services import reminders
from tests.factories import make_link
from tests.helpers import feed

DAY = datetime.timedelta(days=1)


def sweep():
    """What beat runs every few minutes."""
    return tasks.send_due_reminders.apply().result


@pytest.fixture
def online(studio_connection, project):
    """An online gallery of the project (client: Bella Bride) expiring in 10 days."""
    return make_link(
        studio_connection,
        project,
        name="Bella & Ben Wedding",
        status="online",
        expires_at=timezone.now() + 10 * DAY,
        public_url="https://pictime.example/g/bella",
    )


def expire_in(link, delta):
    GalleryLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() + delta)


@pytest.mark.django_db
def test_sent_once_when_the_gallery_is_n_days_from_expiring(online, project, studio_connection):
    assert studio_connection.reminder_email_enabled and studio_connection.reminder_days_before == 7
    assert sweep() == 0  # 10 days left
    expire_in(online, 7 * DAY + datetime.timedelta(minutes=5))
    assert sweep() == 0  # just over 7 days left
    expire_in(online, 7 * DAY - datetime.timedelta(minutes=5))
    assert sweep() == 1

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    online.refresh_from_db()
    closes = reminders.closes_on(online.expires_at)
    assert email.to == ["bella@example.com"]
    assert email.from_email.startswith("Lumen Studio <")
    assert email.subject == f"Your gallery “Bella & Ben Wedding” closes on {closes}"
    html = email.alternatives[0][0]
    for body in (email.body, html):
        assert "https://pictime.example/g/bella" in body
        assert f"/portal/{project.portal_token}/" in body
        assert "Hi Bella," in body
        assert closes in body
    assert "Open your gallery" in html
    # The studio's sign-off (set with the ready email) closes it, under the button and the portal link.
    assert email.body.rstrip().endswith("With love,\nLumen Studio")

    assert online.reminder_status == "sent" and online.reminder_expires_at == online.expires_at
    assert f"Expiry reminder for “Bella & Ben Wedding” (closes {closes}) sent to bella@example.com" in feed(
        project
    )

    # A second run, and a third, send nothing more.
    assert sweep() == 0
    tasks.send_expiry_reminder.apply((online.pk,))
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_changed_expiry_date_sends_one_more(online):
    expire_in(online, 3 * DAY)
    sweep()
    expire_in(online, 6 * DAY)  # extended in Pic-Time: a new expiry date
    sweep()
    sweep()
    assert len(mail.outbox) == 2
    assert reminders.closes_on(GalleryLink.objects.get(pk=online.pk).expires_at) in mail.outbox[1].subject


@pytest.mark.django_db
@pytest.mark.parametrize(
    "state",
    [
        {"status": "offline"},
        {"expires_at_delta": -DAY},
        {"deleted_at": "now"},
        {"is_active": False},
    ],
    ids=["offline", "expired", "deleted", "inactive"],
)
def test_never_for_a_gallery_clients_cannot_open(online, state):
    changes = dict(state)
    if "expires_at_delta" in changes:
        changes["expires_at"] = timezone.now() + changes.pop("expires_at_delta")
    else:
        changes["expires_at"] = timezone.now() + 2 * DAY
    if changes.get("deleted_at") == "now":
        changes["deleted_at"] = timezone.now()
    GalleryLink.objects.filter(pk=online.pk).update(**changes)
    assert sweep() == 0
    tasks.send_expiry_reminder.apply((online.pk,))
    assert mail.outbox == []


@pytest.mark.django_db
def test_none_when_the_studio_turned_reminders_off_or_the_client_has_no_email(
    online, studio_connection, project
):
    studio_connection.reminder_email_enabled = False
    studio_connection.save()
    expire_in(online, 2 * DAY)
    assert sweep() == 0
    studio_connection.reminder_email_enabled = True
    studio_connection.reminder_days_before = 1
    studio_connection.save()
    assert sweep() == 0  # 2 days left, the studio's 1 day not reached
    project.client.email = ""
    project.client.save()
    expire_in(online, datetime.timedelta(hours=20))
    sweep()
    sweep()
    assert mail.outbox == []
    online.refresh_from_db()
    assert online.reminder_status == "skipped" and online.reminder_error == "The client has no email address"


@pytest.mark.django_db
def test_a_lost_message_is_found_by_the_next_sweep(online, owner_client, django_capture_on_commit_callbacks):
    # Remind client's message never reaches a worker (its after-commit publish is not run).
    with django_capture_on_commit_callbacks(execute=False):
        owner_client.post(f"/galleries/{online.pk}/remind/")
    assert mail.outbox == []
    assert GalleryLink.objects.get(pk=online.pk).reminder_requested_at is not None
    assert sweep() == 1
    assert len(mail.outbox) == 1
    assert sweep() == 0


# --------------------------------------------------------------------------- Remind client
def remind(http, link, **kwargs):
    with_callbacks = kwargs.pop("capture")
    with with_callbacks(execute=True):
        return http.post(f"/galleries/{link.pk}/remind/", {"next": "/galleries/?status=online"}, follow=True)


@pytest.mark.django_db
def test_remind_client_twice_in_a_day_sends_one(
    online, owner_client, teammate_client, project, studio_connection, django_capture_on_commit_callbacks
):
    first = remind(owner_client, online, capture=django_capture_on_commit_callbacks)
    assert first.redirect_chain[-1][0] == "/galleries/?status=online"
    assert "Reminder for “Bella & Ben Wedding” sent to bella@example.com." in html.unescape(
        first.content.decode()
    )
    assert len(mail.outbox) == 1
    second = remind(teammate_client, online, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    page = html.unescape(second.content.decode())
    assert "was already sent to bella@example.com" in page and "You can send another one tomorrow." in page
    # It was this expiry date's reminder: the beat sends none when the gallery enters the window.
    studio_connection.reminder_days_before = 30
    studio_connection.save()
    assert sweep() == 0

    # A day later Remind client sends again.
    GalleryLink.objects.filter(pk=online.pk).update(
        reminder_at=timezone.now() - DAY - datetime.timedelta(minutes=1)
    )
    remind(owner_client, online, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    # The panel and the feed record it.
    workspace = owner_client.get(f"/projects/{project.pk}/").content.decode()
    assert (
        f"Reminder sent {timezone.localtime(timezone.now()):%b} {timezone.localtime(timezone.now()).day}"
        in workspace
    )
    assert len([m for m in feed(project) if m.startswith("Expiry reminder for")]) == 2


@pytest.mark.django_db
def test_remind_client_for_a_gallery_that_is_not_online_says_why(
    online, owner_client, django_capture_on_commit_callbacks
):
    GalleryLink.objects.filter(pk=online.pk).update(status="offline")
    response = remind(owner_client, online, capture=django_capture_on_commit_callbacks)
    assert "is not online with an expiry date ahead" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_request_for_a_gallery_taken_offline_meanwhile_is_dropped_after_a_day(
    online, owner_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # the message is lost
        owner_client.post(f"/galleries/{online.pk}/remind/")
    GalleryLink.objects.filter(pk=online.pk).update(status="offline")
    assert sweep() == 0
    # Back online two days later: no reminder from that old click (it was never due by date).
    GalleryLink.objects.filter(pk=online.pk).update(
        status="online", reminder_requested_at=timezone.now() - 2 * DAY
    )
    assert sweep() == 0 and mail.outbox == []
    # And Remind client works again.
    remind(owner_client, online, capture=django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_another_company_cannot_remind_our_client(online, outsider_client, client):
    assert outsider_client.post(f"/galleries/{online.pk}/remind/").status_code == 404
    assert client.post(f"/galleries/{online.pk}/remind/").status_code == 302  # to the login page
    assert outsider_client.get(f"/galleries/{online.pk}/remind/").status_code == 405
    online.refresh_from_db()
    assert online.reminder_requested_at is None and mail.outbox == []


# --------------------------------------------------------------------------- a failing mail server
@pytest.fixture
def flaky_smtp(smtp_server_factory):
    """aiosmtpd on a free loopback port that refuses the first message (451) and keeps the rest."""
    return smtp_server_factory(refuse=1)


@pytest.mark.django_db
def test_a_refused_send_is_retried_and_delivered_once(online, project, settings, flaky_smtp, monkeypatch):
    # Run eagerly, a task's retries run at once when its Retry isn't propagated.
    monkeypatch.setitem(tasks.send_expiry_reminder.app.conf, "task_eager_propagates", False)
    port, server = flaky_smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    expire_in(online, 2 * DAY)
    sweep()
    assert server.refused == 1 and len(server.messages) == 1
    assert server.messages[0].rcpt_tos == ["bella@example.com"]
    online.refresh_from_db()
    assert online.reminder_status == "sent"
    lines = feed(project)
    assert any(
        m.startswith("Expiry reminder to bella@example.com failed") and m.endswith("Trying again shortly.")
        for m in lines
    )
    sweep()
    assert len(server.messages) == 1


@pytest.mark.django_db
def test_a_mail_server_down_for_long_is_tried_again_by_the_sweep(
    online, project, settings, monkeypatch, owner_client
):
    monkeypatch.setitem(tasks.send_expiry_reminder.app.conf, "task_eager_propagates", False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    expire_in(online, 2 * DAY)
    sweep()
    online.refresh_from_db()
    assert online.reminder_status == "failed" and "Connection" in online.reminder_error
    assert any(m.endswith("It was not sent.") for m in feed(project))  # eager: every retry ran
    workspace = owner_client.get(f"/projects/{project.pk}/").content.decode()
    assert "Expiry reminder to bella@example.com failed: ConnectionRefusedError" in workspace
    assert sweep() == 0  # the sweep leaves it a while to the task's own retries

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    GalleryLink.objects.filter(pk=online.pk).update(reminder_at=timezone.now() - reminders.FAILED_RETRY_AFTER)
    assert sweep() == 1
    assert len(mail.outbox) == 1
    assert sweep() == 0
