"""Pic-Time's webhooks end to end: the sandbox delivers its galleries' changes to the running CRM."""

import pytest

from pictime.models import GalleryLink, WebhookDelivery
from tests.factories import link_gallery
from tests.waiting import wait_until


@pytest.mark.django_db(transaction=True)
def test_real_deliveries_from_pictime_update_the_link(
    live_server, connection, project, sandbox, pictime_account
):
    gallery = sandbox.create_gallery(pictime_account["id"], name="Bella & Ben Wedding")
    link = link_gallery(connection, project, gallery)

    sandbox.add_photos(gallery["id"], 7)
    sandbox.publish(gallery["id"])

    def updated():
        link.refresh_from_db()
        return link.image_count == 7 and link.status == GalleryLink.Status.ONLINE

    assert wait_until(updated), sandbox.webhook_deliveries(pictime_account["id"])
    assert link.can_view and link.public_url == gallery["public_url"]
    assert WebhookDelivery.objects.filter(outcome=WebhookDelivery.Outcome.ACCEPTED).count() >= 2

    sandbox.delete_gallery(gallery["id"])
    assert wait_until(lambda: GalleryLink.objects.get(pk=link.pk).is_deleted)
