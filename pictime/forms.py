from django import forms
from django.forms.renderers import Jinja2

from .schemas import IDEMPOTENCY_KEY_RE
from .services.galleries_page import State


class GalleryDefaultsForm(forms.Form):
    """Defaults for galleries the CRM creates, and the text clients read above their galleries."""

    default_brand_id = forms.ChoiceField(label="Brand", required=False)
    default_preset_id = forms.ChoiceField(label="Preset", required=False)
    portal_intro = forms.CharField(
        label="Text above galleries in the client portal",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_brand_id"].choices = [("", "No brand")] + [
            (b["id"], b["name"]) for b in connection.brands
        ]
        self.fields["default_preset_id"].choices = [("", "No preset")] + [
            (p["id"], p["name"]) for p in connection.presets
        ]


PLACEHOLDER_HELP = (
    "You can use {first_name}, {client_name}, {gallery_name}, {project_name} and {studio_name}."
)


def email_settings_form(prefix, noun, placeholders, above):
    """The base of an email's settings form: `<prefix>_subject` (one line) and `<prefix>_message`,
    named after the `noun` ("email": "Email subject", "Enter a subject for the email."). Each form
    adds its `<prefix>_enabled` switch, its own fields, and `settings()`: its service's arguments."""

    def clean_subject(self):
        return " ".join(self.cleaned_data[f"{prefix}_subject"].split())  # one line in mail clients

    subject = forms.CharField(
        label=f"{noun.capitalize()} subject",
        max_length=200,
        help_text=placeholders,
        error_messages={"required": f"Enter a subject for the {noun}."},
    )
    message = forms.CharField(
        label=f"{noun.capitalize()} message",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter the message clients read above their gallery."},
        help_text=f"{above} {placeholders}",
    )
    attributes = {f"{prefix}_subject": subject, f"{prefix}_message": message}
    return type(f"{prefix}_form", (forms.Form,), {**attributes, f"clean_{prefix}_subject": clean_subject})


READY_ABOVE = "Shown above the gallery's cover and its View your gallery button."


class ReadyEmailForm(email_settings_form("ready_email", "email", PLACEHOLDER_HELP, READY_ABOVE)):
    """The "gallery ready" email to the client when a linked gallery is first published."""

    ready_email_enabled = forms.BooleanField(
        label="Email clients when a gallery is published", required=False
    )
    ready_email_signoff = forms.CharField(
        label="Sign-off",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Last in the email, under the button and the portal link. " + PLACEHOLDER_HELP,
    )
    field_order = ["ready_email_enabled"]

    def settings(self) -> dict:
        """The arguments of services.connection.save_ready_email."""
        data = self.cleaned_data
        return {
            "enabled": data["ready_email_enabled"],
            "subject": data["ready_email_subject"],
            "message": data["ready_email_message"],
            "signoff": data["ready_email_signoff"],
        }


REMINDER_PLACEHOLDER_HELP = (
    "You can use {client_name}, {gallery_name}, {project_name}, {studio_name}, {expiry_date}, {days_left}, "
    "{gallery_url} and {portal_url}."
)
REMINDER_ABOVE = "Shown above the gallery's cover, its closing date and an Open your gallery button."


class ExpiryReminderForm(
    email_settings_form("reminder_email", "reminder", REMINDER_PLACEHOLDER_HELP, REMINDER_ABOVE)
):
    """The reminder to the client some days before a linked gallery expires."""

    reminder_email_enabled = forms.BooleanField(
        label="Email clients before a gallery expires", required=False
    )
    reminder_days_before = forms.IntegerField(
        label="Days before",
        min_value=1,
        max_value=60,
        help_text="How many days before the gallery expires the email goes out (1 to 60).",
        error_messages={"required": "Enter how many days before expiry to send the reminder."},
    )
    field_order = ["reminder_email_enabled", "reminder_days_before"]

    def settings(self) -> dict:
        """The arguments of services.reminders.save_settings."""
        data = self.cleaned_data
        return {
            "enabled": data["reminder_email_enabled"],
            "days_before": data["reminder_days_before"],
            "subject": data["reminder_email_subject"],
            "message": data["reminder_email_message"],
        }


SLUG_HELP = (
    "3 to 100 characters: lowercase letters, digits and hyphens. Leave empty to make one from the name."
)


