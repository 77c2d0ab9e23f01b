from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "crm.projects"
    label = "projects"
