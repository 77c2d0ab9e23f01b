from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect

from crm.companies.access import member_required
from crm.templating import render_form

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
    return render_form(request, "clients/client_list.html", form, clients=clients)
