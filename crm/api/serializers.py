from rest_framework import serializers

from crm.clients.models import Client
from crm.projects.models import Project


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "name", "email", "phone"]


class ProjectSerializer(serializers.ModelSerializer):
    client = ClientSerializer(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "type",
            "stage",
            "event_date",
            "location",
            "client",
            "first_paid_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
