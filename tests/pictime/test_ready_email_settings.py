"""Integrations > Pic-Time > Gallery ready email: the owner sets it, a teammate sees it (and why it is
disabled) and previews it, another studio changes and sees nothing of ours; and a real SMTP server
receives the email a publication sends."""

import html
import re

import pytest
from django.core import mail

from pictime.models import Connection
from tests.helpers import messages_of

TAB = "/settings/integrations/"
SAVE = "/integrations/pictime/ready-email/"
PREVIEW = "/integrations/pictime/ready-email/preview/"


def form(
    enabled=True, subject="{gallery_name} is ready, {client_name}!", message="Dear {client_name}, enjoy."
):
    data = {"ready_email_subject": subject, "ready_email_message": message}
    if enabled:
        data["ready_email_enabled"] = "on"
    return data


@pytest.mark.django_db
def test_it_is_on_by_default_for_a_new_connection(owner_client, connection):
    assert connection.ready_email_enabled
    page = owner_client.get(TAB).content.decode()
    assert "Email clients when a gallery is published" in page
    assert 'name="ready_email_enabled" checked' in page


@pytest.mark.django_db
def test_the_owner_turns_it_off_and_sets_subject_and_message(owner_client, connection):
    response = owner_client.post(SAVE, form(enabled=False), follow=True)
    assert "Gallery ready email saved: Email clients when a gallery is published is OFF." in messages_of(
        response
    )
    connection.refresh_from_db()
    assert not connection.ready_email_enabled
    assert connection.ready_email_subject == "{gallery_name} is ready, {client_name}!"
    assert connection.ready_email_message == "Dear {client_name}, enjoy."


@pytest.mark.django_db
def test_an_empty_subject_changes_nothing(owner_client, connection):
    response = owner_client.post(SAVE, form(subject="  "), follow=True)
    assert "Email subject: Enter a subject for the email." in messages_of(response)
    connection.refresh_from_db()
    assert connection.ready_email_subject == Connection._meta.get_field("ready_email_subject").default


@pytest.mark.django_db
def test_a_teammate_sees_why_it_is_disabled_and_cannot_change_it(teammate_client, connection):
    page = teammate_client.get(TAB).content.decode()
    assert "Only the owner can change this." in page
    assert teammate_client.post(SAVE, form(enabled=False)).status_code == 403
    connection.refresh_from_db()
    assert connection.ready_email_enabled


@pytest.mark.django_db
def test_the_preview_fills_in_the_typed_text_with_the_newest_gallery(
    teammate_client,
    connection,
    link,
    project,
):
    response = teammate_client.post(PREVIEW, form(), headers={"HX-Request": "true"})
    frame = html.unescape(response.content.decode())
    assert "Bella & Ben Wedding is ready, Bella Bride!" in frame  # the subject
    # The email itself loads in a sandboxed frame, with a policy that lets its inline styles apply.
    src = re.search(r'<iframe[^>]* src="([^"]+)"', response.content.decode()).group(1)
    shown = teammate_client.get(html.unescape(src))
    assert "'unsafe-inline'" in shown.headers["Content-Security-Policy"].split("style-src")[1].split(";")[0]
    body = html.unescape(shown.content.decode())
    assert f"/portal/{project.portal_token}/" in body
    assert "View your gallery" in body


@pytest.mark.django_db
def test_another_studio_neither_changes_nor_previews_ours(
    outsider_client,
    connection,
    link,
    other_company,
):
    # Another studio's owner saves the form for their own studio, which has no Pic-Time: refused.
    response = outsider_client.post(SAVE, form(enabled=False), follow=True)
    assert [status for _url, status in response.redirect_chain] == [302]
    assert messages_of(response) == ["Connect Pic-Time first."]
    connection.refresh_from_db()
    assert connection.ready_email_enabled and "{gallery_name}" in connection.ready_email_subject
    # Not connected: nothing to preview, and certainly not our gallery.
    response = outsider_client.post(PREVIEW, form())
    assert "Bella" not in response.content.decode()
    response = outsider_client.get(PREVIEW + "body/", form())
    assert "Bella" not in response.content.decode()


# --------------------------------------------------------------------------- a real SMTP server
@pytest.fixture
def smtp_server(smtp_server_factory):
    """aiosmtpd on a free loopback port, keeping what it receives."""
    port, handler = smtp_server_factory()
    return port, handler.messages


@pytest.mark.django_db
def test_the_email_reaches_a_real_smtp_server(smtp_server, settings, gallery, link, pictime):
    port, received = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "studio@crm.test"

    pictime.publish()

    assert mail.outbox == []  # it went through SMTP, not locmem
    assert len(received) == 1
    envelope = received[0]
    assert envelope.mail_from == "studio@crm.test"
    assert envelope.rcpt_tos == ["bella@example.com"]
    text = envelope.content.decode()
    assert "From: Lumen Studio <studio@crm.test>" in text
    assert "Content-Type: text/html" in text and gallery["public_url"] in text
    link.refresh_from_db()
    assert link.ready_email_status == "sent"
