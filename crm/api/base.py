"""What every API view shares: the company's permission, ids from the URL, and schema helpers."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata

from crm.projects.models import Project

from .permissions import IsCompanyMember

MAX_ID = 2**63 - 1


def parse_id(value) -> int:
    """An id from the URL, or 404 (never a 500 for "abc", "-1" or a number bigger than a bigint)."""
    text = str(value)
    if not text.isdigit() or int(text) > MAX_ID:
        raise Http404
    return int(text)


def id_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, OpenApiParameter.PATH, description=description)


PROJECT_ID = id_parameter("project_id", "The project's id.")


class Metadata(SimpleMetadata):
    """OPTIONS names the view and its media types; the OpenAPI schema describes its fields."""

    def determine_actions(self, request, view):
        return {}


class CompanyAPIView(GenericAPIView):
    """A view that runs as a member of one company (request.company)."""

    permission_classes = [IsCompanyMember]
    metadata_class = Metadata

    def check_permissions(self, request):
        # DRF throttles after the permission check, which an anonymous caller never passes: throttle
        # them first (per address), so that guessing is slowed like everything else.
        if not request.user.is_authenticated:
            self.check_throttles(request)
        super().check_permissions(request)

    def get_project(self) -> Project:
        project_id = parse_id(self.kwargs["project_id"])
        project = Project.objects.for_company(self.request.company).filter(pk=project_id).first()
        if project is None:
            raise Http404
        return project
