"""The Pic-Time Galleries panel of the project workspace ("Only visible to you").

It renders from the CRM's own rows only: no call to Pic-Time while a page renders.
"""

from pictime.models import Connection, GalleryLink


def panel_context(request, project):
    connection = (
        Connection.objects.select_related("integration").filter(company_id=project.company_id).first()
    )
    links = (
        GalleryLink.objects.for_company(project.company_id)
        .filter(project=project)
        .order_by("created_at", "id")
    )
    return {"project": project, "connection": connection, "links": links}
