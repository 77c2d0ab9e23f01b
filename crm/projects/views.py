from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from crm.clients.models import Client
from crm.companies.access import member_required, or_404
from crm.templating import render_form

from . import services
from .forms import PrivateNotesForm, ProjectEditForm, ProjectForm
from .models import Project


def _project(request, pk):
    return get_object_or_404(
        Project.objects.for_company(request.company).select_related("client", "company"), pk=pk
    )


@member_required
def dashboard(request):
    stage, client = request.GET.get("stage"), None
    if "client" in request.GET:  # the projects of one client (Clients > a client's name)
        client_pk = request.GET["client"]
        client = get_object_or_404(
            Client.objects.for_company(request.company), pk=client_pk if client_pk.isdigit() else None
        )
    return render(
        request,
        "projects/dashboard.html",
        {
            "projects": services.project_list(request.company, stage, client),
            "stages": Project.Stage.choices,
            "stage": stage,
            "client": client,
            "currency": request.company.currency,
        },
    )


@member_required
def project_new(request):
    form = ProjectForm(request.POST or None, company=request.company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            client = data["client"] or Client.objects.create(
                company=request.company, name=data["new_client_name"], email=data["new_client_email"]
            )
            project = services.create_project(
                company=request.company,
                client=client,
                name=data["name"],
                type=data["type"],
                event_date=data["event_date"],
                location=data["location"],
            )
        messages.success(request, "Project created.")
        return redirect(project)
    return render_form(request, "projects/project_new.html", form)


@member_required
def workspace(request, pk):
    with or_404(Project, "No such project."):
        context = services.workspace(request.company, pk)
    project = context["project"]
    context["notes_form"] = PrivateNotesForm(initial={"private_notes": project.private_notes})
    if project.portal_token:
        context["portal_url"] = request.build_absolute_uri(project.get_portal_url())
    return render(request, "projects/workspace.html", context)


@member_required
def project_edit(request, pk):
    project = _project(request, pk)
    form = ProjectEditForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        services.update_project(project, **form.cleaned_data)
        messages.success(request, "Project saved.")
        return redirect(project)
    return render_form(request, "projects/project_edit.html", form, project=project)


@member_required
@require_POST
def save_notes(request, pk):
    project = _project(request, pk)
    form = PrivateNotesForm(request.POST)
    if form.is_valid():
        services.save_private_notes(project, form.cleaned_data["private_notes"])
        messages.success(request, "Private notes saved.")
    else:
        messages.error(request, form.errors["private_notes"][0])
    return redirect(project)


@member_required
@require_POST
def portal_link(request, pk):
    project = _project(request, pk)
    if request.POST.get("action") == "revoke":
        services.revoke_portal_link(project)
        messages.success(request, "The client portal link was revoked. The old link no longer works.")
    else:
        services.issue_portal_link(project)
        messages.success(request, "A new client portal link was issued.")
    return redirect(project)
