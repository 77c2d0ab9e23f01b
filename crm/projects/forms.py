from django import forms

from crm.clients.models import Client

from .models import Project


class ProjectForm(forms.ModelForm):
    """New project: pick an existing client or type a new one."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), required=False, label="Client")
    new_client_name = forms.CharField(label="New client's name", max_length=200, required=False)
    new_client_email = forms.EmailField(label="New client's email", required=False)

    class Meta:
        model = Project
        fields = ["name", "type", "event_date", "location"]
        labels = {"name": "Project name", "event_date": "Event date"}
        widgets = {"event_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.for_company(company)
        self.field_order = ["client", "new_client_name", "new_client_email", "name", "type", "event_date"]
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        if not data.get("client"):
            if not data.get("new_client_name"):
                self.add_error("new_client_name", "Choose a client or enter a new client's name.")
            if not data.get("new_client_email") and "new_client_email" not in self.errors:
                self.add_error("new_client_email", "Enter the new client's email.")
        return data


class ProjectEditForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "type", "stage", "event_date", "location"]
        labels = {"name": "Project name", "event_date": "Event date"}
        widgets = {"event_date": forms.DateInput(attrs={"type": "date"})}


class PrivateNotesForm(forms.Form):
    private_notes = forms.CharField(
        label="Private notes", widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=10000
    )
