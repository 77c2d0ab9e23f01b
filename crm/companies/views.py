from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render

from crm.templating import render_form

from .access import member_required, owner_required
from .forms import CompanyForm, SignUpForm, TeamMemberForm
from .models import Membership
from .services import add_team_member, sign_up


def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = sign_up(**form.cleaned_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome! {form.cleaned_data['company_name']} is ready.")
        return redirect("dashboard")
    return render_form(request, "companies/signup.html", form)


@member_required
def settings_general(request):
    is_owner = request.membership.is_owner
    form = CompanyForm(request.POST or None, instance=request.company)
    if request.method == "POST":
        if not is_owner:
            return render(request, "403.html", status=403)
        if form.is_valid():
            form.save()
            messages.success(request, "Company details saved.")
            return redirect("settings_general")
    return render_form(request, "companies/settings_general.html", form, tab="general", is_owner=is_owner)


@member_required
def settings_team(request):
    members = Membership.objects.filter(company=request.company).select_related("user")
    return render(
        request,
        "companies/settings_team.html",
        {
            "members": members,
            "tab": "team",
            "form": TeamMemberForm(),
            "is_owner": request.membership.is_owner,
        },
    )


@owner_required
def add_member(request):
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        add_team_member(company=request.company, **form.cleaned_data)
        messages.success(
            request, f"{form.cleaned_data['name']} can now log in with {form.cleaned_data['email']}."
        )
        return redirect("settings_team")
    members = Membership.objects.filter(company=request.company).select_related("user")
    return render(
        request,
        "companies/settings_team.html",
        {"members": members, "tab": "team", "form": form, "is_owner": True},
        status=400 if request.method == "POST" else 200,
    )
