"""The studio's Galleries page, at /galleries/ in the main navigation."""

from django.urls import path

from .views import galleries_page

app_name = "galleries"

urlpatterns = [
    path("", galleries_page.page, name="page"),
    path("export.csv", galleries_page.export_csv, name="export"),
    path("<int:link_pk>/remind/", galleries_page.remind, name="remind"),
]
