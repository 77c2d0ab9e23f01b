"""Helpers shared by the webhook, sync, sales and portal tests (not a test module)."""

import json

from pictime.models import GalleryLink
from pictime.schemas import Gallery
from pictime.services.common import apply_gallery
from pictime.signatures import sign


def link_gallery(connection, project, gallery: dict, origin=GalleryLink.Origin.LINKED) -> GalleryLink:
    """Links a gallery (as the sandbox gave it) to a project, as the panel's Connect gallery would."""
    link = GalleryLink(
        company_id=project.company_id,
        project=project,
        connection=connection,
        account_id=connection.account_id,
        gallery_id=gallery["id"],
        origin=origin,
    )
    apply_gallery(link, Gallery.from_dict(gallery), save=False)
    link.save()
    return link


def deliver(http, connection, event: dict, *, secret=None, timestamp=None, token=None):
    """POSTs an event to our webhook endpoint the way Pic-Time does, signed with the secret."""
    body = json.dumps(event).encode()
    header = sign(body, secret if secret is not None else connection.webhook_secret, timestamp)
    return http.post(
        f"/integrations/pictime/webhooks/{token or connection.webhook_token}/",
        data=body,
        content_type="application/json",
        headers={"PicTime-Signature": header},
    )


def event(kind: str, data: dict, account_id: str, event_id: str) -> dict:
    return {
        "id": event_id,
        "type": kind,
        "created_at": data["updated_at"],
        "account_id": account_id,
        "data": data,
    }
