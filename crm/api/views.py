"""Projects: list and detail, the company's only."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from crm.projects.models import Project

from .base import PROJECT_ID, CompanyAPIView
from .serializers import ProjectSerializer


class ProjectList(ListModelMixin, CompanyAPIView):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        queryset = Project.objects.for_company(self.request.company).select_related("client")
        stage = self.request.query_params.get("stage")
        if stage:
            queryset = queryset.filter(stage=stage)
        return queryset.order_by("-created_at", "-id")

    @extend_schema(
        operation_id="projects_list",
        parameters=[
            OpenApiParameter(
                "stage", str, enum=Project.Stage.values, description="Only projects in this stage."
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ProjectDetail(CompanyAPIView):
    serializer_class = ProjectSerializer

    @extend_schema(operation_id="projects_retrieve", parameters=[PROJECT_ID])
    def get(self, request, project_id):
        return Response(self.get_serializer(self.get_project()).data)


class ApiRoot(APIView):
    """The API's entry points (DRF's browsable API renders this page for a browser)."""

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {
                "token": reverse("api-token", request=request),
                "projects": reverse("api-project-list", request=request),
                "pictime_connection": reverse("api-pictime-connection", request=request),
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
            }
        )
