"""The open workspace's poll: 204 while nothing changed, the panel and Photo sales when something did
(a webhook, an order, an auto-create), for the company's own projects only. Pic-Time's API is
mocked on the network (tests/pictime/offline.py): the changes arrive as its webhooks or answers."""

import json
import re
from urllib.parse import parse_qs

import pytest

from pictime.services.live import project_version, read_ticket, ticket
from tests.fixtures import PICTIME_URL
from tests.helpers import access_token
from tests.pictime.offline import offline_account, offline_connection, offline_gallery  # noqa: F401
from tests.pictime_client.conftest import TOKEN, order_dict


def live_url(project):
    return f"/integrations/pictime/projects/{project.pk}/galleries/live/"


def version_on(page: str) -> str:
    return re.search(r'id="pictime-live" data-version="(\w+)"', page).group(1)


@pytest.mark.django_db
def test_the_workspace_polls_with_the_version_it_shows(owner_client, project, link):
    page = owner_client.get(project.get_absolute_url()).content.decode()
    version = version_on(page)
    assert version == project_version(project.company, project.pk)
    held = re.search(rf'hx-get="{live_url(project)}\?v={version}&amp;t=([^"]+)"', page).group(1)
    assert read_ticket(held) == (project.company_id, project.pk)
    # app.js sends the poll while the tab is visible and the panel idle (tests/e2e/test_live_e2e.py)
    assert 'data-poll-seconds="1" hx-trigger="pictime:poll"' in page


@pytest.mark.django_db
def test_nothing_changed_answers_204_with_no_body(owner_client, project, link):
    version = project_version(project.company, project.pk)
    response = owner_client.get(live_url(project), {"v": version, "t": ticket(project)})
    assert response.status_code == 204 and response.content == b""


@pytest.mark.django_db
def test_without_a_valid_ticket_the_poll_checks_the_session(
    client, owner_client, project, other_project, link
):
    version = project_version(project.company, project.pk)
    # No session: the login page, whatever the ticket (forged, or another project's).
    for t in ("", "forged", ticket(other_project)):
        assert client.get(live_url(project), {"v": version, "t": t}).status_code == 302
    # A member without a ticket gets the panel itself.
    assert owner_client.get(live_url(project), {"v": version}).status_code == 200


@pytest.mark.django_db
def test_a_webhook_changes_the_version_and_the_poll_answers_the_new_panel(
    owner_client, project, link, pictime
):
    before = project_version(project.company, project.pk)
    pictime.publish()

    response = owner_client.get(live_url(project), {"v": before}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = response.content.decode()
    assert version_on(page) != before
    assert 'class="badge online">Online<' in page and "12 images" in page
    assert 'id="pictime-sales"' in page  # Photo sales come with it
    assert "Gallery ready email sent to bella@example.com" in page


@pytest.mark.django_db
def test_an_order_and_an_unlink_change_the_version(project, link, connection, gallery):
    from pictime.models import Order
    from pictime.schemas import Order as RemoteOrder
    from pictime.services.galleries import unlink

    seen = {project_version(project.company, project.pk)}
    order = order_dict(gallery_id=gallery["id"])
    Order.objects.store_remote(project.company_id, RemoteOrder.from_dict(order))
    seen.add(project_version(project.company, project.pk))
    unlink(link)
    seen.add(project_version(project.company, project.pk))
    assert len(seen) == 3


@pytest.mark.django_db
def test_a_refresh_retried_by_a_worker_shows_in_the_open_panel_and_goes_when_it_is_done(
    owner_client,
    project,
    link,
    connection,
    pictime_api,
    monkeypatch,
    settings,
    django_capture_on_commit_callbacks,
):
    from pictime import tokens
    from pictime.errors import RefreshRetrying
    from pictime.models import Connection

    waited = []
    monkeypatch.setattr(tokens, "sleep", waited.append)  # the request's waits, recorded, not waited
    pictime_down = {"down": True}

    def token_endpoint(request):
        if pictime_down["down"]:
            return 503, {}, json.dumps({"error": "temporarily_unavailable"})
        return 200, {}, json.dumps(TOKEN)

    pictime_api.add_callback(
        "POST", PICTIME_URL + "/oauth/token", callback=token_endpoint, content_type="application/json"
    )
    refresh_token = connection.refresh_token
    Connection.objects.filter(pk=connection.pk).update(access_token_expires_at=None)
    before = project_version(project.company, project.pk)
    with django_capture_on_commit_callbacks() as worker, pytest.raises(RefreshRetrying):
        access_token(connection.pk)  # a background sync, say

    response = owner_client.get(live_url(project), {"v": before, "t": ticket(project)})
    assert response.status_code == 200
    retrying = version_on(response.content.decode())
    assert "Pic-Time is not answering, retrying." in response.content.decode()
    assert waited == list(settings.PICTIME_REFRESH_RETRY_DELAYS)  # asked again after each, then handed over

    pictime_down["down"] = False
    for task in worker:  # the worker gets the answer once Pic-Time is back
        task()
    response = owner_client.get(live_url(project), {"v": retrying, "t": ticket(project)})
    assert response.status_code == 200
    assert "not answering" not in response.content.decode()
    # Every try, the request's and the worker's, presented the same refresh token.
    asked = [parse_qs(call.request.body) for call in pictime_api.calls]
    assert len(asked) > 1 and {a["refresh_token"][0] for a in asked} == {refresh_token}
    assert [c.response.status_code for c in pictime_api.calls][-2:] == [503, 200]  # its first try
    connection.refresh_from_db()
    assert connection.is_connected and connection.access_token == TOKEN["access_token"]


@pytest.mark.django_db
def test_another_company_s_project_is_not_found(outsider_client, project, other_project, link):
    version = project_version(project.company, project.pk)
    assert outsider_client.get(live_url(project), {"v": version}).status_code == 404
    # Their own project's ticket opens nothing of ours.
    assert (
        outsider_client.get(live_url(project), {"v": version, "t": ticket(other_project)}).status_code == 404
    )
    assert outsider_client.get(live_url(project)).status_code == 404
    assert project_version(project.company, project.pk + 1000) is None


@pytest.mark.django_db
def test_a_teammate_polls_too_and_a_visitor_must_log_in(teammate_client, client, project, link):
    assert teammate_client.get(live_url(project)).status_code == 200
    assert client.get(live_url(project)).status_code == 302
