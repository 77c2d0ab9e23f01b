from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health check, request ids and JSON logs, and the support staff's group."""

    name = "crm.ops"
    label = "ops"
    verbose_name = "Operations"
