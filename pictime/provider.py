"""Pic-Time as an integration provider: its settings section, workspace panel and portal section."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

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

        html = render_to_string("pictime/settings_section.html", settings_context(request, company), request)
        return mark_safe(html)  # noqa: S308 - our own autoescaped template

    def workspace_panel(self, request, project):
        """The Pic-Time Galleries panel and, once a gallery is linked, the project's photo sales."""
        from pictime.services.sales import sales_context
        from pictime.views.panel import panel_context

        context = panel_context(request, project)
        html = render_to_string("pictime/panel.html", context, request)
        if context["links"]:
            html += render_to_string("pictime/sales.html", sales_context(project, context["links"]), request)
        return mark_safe(html)  # noqa: S308 - our own autoescaped templates

    def portal_section(self, request, project):
        from pictime.views.portal import portal_context

        context = portal_context(project)
        if not context:
            return ""
        return mark_safe(render_to_string("pictime/portal_section.html", context, request))  # noqa: S308
