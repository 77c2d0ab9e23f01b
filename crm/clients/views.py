from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render

from crm.companies.access import member_required

from .forms import ClientForm
from .models import Client


@member_required
def client_list(request):
    clients = Client.objects.for_company(request.company).annotate(project_count=Count("projects"))
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = form.save(commit=False)
        client.company = request.company
        client.save()
        messages.success(request, f"{client.name} added.")
        return redirect("client_list")
    return render(
        request,
        "clients/client_list.html",
        {"clients": clients, "form": form},
        status=400 if form.errors else 200,
    )
