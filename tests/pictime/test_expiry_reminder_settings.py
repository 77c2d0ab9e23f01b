"""Integrations > Pic-Time > Expiry reminder email: on by default beside the gallery ready email; the
owner sets it, bad input changes nothing, a teammate previews it (the ready email's preview, its
content checked over HTTP), another studio neither changes nor previews ours."""

import datetime
import html
import re

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from pictime.models import Connection
from pictime.services import reminders
from tests.factories import make_link
from tests.helpers import messages_of

TAB = "/settings/integrations/"
SAVE = "/integrations/pictime/expiry-reminder/"
PREVIEW = "/integrations/pictime/ready-email/preview/"


def form(
    enabled=True,
    days="3",
    subject="{gallery_name} closes {expiry_date}",
    message="Dear {client_name}, {days_left} days left. {gallery_url} or {portal_url}",
):
    data = {
        "email": "expiry_reminder",
        "reminder_days_before": days,
        "reminder_email_subject": subject,
        "reminder_email_message": message,
    }
    if enabled:
        data["reminder_email_enabled"] = "on"
    return data


@pytest.mark.django_db
def test_it_is_on_by_default_beside_the_ready_email(owner_client, studio_connection):
    page = owner_client.get(TAB).content.decode()
    assert page.index("Gallery ready email") < page.index("Expiry reminder email")
    assert 'name="reminder_email_enabled" checked' in page
    assert 'name="reminder_days_before" value="7"' in page


@pytest.mark.django_db
def test_the_owner_sets_days_subject_and_message_then_turns_it_off(owner_client, studio_connection):
    response = owner_client.post(SAVE, form(), follow=True)
    assert "Expiry reminder saved: Email clients before a gallery expires is ON." in messages_of(response)
    studio_connection.refresh_from_db()
    assert studio_connection.reminder_days_before == 3
    assert studio_connection.reminder_email_subject == "{gallery_name} closes {expiry_date}"
    owner_client.post(SAVE, form(enabled=False))
    studio_connection.refresh_from_db()
    assert not studio_connection.reminder_email_enabled and studio_connection.reminder_days_before == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "subject", "error"),
    [
        ("0", "Hi", "Days before: Ensure this value is greater than or equal to 1."),
        ("61", "Hi", "Days before: Ensure this value is less than or equal to 60."),
        ("soon", "Hi", "Days before: Enter a whole number."),
        ("7", "   ", "Reminder subject: Enter a subject for the reminder."),
    ],
)
def test_bad_input_says_why_and_changes_nothing(owner_client, studio_connection, days, subject, error):
    response = owner_client.post(SAVE, form(days=days, subject=subject), follow=True)
    assert error in messages_of(response)
    studio_connection.refresh_from_db()
    assert studio_connection.reminder_days_before == 7
    assert (
        studio_connection.reminder_email_subject
        == Connection._meta.get_field("reminder_email_subject").default
    )


@pytest.mark.django_db
def test_a_teammate_previews_it_but_cannot_change_it(teammate_client, studio_connection, project):
    expires = timezone.now() + datetime.timedelta(days=4)
    make_link(studio_connection, project, name="Bella & Ben Wedding", status="online", expires_at=expires)
    assert teammate_client.post(SAVE, form(enabled=False)).status_code == 403
    response = teammate_client.post(PREVIEW, form(), headers={"HX-Request": "true"})
    frame = html.unescape(response.content.decode())
    assert f"Bella & Ben Wedding closes {reminders.closes_on(expires)}" in frame  # the subject
    src = re.search(r'<iframe[^>]* src="([^"]+)"', response.content.decode()).group(1)
    body = html.unescape(teammate_client.get(html.unescape(src)).content.decode())
    assert "Dear Bella Bride, 4 days left. https://pictime.example/g/" in body
    assert f" or {django_settings.SITE_URL}/portal/{project.portal_token}/" in body
    assert f"Open until {reminders.closes_on(expires)}" in body
    assert f"/portal/{project.portal_token}/" in body and "Open your gallery" in body
    studio_connection.refresh_from_db()
    assert studio_connection.reminder_email_enabled


@pytest.mark.django_db
def test_the_ready_email_preview_is_unchanged_by_the_reminder(teammate_client, studio_connection, project):
    make_link(studio_connection, project, name="Bella & Ben Wedding", status="online")
    response = teammate_client.post(
        PREVIEW, {"ready_email_subject": "{gallery_name} is ready", "ready_email_message": "Hi"}
    )
    assert "Bella &amp; Ben Wedding is ready" in response.content.decode()


@pytest.mark.django_db
def test_another_studio_neither_changes_nor_previews_ours(outsider_client, studio_connection, project):
    make_link(studio_connection, project, name="Bella & Ben Wedding", status="online")
    # Another studio's owner saves the form for their own studio, which has no Pic-Time: refused.
    response = outsider_client.post(SAVE, form(enabled=False), follow=True)
    assert [status for _url, status in response.redirect_chain] == [302]
    assert messages_of(response) == ["Connect Pic-Time first."]
    studio_connection.refresh_from_db()
    assert studio_connection.reminder_email_enabled and studio_connection.reminder_days_before == 7
    assert "Bella" not in outsider_client.post(PREVIEW, form()).content.decode()
    assert "Bella" not in outsider_client.get(PREVIEW + "body/", form()).content.decode()
