"""What Company Settings > Integrations > Pic-Time reads: the company's connection and how many
of its gallery links are inactive (from another Pic-Time account)."""

from pictime.models import Connection


def settings_section(company) -> dict:
    connection = Connection.objects.for_company(company).select_related("integration").first()
    inactive_links = connection.links.filter(is_active=False).count() if connection else 0
    return {"connection": connection, "inactive_links": inactive_links}
