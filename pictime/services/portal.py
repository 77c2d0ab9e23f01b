"""The Galleries section of the client portal: online galleries only, under the studio's intro text.

Offline (never published, taken offline, expired), deleted and inactive (disconnected or another
account's) galleries never appear.
"""

from pictime.models import Connection, GalleryLink


def portal_links(project):
    return (
        GalleryLink.objects.for_company(project.company)
        .filter(
            project=project,
            is_active=True,
            status=GalleryLink.Status.ONLINE,
            published_at__isnull=False,
            deleted_at__isnull=True,
        )
        .exclude(public_url="")
        .order_by("created_at", "id")
    )


def portal_context(project):
    links = list(portal_links(project))
    if not links:
        return None
    intro = Connection.objects.for_company(project.company_id).values_list("portal_intro", flat=True).first()
    return {"links": links, "intro": intro or ""}
