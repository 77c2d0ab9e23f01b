from django.apps import AppConfig


class CompaniesConfig(AppConfig):
    name = "crm.companies"
    label = "companies"
    verbose_name = "Companies and team"
