"""What the API shows of Pic-Time rows. Never a token: Connection's serializer lists its fields."""

from rest_framework import serializers
from rest_framework.fields import empty

from .models import Connection, GalleryLink, Order


class GalleryLinkSerializer(serializers.ModelSerializer):
    # Plain strings: "" when Pic-Time has none (the model's URL/Email fields allow blank).
    cover_url = serializers.CharField(read_only=True)
    public_url = serializers.CharField(read_only=True)
    edit_url = serializers.CharField(read_only=True)
    client_email = serializers.CharField(read_only=True)
    is_deleted = serializers.BooleanField(read_only=True)
    can_view = serializers.BooleanField(
        read_only=True, help_text="View gallery works: the gallery is online, not expired and not deleted"
    )

    class Meta:
        model = GalleryLink
        fields = [
            "id",
            "gallery_id",
            "name",
            "status",
            "is_active",
            "origin",
            "image_count",
            "cover_url",
            "public_url",
            "edit_url",
            "event_date",
            "expires_at",
            "published_at",
            "client_name",
            "client_email",
            "is_deleted",
            "can_view",
            "last_synced_at",
            "last_sync_error",
            "created_at",
        ]
        read_only_fields = fields


class AccountGallerySerializer(serializers.Serializer):
    """A gallery of the connected Pic-Time account, for "Select an existing gallery"."""

    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    image_count = serializers.IntegerField()
    cover_url = serializers.CharField(allow_null=True)
    event_date = serializers.DateField(allow_null=True)
    client_name = serializers.CharField(allow_null=True, source="client.name", default=None)
    client_email = serializers.CharField(allow_null=True, source="client.email", default=None)
    linked = serializers.BooleanField(help_text="Already linked to this project")


class AccountGalleryPageSerializer(serializers.Serializer):
    results = AccountGallerySerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True)


class LinkExistingSerializer(serializers.Serializer):
    gallery_id = serializers.CharField(max_length=100, help_text="The Pic-Time gallery's id")


class GalleryCreateSerializer(serializers.Serializer):
    """Create a new Pic-Time gallery: prefilled from the project in the UI, editable."""

    name = serializers.CharField(max_length=200)
    event_date = serializers.DateField(required=False, allow_null=True)
    client_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    client_email = serializers.EmailField(required=False, allow_blank=True)
    brand_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    preset_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    allow_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "Create the gallery even if the account already has one for this client email and event "
            "date. Without it such a request answers 409 `duplicate`, listing those galleries."
        ),
    )


class OrderSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)
    items = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "order_id",
            "gallery_id",
            "number",
            "status",
            "currency",
            "subtotal",
            "total",
            "items",
            "item_count",
            "customer_name",
            "placed_at",
            "remote_updated_at",
        ]
        read_only_fields = fields


class NamedIdSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()


class ConnectionSerializer(serializers.ModelSerializer):
    """The company's Pic-Time connection as the Integrations tab shows it."""

    status = serializers.CharField(read_only=True, help_text="connected, needs_reconnection or disconnected")
    account_email = serializers.CharField(read_only=True)
    last_error = serializers.CharField(read_only=True, source="integration.last_error")
    brands = NamedIdSerializer(many=True, read_only=True)
    presets = NamedIdSerializer(many=True, read_only=True)

    class Meta:
        model = Connection
        fields = [
            "status",
            "last_error",
            "account_id",
            "account_name",
            "account_email",
            "plan",
            "connected_at",
            "last_synced_at",
            *Connection.GALLERY_SETTINGS,
        ]
        read_only_fields = fields


class RequiredBooleanField(serializers.BooleanField):
    """Absent from a form-encoded body is "not given" (400), not False: DRF reads a missing HTML
    checkbox as unticked, and a multipart PUT without `enabled` turned Auto-create off."""

    default_empty_html = empty


class AutoCreateSerializer(serializers.Serializer):
    enabled = RequiredBooleanField()


class GalleryDefaultsSerializer(serializers.Serializer):
    default_brand_id = serializers.CharField(max_length=100, allow_blank=True)
    default_preset_id = serializers.CharField(max_length=100, allow_blank=True)
    portal_intro = serializers.CharField(max_length=1000, allow_blank=True, trim_whitespace=True)

    def _check_choice(self, value, choices, what):
        if value and value not in {c.get("id") for c in choices}:
            raise serializers.ValidationError(f"Not a {what} of the connected Pic-Time account.")
        return value

    def validate_default_brand_id(self, value):
        return self._check_choice(value, self.context["connection"].brands, "brand")

    def validate_default_preset_id(self, value):
        return self._check_choice(value, self.context["connection"].presets, "preset")
