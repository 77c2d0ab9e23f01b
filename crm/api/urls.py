"""/api/…: the REST API, its OpenAPI schema and its documentation page (Swagger UI at docs/, from
local static files: drf-spectacular-sidecar; no CDN).

No Redoc page: drf-spectacular's Redoc template loads Google Fonts from the internet."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", views.ProjectList.as_view(), name="api-project-list"),
    path("projects/<str:project_id>/", views.ProjectDetail.as_view(), name="api-project-detail"),
]