class NewGalleryForm(forms.Form):
    """Create a new Pic-Time gallery: prefilled from the project and the company's defaults."""

    name = forms.CharField(
        label="Gallery name",
        max_length=200,
        error_messages={"required": "Enter a name for the gallery."},
    )
    event_date = forms.DateField(
        label="Event date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    client_name = forms.CharField(label="Client name", max_length=200, required=False)
    client_email = forms.EmailField(label="Client email", required=False)
    brand_id = forms.ChoiceField(label="Brand", required=False)
    preset_id = forms.ChoiceField(label="Preset", required=False)
    slug = forms.RegexField(
        label="Gallery address (slug)",
        regex=r"^[a-z0-9-]{3,100}$",
        required=False,
        max_length=100,
        help_text=SLUG_HELP,
        error_messages={"invalid": "Use 3 to 100 lowercase letters, digits or hyphens."},
    )
    idempotency_key = forms.RegexField(
        regex=IDEMPOTENCY_KEY_RE,
        widget=forms.HiddenInput,
        max_length=255,
        strip=False,
        # Hidden: "required" would name no field the photographer can see.
        error_messages={
            "invalid": "This form has expired. Reload the page and try again.",
            "required": "This form has expired. Reload the page and try again.",
        },
    )
    create_anyway = forms.BooleanField(widget=forms.HiddenInput, required=False)

    # Pic-Time's 422 details name fields of its API body; they are shown on these form fields.
    REMOTE_FIELDS = {
        "name": "name",
        "event_date": "event_date",
        "client": "client_name",
        "client.name": "client_name",
        "client.email": "client_email",
        "brand_id": "brand_id",
        "preset_id": "preset_id",
        "slug": "slug",
    }

    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand_id"].choices = [("", "No brand")] + [
            (b["id"], b["name"]) for b in connection.brands
        ]
        self.fields["preset_id"].choices = [("", "No preset")] + [
            (p["id"], p["name"]) for p in connection.presets
        ]

    @classmethod
    def initial_for(cls, project, connection):
        import uuid

        from django.utils.text import slugify

        client = project.client
        slug = slugify(project.name)[:100]
        return {
            "name": project.name,
            "event_date": project.event_date,
            "client_name": client.name if client else "",
            "client_email": client.email if client else "",
            "brand_id": connection.default_brand_id,
            "preset_id": connection.default_preset_id,
            "slug": slug if len(slug) >= 3 else "",
            "idempotency_key": uuid.uuid4().hex,
        }

    def clean(self):
        data = super().clean()
        if data.get("client_email") and not (data.get("client_name") or "").strip():
            self.add_error("client_name", "Enter the client's name as well as their email.")
        if "idempotency_key" in self.errors:  # a hidden field: show its error above the form
            self.add_error(None, self.errors.pop("idempotency_key"))
        return data

    def add_remote_errors(self, field_messages):
        """Shows Pic-Time's 422 details on the matching fields (others as form errors)."""
        for remote, messages in field_messages.items():
            field = self.REMOTE_FIELDS.get(remote)
            for message in messages:
                self.add_error(field if field in self.fields else None, message)

    def gallery_data(self):
        from pictime.services.galleries import GalleryData

        d = self.cleaned_data
        return GalleryData(
            name=d["name"],
            event_date=d.get("event_date"),
            client_name=(d.get("client_name") or "").strip(),
            client_email=d.get("client_email") or "",
            brand_id=d.get("brand_id") or "",
            preset_id=d.get("preset_id") or "",
            slug=d.get("slug") or "",
        )


class GalleryFiltersForm(forms.Form):
    """The Galleries page's list: filters, search and sort, all in the URL. Its fields are drawn by
    Django's Jinja2 form templates, as the page around them (half the time of the default's)."""

    default_renderer = Jinja2()  # one for every form: it keeps its compiled templates

    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *State.choices],
    )
    within = forms.IntegerField(
        label="Expires within (days)",
        required=False,
        min_value=1,
        max_value=3650,
        error_messages={"invalid": "Enter a whole number of days."},
    )
    q = forms.CharField(label="Search", required=False, max_length=100, strip=True)
    sort = forms.ChoiceField(label="Sort by", required=False)

    def __init__(self, *args, sorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sort"].choices = [(key, label) for key, (_, label) in sorts.items()]


class ExportPeriodForm(forms.Form):
    """Export CSV: the orders placed from one date to another (both included), as `from` and `to`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date = forms.DateInput(attrs={"type": "date"})
        invalid = {"invalid": "Enter a date as YYYY-MM-DD.", "required": "Enter a date."}
        self.fields["from"] = forms.DateField(label="From", widget=date, error_messages=invalid)
        self.fields["to"] = forms.DateField(label="To", widget=date, error_messages=invalid)

    def clean(self):
        data = super().clean()
        if data.get("from") and data.get("to") and data["to"] < data["from"]:
            raise forms.ValidationError("The period ends before it starts.")
        return data
