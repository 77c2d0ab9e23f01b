"""Pic-Time as an integration provider: its settings section, workspace panel and portal section."""

from django.template.loader import render_to_string

from integrations.base import IntegrationProvider


class PicTimeProvider(IntegrationProvider):
    key = "pictime"
    name = "Pic-Time"
    description = (
        "Create and connect Pic-Time galleries to your projects, see their status and photo sales, "
        "and share them with clients in the client portal."
    )

    def settings_section(self, request, company):
        from pictime.views.connect import settings_context

        return render_to_string("pictime/settings_section.html", settings_context(request, company), request)

    def workspace_panel(self, request, project):
        from pictime.views.panel import panel_context

        return render_to_string(
            "pictime/panel.html", panel_context(request, project), request
        ) + self.sales_section(request, project)

    def sales_section(self, request, project):
        """Photo sales of the project's linked galleries, under the panel (only once one is linked)."""
        from pictime.models import GalleryLink
        from pictime.services.sales import sales_context

        if not GalleryLink.objects.filter(company_id=project.company_id, project=project).exists():
            return ""
        return render_to_string("pictime/sales.html", sales_context(project), request)

    def portal_section(self, request, project):
        from pictime.views.portal import portal_context

        context = portal_context(project)
        return render_to_string("pictime/portal_section.html", context, request) if context else ""
