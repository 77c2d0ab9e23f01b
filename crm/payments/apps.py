from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "crm.payments"
    label = "payments"
