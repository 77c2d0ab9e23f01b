"""The two slots integrations fill: `{% workspace_panels project %}` and `{% portal_sections project %}`."""

from django import template
from django.utils.safestring import mark_safe

from integrations.registry import providers

register = template.Library()


@register.simple_tag(takes_context=True)
def workspace_panels(context, project):
    request = context["request"]
    return mark_safe("".join(p.workspace_panel(request, project) for p in providers()))  # noqa: S308


@register.simple_tag(takes_context=True)
def portal_sections(context, project):
    request = context["request"]
    return mark_safe("".join(p.portal_section(request, project) for p in providers()))  # noqa: S308
