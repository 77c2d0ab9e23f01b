"""Project-wide middleware: input that no view can store, and the Content-Security-Policy header."""

from urllib.parse import unquote_to_bytes, urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string is never valid input, and PostgreSQL refuses it in
    any text (a 500 wherever it reached a query): answer 400 before any view or filter sees it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_path = request.META.get("PATH_INFO", "")
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in raw_path or b"\x00" in unquote_to_bytes(query.replace("+", " ")) or "\x00" in query:
            return HttpResponseBadRequest(
                "Bad request: NUL bytes are not allowed.", content_type="text/plain"
            )
        return self.get_response(request)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's policy, plus Pic-Time's configured addresses (read per request, as tests and
    deployments set them): its covers are images, its sign-in page follows the connect form; and the
    live process's, where an open workspace's event stream comes from."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        origins = sorted(
            {_origin(u) for u in (settings.PICTIME_BASE_URL, settings.PICTIME_PUBLIC_URL) if u} - {""}
        )
        update = dict(parts.update or {})
        if origins:
            update.update({"img-src": origins, "form-action": origins})
        if settings.LIVE_URL:  # the open workspace's event stream (pictime.views.events)
            update["connect-src"] = [_origin(settings.LIVE_URL)]
        if request.path_info.startswith("/api/"):
            # DRF's browsable pages and Swagger UI set style attributes; scripts stay our files only.
            update["style-src"] = ["'unsafe-inline'"]
        parts.update = update or None
        return parts
