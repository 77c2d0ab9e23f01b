"""API tokens: django-rest-knox's (only a hash is stored), with wrong tokens throttled per address."""

import re

from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions

from .throttling import BadTokenThrottle

# knox makes 64 hex characters; keys moved from DRF's plain-text tokens have 40.
TOKEN_RE = re.compile(rb"[0-9a-f]{40,64}")


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate(self, request):
        throttle = BadTokenThrottle()
        if self._has_token_header(request) and throttle.blocked(request):
            raise exceptions.Throttled(wait=throttle.wait())
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise

    def authenticate_credentials(self, token):
        # Anything but a token's shape (non-UTF-8, NUL bytes, megabytes) is refused before any query.
        if not TOKEN_RE.fullmatch(token):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(token)

    def _has_token_header(self, request) -> bool:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        return header.split(" ", 1)[0].lower() == self.authenticate_header(request).lower()
