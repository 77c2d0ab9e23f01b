"""Company Settings > Integrations: every provider of the registry, each with its own section."""

from django.shortcuts import render

from crm.companies.access import member_required

from .registry import providers


@member_required
def integrations_tab(request):
    sections = [{"provider": p, "html": p.settings_section(request, request.company)} for p in providers()]
    return render(
        request, "integrations/integrations_tab.html", {"sections": sections, "tab": "integrations"}
    )
