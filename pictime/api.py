"""The REST API of the Pic-Time integration: a project's galleries and orders, and the company's
connection. Views are thin: they check the company, call one service, and answer.

Gallery operations call pictime.services.galleries (list_account_galleries, find_duplicates,
create_and_link, link_existing, sync_link, unlink). Errors keep the API's one format
(crm.api.errors): Pic-Time's failures and the CRM's refusals each get a status and a code.
"""

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response
from rest_framework.settings import api_settings

from crm.api.base import PROJECT_ID, CompanyAPIView, id_parameter, parse_id
from crm.api.errors import ApiError, ErrorSerializer
from crm.api.permissions import IsCompanyOwnerOrReadOnly
from crm.api.throttling import CompanyPicTimeThrottle
from integrations.models import CompanyIntegration

from . import errors
from .models import Connection, GalleryLink
from .schemas import IDEMPOTENCY_KEY_RE
from .serializers import (
    AccountGalleryPageSerializer,
    AutoCreateSerializer,
    ConnectionSerializer,
    GalleryCreateSerializer,
    GalleryDefaultsSerializer,
    GalleryLinkSerializer,
    LinkExistingSerializer,
    OrderSerializer,
)
from .services import connection as connection_service
from .services import galleries
from .services.sales import project_orders

LINK_ID = id_parameter("link_id", "The gallery link's id (not Pic-Time's gallery id).")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Send the same key again to retry a create without making a second gallery: 1 to 255 "
        "printable ASCII characters, no spaces."
    ),
)
# The views that call Pic-Time also count against the company's limit (crm.api.throttling).
PICTIME_THROTTLES = [*api_settings.DEFAULT_THROTTLE_CLASSES, CompanyPicTimeThrottle]


# The CRM's refusals (galleries.GalleryActionError.code) as API errors.
ACTION_ERROR_STATUS = {
    "already_linked": 409,
    "inactive": 409,
    "not_in_account": 422,
}


def pictime_error(error: errors.PicTimeError) -> ApiError:
    """A Pic-Time failure as an API error the caller can act on."""
    if isinstance(error, errors.NotConnected):
        return ApiError(409, error.code, error.user_message)
    if isinstance(error, errors.NeedsReconnection):
        return ApiError(409, "needs_reconnection", error.user_message)
    if isinstance(error, errors.NotFound):
        return ApiError(404, "pictime_not_found", error.user_message)
    if isinstance(error, errors.ValidationFailed):
        return ApiError(422, "pictime_invalid", error.user_message, error.field_messages())
    if isinstance(error, errors.Conflict):
        return ApiError(409, "conflict", error.user_message)
    if not error.permanent:
        return ApiError(503, "pictime_unavailable", error.user_message)
    return ApiError(502, "pictime_error", error.user_message)


def action_error(error: galleries.GalleryActionError) -> ApiError:
    """The CRM refused the gallery action (not connected, already linked, another account's …)."""
    details = {"gallery_id": [error.user_message]} if error.code == "not_in_account" else None
    return ApiError(ACTION_ERROR_STATUS.get(error.code, 409), error.code, error.user_message, details)


