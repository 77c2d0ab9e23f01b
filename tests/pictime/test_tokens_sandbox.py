"""Pic-Time's token lifecycle as it really behaves, against the sandbox over HTTP: access tokens
ended early, grants revoked, refresh answers lost, and auto-creates that wait and then go through."""

import html
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.payments.services import record_payment
from crm.projects.models import Activity
from integrations.models import CompanyIntegration
from pictime.client import PicTimeClient
from pictime.errors import NeedsReconnection, RefreshRetrying
from pictime.models import AutoCreateJob, Connection, GalleryLink
from pictime.oauth import oauth_client
from pictime.schemas import TokenSet
from pictime.services import galleries
from pictime.services.connection import connect_account, set_auto_create
from tests.factories import link_gallery
from tests.helpers import access_token, feed, integrations_tab, pay
from tests.waiting import at_once, drive_retries


def stats(sandbox, account):
    return sandbox.stats(account["id"])


def sync_in_panel(http, link):
    response = http.post(
        reverse("pictime:panel_sync", args=[link.project_id, link.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def linked(sandbox, pictime_account, connection, project):
    return link_gallery(connection, project, sandbox.create_gallery(pictime_account["id"], name="Wedding"))


# --------------------------------------------------------------------------- ended early
@pytest.mark.django_db
def test_sync_after_pictime_ended_the_token_early_refreshes_once(
    owner_client, linked, connection, sandbox, pictime_account
):
    before = stats(sandbox, pictime_account)
    old_token = connection.access_token
    sandbox.expire_tokens(pictime_account["id"])

    page = sync_in_panel(owner_client, linked)

    assert "is up to date" in page and "reconnect" not in page.lower()
    after = stats(sandbox, pictime_account)
    assert after["token_refreshes"] == before["token_refreshes"] + 1
    connection.refresh_from_db()
    assert connection.is_connected and connection.access_token != old_token
    settings_page = owner_client.get("/settings/integrations/").content.decode()
    assert "Pic-Time needs to be reconnected." not in settings_page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_actions_at_once_after_an_early_expiry_share_one_refresh(
    connection, project, sandbox, pictime_account
):
    links = [
        link_gallery(connection, project, sandbox.create_gallery(pictime_account["id"], name=f"G{n}"))
        for n in range(8)
    ]
    before = stats(sandbox, pictime_account)
    sandbox.expire_tokens(pictime_account["id"])
    # Eight of the panel's "add an existing gallery" at once.
    _, errors = at_once(*[lambda: galleries.list_account_galleries(connection)] * len(links))

    assert errors == [None] * len(links)
    after = stats(sandbox, pictime_account)
    assert after["token_refreshes"] - before["token_refreshes"] == 1
    assert after["grace_replays"] - before["grace_replays"] <= 1
    assert after["refresh_reuse"] == before["refresh_reuse"] == 0
    connection.refresh_from_db()
    assert connection.is_connected
    # The grant is still valid: the stored refresh token rotates again.
    assert oauth_client().refresh(connection.refresh_token).access_token


# --------------------------------------------------------------------------- revoked
@pytest.mark.django_db
def test_a_revoked_grant_shows_reconnect_everywhere_at_the_next_action(
    owner_client, admin_client, linked, connection, project, sandbox, pictime_account
):
    sandbox.revoke_grants(pictime_account["id"])

    page = sync_in_panel(owner_client, linked)

    assert "reconnect" in page.lower()
    connection.refresh_from_db()
    assert connection.status == CompanyIntegration.Status.NEEDS_RECONNECTION
    settings_page = owner_client.get("/settings/integrations/").content.decode()
    assert "Pic-Time needs to be reconnected." in settings_page and ">Reconnect</button>" in settings_page
    workspace = owner_client.get(project.get_absolute_url()).content.decode()
    assert "Pic-Time needs to be reconnected: galleries can't be added or synced until then." in workspace
    admin_page = admin_client.get(reverse("admin:pictime_connection_changelist")).content.decode()
    assert "Needs reconnection" in admin_page
    assert stats(sandbox, pictime_account)["refresh_reuse"] == 0


@pytest.mark.django_db
def test_a_revoked_grant_is_seen_by_the_periodic_sync_too(linked, connection, sandbox, pictime_account):
    from pictime.models import SyncRun
    from pictime.services.sync import sync_links

    sandbox.revoke_grants(pictime_account["id"])
    run = sync_links(connection, None, SyncRun.Trigger.SCHEDULE)
    assert run.status == "failed" and "reconnect" in run.error.lower()
    connection.refresh_from_db()
    assert connection.needs_reconnection


# --------------------------------------------------------------------------- lost answers
@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["token_lose_next", "token_drop_next"])
def test_a_lost_refresh_answer_is_asked_again_within_the_grace(connection, sandbox, pictime_account, fault):
    before = stats(sandbox, pictime_account)
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)  # due by the clock
    sandbox.set_faults(account_id=pictime_account["id"], **{fault: 1})  # this account's token requests only

    token = access_token(connection.pk)

    after = stats(sandbox, pictime_account)
    assert after["grace_replays"] - before["grace_replays"] == 1
    assert after["refresh_reuse"] == 0
    connection.refresh_from_db()
    assert connection.is_connected and token == connection.access_token
    assert PicTimeClient(sandbox.url, token).get_account().id == pictime_account["id"]
    assert oauth_client().refresh(connection.refresh_token).access_token  # the grant lives on


RETRYING = "Pic-Time is not answering, retrying."


@pytest.mark.django_db
def test_a_token_endpoint_down_for_10_s_is_ridden_out_in_the_background(
    owner_client, linked, connection, project, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)  # due by the clock
    sandbox.set_faults(account_id=pictime_account["id"], token_down_seconds=10)
    started = time.monotonic()

    with django_capture_on_commit_callbacks() as worker:
        page = html.unescape(sync_in_panel(owner_client, linked))

    assert time.monotonic() - started < 8  # the request's share (0.5 + 1 + 2 s), not the grace
    assert RETRYING in page and "reconnect" not in page.lower()
    tab = integrations_tab(owner_client)
    assert RETRYING in tab and "needs to be reconnected" not in tab
    workspace = html.unescape(owner_client.get(project.get_absolute_url()).content.decode())
    assert RETRYING in workspace and "reconnect" not in workspace.lower()
    assert "Connected" in tab

    for task in worker:  # the worker's part (run eagerly here): the same refresh token, in the grace
        task()

    assert time.monotonic() - started >= 10
    connection.refresh_from_db()
    assert connection.is_connected and connection.refresh_sent_at is None
    after = stats(sandbox, pictime_account)
    assert after["refresh_reuse"] == 0 and after["grace_replays"] == 1
    assert "is up to date" in sync_in_panel(owner_client, linked)
    assert RETRYING not in integrations_tab(owner_client)
    assert oauth_client().refresh(connection.refresh_token).access_token  # the grant lives on


@pytest.mark.django_db
def test_a_refresh_unanswered_for_the_whole_grace_is_never_sent_again(
    owner_client, linked, connection, sandbox, pictime_account, settings, django_capture_on_commit_callbacks
):
    """Shortened clocks: our margin 3 s, Pic-Time's grace 4 s, Pic-Time down 5 s. Sending the spent
    token after the outage would be a reuse that revokes the grant; it needs a reconnection instead."""
    settings.PICTIME_REFRESH_GRACE_SECONDS = 3
    settings.PICTIME_REFRESH_RETRY_DELAYS = (0.5,)
    settings.PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS = 0.5
    sandbox.set_faults(refresh_grace=4)
    sandbox.set_faults(account_id=pictime_account["id"], token_down_seconds=5)
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)

    with django_capture_on_commit_callbacks() as worker, pytest.raises(RefreshRetrying):
        access_token(connection.pk)
    for task in worker:
        task()

    connection.refresh_from_db()
    assert connection.needs_reconnection and not connection.refresh_retrying
    time.sleep(5.5)  # the outage is over: nothing the CRM does now presents the spent token
    with pytest.raises(NeedsReconnection):
        access_token(connection.pk)
    assert "reconnect" in sync_in_panel(owner_client, linked).lower()
    assert stats(sandbox, pictime_account)["refresh_reuse"] == 0
    assert "Pic-Time needs to be reconnected." in integrations_tab(owner_client)


