"""Pic-Time's token endpoint down for 10 s from the first refresh (that refresh carried out, its
answer lost), then answering: the request says "retrying" after its own short share, a real Celery
worker on Redis asks again with the same refresh token inside the grace, and the studio stays
connected, with no reuse of a spent token seen by Pic-Time."""

import html
import time

import pytest
from django.urls import reverse

from pictime.models import Connection
from pictime.oauth import oauth_client
from tests.factories import link_gallery
from tests.waiting import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RETRYING = "Pic-Time is not answering, retrying."


def test_a_token_endpoint_down_for_10_s_is_ridden_out_by_the_worker(
    celery_worker_process, owner_client, connection, project, sandbox, pictime_account
):
    link = link_gallery(connection, project, sandbox.create_gallery(pictime_account["id"], name="Wedding"))
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)  # due by the clock
    sandbox.set_faults(account_id=pictime_account["id"], token_down_seconds=10)
    started = time.monotonic()

    response = owner_client.post(
        reverse("pictime:panel_sync", args=[project.pk, link.pk]), HTTP_HX_REQUEST="true"
    )

    assert time.monotonic() - started < 8  # the request's share, not the grace
    page = html.unescape(response.content.decode())
    assert RETRYING in page and "reconnect" not in page.lower()
    assert RETRYING in html.unescape(owner_client.get("/settings/integrations/").content.decode())

    def refreshed():
        row = Connection.objects.select_related("integration").get(pk=connection.pk)
        return row if row.refresh_sent_at is None else None

    row = wait_until(refreshed, timeout=30)
    assert row, "the worker did not finish the refresh"
    assert time.monotonic() - started >= 10  # Pic-Time answered only after its outage
    assert row.is_connected and row.refresh_retry_until is None
    stats = sandbox.stats(pictime_account["id"])
    assert stats["refresh_reuse"] == 0 and stats["grace_replays"] == 1
    tab = html.unescape(owner_client.get("/settings/integrations/").content.decode())
    assert RETRYING not in tab and "needs to be reconnected" not in tab
    again = owner_client.post(
        reverse("pictime:panel_sync", args=[project.pk, link.pk]), HTTP_HX_REQUEST="true"
    )
    assert "is up to date" in again.content.decode()
    assert oauth_client().refresh(row.refresh_token).access_token  # the grant lives on
