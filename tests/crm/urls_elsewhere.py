"""The CRM's URLs under /elsewhere/: a second URL configuration for tests/crm/test_templating.py."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("crm.urls"))]
