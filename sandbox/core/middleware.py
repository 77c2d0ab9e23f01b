import contextvars

from django.conf import settings

current_base_url = contextvars.ContextVar("current_base_url", default="http://127.0.0.1:8001")


def base_url() -> str:
    return settings.SANDBOX_PUBLIC_BASE_URL or current_base_url.get()


class BaseUrlMiddleware:
    """Remembers the scheme and host of the current request, for absolute URLs in JSON and webhooks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_base_url.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            current_base_url.reset(token)
