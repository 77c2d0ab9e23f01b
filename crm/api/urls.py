"""/api/…: the REST API, its OpenAPI schema and its documentation page (Swagger UI at docs/, from
local static files: drf-spectacular-sidecar; no CDN; its start-up script served as a file, not
inline, for the Content-Security-Policy).

No Redoc page: drf-spectacular's Redoc template loads Google Fonts from the internet."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import auth, views

urlpatterns = [
    path("", views.ApiRoot.as_view(), name="api-root"),
    path("auth/token/", auth.TokenLogin.as_view(), name="api-token"),
    path("auth/token/revoke/", auth.TokenLogout.as_view(), name="api-token-revoke"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("projects/", views.ProjectList.as_view(), name="api-project-list"),
    path("projects/<str:project_id>/", views.ProjectDetail.as_view(), name="api-project-detail"),
]
