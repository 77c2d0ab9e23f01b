"""API callers (the owner, the teammate and the outsider, each with a token) and a company really
connected to a Pic-Time sandbox account, with a gallery linked and an order synced through the
real services."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from pictime.models import Order, SyncRun
from pictime.services import galleries, sync
from tests.fixtures import signed_in


def with_token(user) -> APIClient:
    """An API caller authenticated as `user` by token, as an integration would be."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return api


owner_api = signed_in("owner", with_token)
teammate_api = signed_in("teammate", with_token)
outsider_api = signed_in("outsider", with_token)


@pytest.fixture
def callers(owner_api, teammate_api, outsider_api):
    return {"owner": owner_api, "member": teammate_api, "outsider": outsider_api}


@pytest.fixture
def remote_gallery(sandbox, pictime_account, connection):
    """A gallery of the connected account at Pic-Time (the sandbox), not linked yet."""
    return sandbox.create_gallery(
        pictime_account["id"],
        name="Bella & Ben Engagement",
        event_date="2027-06-12",
        client={"name": "Bella Bride", "email": "bella@example.com"},
    )


@pytest.fixture
def link(connection, project, remote_gallery):
    """remote_gallery linked to the project by the real service (Pic-Time confirms it's ours)."""
    return galleries.link_existing(project, connection, remote_gallery["id"])


@pytest.fixture
def order(sandbox, connection, project, link):
    """An order placed at Pic-Time on the linked gallery, stored by the real project sync."""
    sandbox.place_order(
        link.gallery_id, items=[{"sku": "PRINT", "name": "8x10 print", "quantity": 2, "unit_price": "6.00"}]
    )
    run = sync.sync_links(connection, project.gallery_links.all(), SyncRun.Trigger.MANUAL, project=project)
    assert run.status == "succeeded", run.error
    return Order.objects.get(gallery_id=link.gallery_id)
