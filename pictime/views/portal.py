"""The Galleries section of the client portal: online galleries only, under the studio's intro text."""

from pictime.models import Connection, GalleryLink


def portal_context(project):
    links = list(
        GalleryLink.objects.filter(
            company_id=project.company_id,
            project=project,
            is_active=True,
            status=GalleryLink.Status.ONLINE,
            deleted_at__isnull=True,
        ).exclude(public_url="")
    )
    if not links:
        return None
    connection = Connection.objects.filter(company_id=project.company_id).only("portal_intro").first()
    return {"links": links, "intro": connection.portal_intro if connection else ""}