def call_service(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except errors.PicTimeError as error:
        raise pictime_error(error) from error
    except galleries.GalleryActionError as error:
        raise action_error(error) from error
    except DjangoValidationError as error:
        details = error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
        raise ApiError(422, "invalid", " ".join(error.messages), details) from error


def connected(company) -> Connection:
    """The company's connection, or 409 saying what to do: connect or reconnect Pic-Time."""
    return call_service(Connection.objects.connected, company)


# ---------------------------------------------------------------- a project's galleries


class ProjectGalleries(ListModelMixin, CompanyAPIView):
    serializer_class = GalleryLinkSerializer

    def get_throttles(self):
        return [t() for t in (PICTIME_THROTTLES if self.request.method == "POST" else self.throttle_classes)]

    def get_queryset(self):
        project = self.get_project()
        return (
            GalleryLink.objects.for_company(self.request.company)
            .filter(project=project)
            .order_by("created_at", "id")
        )

    @extend_schema(operation_id="project_galleries_list", parameters=[PROJECT_ID])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        operation_id="project_galleries_create",
        summary="Create a new Pic-Time gallery and link it to the project",
        description=(
            "Before creating, the connected account is searched for a gallery with the same client "
            "email and event date (the most common duplicate). If there is one, nothing is created: "
            "the answer is 409 with code `duplicate` and the existing galleries in "
            "`error.details.galleries` (each as in `galleries/available/`, with `linked`), so that "
            "the caller can link one of them instead (`galleries/link/`). Send "
            '`"allow_duplicate": true` to create the gallery anyway.'
        ),
        parameters=[PROJECT_ID, IDEMPOTENCY_KEY],
        request=GalleryCreateSerializer,
        responses={
            201: GalleryLinkSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`duplicate`: the account already has a gallery for this client email and event "
                    "date (`details.galleries` lists them); `not_connected` / `needs_reconnection`: "
                    "connect Pic-Time first; `conflict`: the Idempotency-Key was used with other data."
                ),
            ),
        },
    )
    def post(self, request, project_id):
        project = self.get_project()
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY_RE.fullmatch(key):
            raise ApiError(
                400,
                "invalid",
                "The Idempotency-Key header must be 1 to 255 printable ASCII characters, without spaces.",
                {"Idempotency-Key": ["Use 1 to 255 printable ASCII characters, without spaces."]},
            )
        data = GalleryCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        allow_duplicate = fields.pop("allow_duplicate", False)
        gallery_data = galleries.GalleryData(**fields)
        connection = connected(request.company)

        def create():
            try:
                return galleries.create_and_link(
                    project,
                    connection,
                    gallery_data,
                    key or f"api-{uuid.uuid4()}",
                    request.user,
                    refuse_duplicates=not allow_duplicate,
                )
            except galleries.DuplicateGallery as duplicate:
                linked = linked_ids(request.company, project)
                raise ApiError(
                    409,
                    "duplicate",
                    "This client already has a Pic-Time gallery for this event date. Link it instead, "
                    'or send "allow_duplicate": true to create another one.',
                    {"galleries": account_galleries(duplicate.galleries, linked)},
                ) from None

        link = call_service(create)
        return Response(GalleryLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ProjectGalleryLinkExisting(CompanyAPIView):
    serializer_class = LinkExistingSerializer
    throttle_classes = PICTIME_THROTTLES

    @extend_schema(
        operation_id="project_galleries_link_existing",
        summary="Link an existing gallery of the connected Pic-Time account",
        parameters=[PROJECT_ID],
        request=LinkExistingSerializer,
        responses={201: GalleryLinkSerializer},
    )
    def post(self, request, project_id):
        project = self.get_project()
        data = LinkExistingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        connection = connected(request.company)
        link = call_service(
            galleries.link_existing, project, connection, data.validated_data["gallery_id"], request.user
        )
        return Response(GalleryLinkSerializer(link).data, status=status.HTTP_201_CREATED)


class ProjectAccountGalleries(CompanyAPIView):
    serializer_class = AccountGalleryPageSerializer
    throttle_classes = PICTIME_THROTTLES
    pagination_class = None  # Pic-Time's cursor, not DRF's pages (the browsable API asked for a queryset)

    @extend_schema(
        operation_id="project_galleries_available",
        summary="Search the connected account's galleries (those linked to this project are marked)",
        parameters=[
            PROJECT_ID,
            OpenApiParameter("q", str, description="Search text (name, client)"),
            OpenApiParameter("cursor", str, description="next_cursor of the previous page"),
        ],
    )
    def get(self, request, project_id):
        project = self.get_project()
        connection = connected(request.company)
        page = call_service(
            galleries.list_account_galleries,
            connection,
            request.query_params.get("q", ""),
            request.query_params.get("cursor") or None,
        )
        results = account_galleries(page.data, linked_ids(request.company, project))
        return Response({"results": results, "next_cursor": page.next_cursor})


def linked_ids(company, project) -> set[str]:
    return set(
        GalleryLink.objects.for_company(company).filter(project=project).values_list("gallery_id", flat=True)
    )


def account_galleries(found, linked: set[str]) -> list[dict]:
    """Pic-Time galleries as AccountGallerySerializer shows them (JSON-ready: dates as text)."""
    return [
        {
            "id": gallery.id,
            "name": gallery.name,
            "status": gallery.status,
            "image_count": gallery.image_count,
            "cover_url": gallery.cover_url,
            "event_date": gallery.event_date.isoformat() if gallery.event_date else None,
            "client_name": gallery.client.name if gallery.client else None,
            "client_email": gallery.client.email if gallery.client else None,
            "linked": gallery.id in linked,
        }
        for gallery in found
    ]


class ProjectGalleryMixin:
    def get_link(self) -> GalleryLink:
        project = self.get_project()
        link = (
            GalleryLink.objects.for_company(self.request.company)
            .filter(project=project, pk=parse_id(self.kwargs["link_id"]))
            .first()
        )
        if link is None:
            raise Http404
        return link


class ProjectGalleryDetail(ProjectGalleryMixin, CompanyAPIView):
    serializer_class = GalleryLinkSerializer

    @extend_schema(operation_id="project_galleries_retrieve", parameters=[PROJECT_ID, LINK_ID])
    def get(self, request, project_id, link_id):
        return Response(GalleryLinkSerializer(self.get_link()).data)

    @extend_schema(
        operation_id="project_galleries_unlink",
        summary="Unlink the gallery from the project (nothing is deleted at Pic-Time)",
        parameters=[PROJECT_ID, LINK_ID],
        request=None,
        responses={204: OpenApiResponse(description="Unlinked")},
    )
    def delete(self, request, project_id, link_id):
        link = self.get_link()
        call_service(galleries.unlink, link, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectGallerySync(ProjectGalleryMixin, CompanyAPIView):
    serializer_class = GalleryLinkSerializer
    throttle_classes = PICTIME_THROTTLES

    @extend_schema(
        operation_id="project_galleries_sync",
        summary="Refresh the gallery's status and image count from Pic-Time now",
        parameters=[PROJECT_ID, LINK_ID],
        request=None,
        responses={200: GalleryLinkSerializer},
    )
    def post(self, request, project_id, link_id):
        link = self.get_link()
        connected(request.company)
        link = call_service(galleries.sync_link, link)
        return Response(GalleryLinkSerializer(link).data)


# ---------------------------------------------------------------- a project's orders


class ProjectOrders(ListModelMixin, CompanyAPIView):
    serializer_class = OrderSerializer

    def get_queryset(self):
        return project_orders(self.request.company.pk, self.get_project().pk)

    @extend_schema(operation_id="project_orders_list", parameters=[PROJECT_ID])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


# ---------------------------------------------------------------- the company's connection


class ConnectionState(CompanyAPIView):
    serializer_class = ConnectionSerializer

    @extend_schema(operation_id="pictime_connection_retrieve")
    def get(self, request):
        connection = Connection.objects.for_company(request.company).first() or Connection(
            company=request.company,
            integration=CompanyIntegration(company=request.company, provider="pictime"),
        )
        return Response(ConnectionSerializer(connection).data)


class ConnectionSetting(CompanyAPIView):
    """A setting of the company's connection (owner only): checked against the connection, saved,
    and answered with the connection."""

    permission_classes = [IsCompanyOwnerOrReadOnly]

    def put(self, request):
        connection = connected(request.company)
        data = self.serializer_class(data=request.data, context={"connection": connection})
        data.is_valid(raise_exception=True)
        self.save(connection, data.validated_data)
        return Response(ConnectionSerializer(connection).data)


def setting_schema(operation_id: str, summary: str):
    return extend_schema_view(
        put=extend_schema(operation_id=operation_id, summary=summary, responses={200: ConnectionSerializer})
    )


@setting_schema("pictime_connection_auto_create", "Turn Auto-create galleries on or off (owner only)")
class ConnectionAutoCreate(ConnectionSetting):
    serializer_class = AutoCreateSerializer

    def save(self, connection, data):
        connection_service.set_auto_create(connection, data["enabled"])


@setting_schema(
    "pictime_connection_defaults",
    "Defaults for galleries the CRM creates, and the client portal's text (owner only)",
)
class ConnectionDefaults(ConnectionSetting):
    serializer_class = GalleryDefaultsSerializer

    def save(self, connection, data):
        connection_service.save_gallery_defaults(
            connection,
            brand_id=data["default_brand_id"],
            preset_id=data["default_preset_id"],
            portal_intro=data["portal_intro"],
        )