def crashed_while_refreshing(connection, seconds_ago):
    """A process sent the refresh (Pic-Time rotated it) and died before saving the answer; what it
    committed before sending says when."""
    oauth_client().refresh(connection.refresh_token)
    Connection.objects.filter(pk=connection.pk).update(
        access_token_expires_at=None, refresh_sent_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


@pytest.mark.django_db
def test_a_refresh_cut_short_by_a_crash_is_finished_by_the_next_request_within_the_grace(
    connection, sandbox, pictime_account
):
    crashed_while_refreshing(connection, seconds_ago=5)
    token = access_token(connection.pk)
    after = stats(sandbox, pictime_account)
    assert after["grace_replays"] == 1 and after["refresh_reuse"] == 0
    connection.refresh_from_db()
    assert connection.is_connected and connection.refresh_sent_at is None
    assert PicTimeClient(sandbox.url, token).get_account().id == pictime_account["id"]


@pytest.mark.django_db
def test_a_refresh_token_sent_longer_ago_than_the_margin_is_never_sent_again(
    owner_client, connection, sandbox, pictime_account
):
    crashed_while_refreshing(connection, seconds_ago=26)
    before = stats(sandbox, pictime_account)
    with pytest.raises(NeedsReconnection):
        access_token(connection.pk)
    after = stats(sandbox, pictime_account)
    assert after["token_refreshes"] == before["token_refreshes"] and after["refresh_reuse"] == 0
    connection.refresh_from_db()
    assert connection.needs_reconnection
    assert "Pic-Time needs to be reconnected." in integrations_tab(owner_client)


@pytest.mark.django_db
def test_a_lost_answer_to_a_forced_refresh_still_lets_sync_through(
    owner_client, linked, connection, sandbox, pictime_account
):
    sandbox.expire_tokens(pictime_account["id"])
    sandbox.set_faults(token_lose_next=1)
    assert "is up to date" in sync_in_panel(owner_client, linked)
    assert stats(sandbox, pictime_account)["refresh_reuse"] == 0
    connection.refresh_from_db()
    assert connection.is_connected


# --------------------------------------------------------------------------- auto-create
@pytest.mark.django_db
def test_a_first_payment_after_an_early_expiry_creates_the_gallery(
    connection, installment, sandbox, pictime_account, django_capture_on_commit_callbacks
):
    set_auto_create(connection, True)
    sandbox.expire_tokens(pictime_account["id"])
    project = installment.invoice.project

    pay(installment, django_capture_on_commit_callbacks)

    # The resend after the refresh may wait its turn under the rate limit: a worker runs it then
    # (run eagerly here, the beat's sweep does, as drive_retries plays it).
    job = drive_retries(AutoCreateJob.objects.get(project=project))
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert GalleryLink.objects.filter(project=project, origin=GalleryLink.Origin.AUTO_CREATED).count() == 1
    assert stats(sandbox, pictime_account)["galleries"] == 1
    assert any(
        message.startswith("Pic-Time gallery created") for message in feed(project, Activity.Kind.INTEGRATION)
    )


@pytest.mark.django_db
def test_a_first_payment_while_revoked_waits_then_reconnecting_creates_it_once(
    connection, installment, sandbox, pictime_account, pictime_settings, django_capture_on_commit_callbacks
):
    set_auto_create(connection, True)
    sandbox.revoke_grants(pictime_account["id"])
    project = installment.invoice.project

    pay(installment, django_capture_on_commit_callbacks)

    job = AutoCreateJob.objects.get(project=project)
    assert job.status == AutoCreateJob.Status.WAITING_RECONNECT
    connection.refresh_from_db()
    assert connection.needs_reconnection
    assert not GalleryLink.objects.filter(project=project).exists()

    grant = sandbox.issue_grant(pictime_account["id"], pictime_settings.PICTIME_CLIENT_ID)
    with django_capture_on_commit_callbacks(execute=True):
        connect_account(company=project.company, tokens=TokenSet.from_dict(grant))

    job.refresh_from_db()
    assert job.status == AutoCreateJob.Status.SUCCEEDED
    assert GalleryLink.objects.filter(project=project).count() == 1
    assert stats(sandbox, pictime_account)["galleries"] == 1
    assert any(
        message.startswith("Pic-Time gallery created") for message in feed(project, Activity.Kind.INTEGRATION)
    )


@pytest.mark.django_db
def test_a_parked_job_goes_through_after_any_successful_refresh(
    linked,
    connection,
    installment,
    sandbox,
    pictime_account,
    owner_client,
    django_capture_on_commit_callbacks,
):
    """A job parked for reconnection while the grant in fact still works resumes at the next refresh."""
    set_auto_create(connection, True)
    project = installment.invoice.project
    with django_capture_on_commit_callbacks(execute=False):  # the worker never got to it
        payment = record_payment(installment=installment, amount=Decimal("1000.00"), method="card")
    # The payment recorded the job; parked for a reconnection (as the old client did on any 401)
    # though the grant still works.
    recorded = AutoCreateJob.objects.filter(project=project, payment_id=payment.pk)
    assert recorded.update(status=AutoCreateJob.Status.WAITING_RECONNECT) == 1
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)

    connection.refresh_from_db()  # read as its callers read it
    with django_capture_on_commit_callbacks(execute=True):
        connection.api()  # the stored token is due: refreshed

    assert AutoCreateJob.objects.get(project=project).status == AutoCreateJob.Status.SUCCEEDED
    assert GalleryLink.objects.filter(project=project, origin=GalleryLink.Origin.AUTO_CREATED).count() == 1
    workspace = owner_client.get(project.get_absolute_url()).content.decode()
    assert "Pic-Time gallery created" in workspace
