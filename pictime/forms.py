from django import forms


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
