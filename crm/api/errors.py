"""One error format for the whole API:

    {"error": {"code": "invalid", "message": "Some fields are not valid.", "details": {"name": ["…"]}}}

`exception_handler` (REST_FRAMEWORK["EXCEPTION_HANDLER"]) turns DRF's exceptions, Django's 404 and
PermissionDenied, and `ApiError`s raised by views into it. `ErrorSerializer` describes it in the
OpenAPI schema.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

MESSAGES = {
    "invalid": "Some fields are not valid.",
    "not_found": "Not found.",
    "permission_denied": "You do not have permission to do this.",
    "not_authenticated": "Authentication credentials were not provided.",
}


class ApiError(exceptions.APIException):
    """An error with our code and message: raise ApiError(409, "not_connected", "Connect Pic-Time first.")."""

    def __init__(self, status_code: int, code: str, message: str, details=None):
        self.status_code = status_code
        self.error_code = code
        self.message = message
        self.details = details or {}
        super().__init__(detail=message, code=code)


def _details(detail):
    """DRF's nested ErrorDetail structures as plain {field: [messages]} / [messages]."""
    if isinstance(detail, dict):
        return {str(key): _details(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_details(item) for item in detail]
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django answer 500 and log it
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": exc.message, "details": exc.details}
    elif isinstance(exc, exceptions.ValidationError):
        details = _details(exc.detail)
        if isinstance(details, list):
            details = {"non_field_errors": details}
        body = {"code": "invalid", "message": MESSAGES["invalid"], "details": details}
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        code = codes if isinstance(codes, str) else "error"
        message = str(exc.detail) if isinstance(exc.detail, str) else MESSAGES.get(code, "Error.")
        body = {"code": code, "message": message, "details": {}}
    response.data = {"error": body}
    return response


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable code: invalid, not_found, …")
    message = serializers.CharField(help_text="A sentence a person can read.")
    details = serializers.JSONField(
        help_text=(
            "{field: [messages]} for invalid input; for a 409 `duplicate`, {galleries: [the account's "
            "galleries for the same client email and event date]}; {} otherwise."
        )
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_STATUSES = [
    status.HTTP_400_BAD_REQUEST,
    status.HTTP_401_UNAUTHORIZED,
    status.HTTP_403_FORBIDDEN,
    status.HTTP_404_NOT_FOUND,
    status.HTTP_405_METHOD_NOT_ALLOWED,
    status.HTTP_406_NOT_ACCEPTABLE,
    status.HTTP_409_CONFLICT,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    status.HTTP_422_UNPROCESSABLE_ENTITY,
    status.HTTP_429_TOO_MANY_REQUESTS,
    status.HTTP_502_BAD_GATEWAY,
    status.HTTP_503_SERVICE_UNAVAILABLE,
]
