"""The two slots integrations fill in the CRM's pages: the project workspace's "Only visible to you"
section and the client portal. Each provider answers its HTML (rendered from our own templates)."""

from django.utils.safestring import mark_safe

from integrations.registry import providers


def workspace_panels(request, project):
    return mark_safe("".join(p.workspace_panel(request, project) for p in providers()))  # noqa: S308


def portal_sections(request, project):
    return mark_safe("".join(p.portal_section(request, project) for p in providers()))  # noqa: S308
