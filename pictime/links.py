"""Which links from Pic-Time the CRM keeps: the URL policy the answers' validation applies
(pictime.schemas.Gallery), read from the settings through one function."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 500  # the CRM's column
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True, slots=True)
class UrlPolicy:
    """Which links from Pic-Time may become an ``href`` or ``src``: absolute, of an allowed scheme
    (``https``; ``http`` only where Pic-Time itself is reached over http, i.e. the sandbox) and, when
    ``hosts`` are given, on one of them or a subdomain."""

    schemes: tuple[str, ...] = ("https",)
    hosts: tuple[str, ...] = ()

    def problem(self, url: str) -> str | None:
        """Why the URL is refused, or None when it is fine."""
        if len(url) > MAX_URL:
            return f"longer than {MAX_URL} characters"
        if _SPACE_OR_CONTROL.search(url):
            return "contains spaces or control characters"
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return "not a valid URL"
        if parts.scheme.lower() not in self.schemes:
            return f"scheme {parts.scheme or '(none)'!r} is not allowed (only {', '.join(self.schemes)})"
        if not host or parts.username is not None or parts.password is not None:
            return "not an absolute URL with a host"
        if self.hosts and not any(host == h or host.endswith("." + h) for h in self.hosts):
            return f"host {host!r} is not Pic-Time's"
        return None


def current_url_policy() -> UrlPolicy:
    """The policy the settings give (``PICTIME_URL_HOSTS``; http allowed only while
    ``PICTIME_BASE_URL`` or ``PICTIME_PUBLIC_URL`` is http, i.e. the sandbox). Outside Django (a
    bench's bare client): https on any host."""
    from django.conf import settings  # the one place the schemas read settings

    if not settings.configured:
        return UrlPolicy()
    return _policy(settings.PICTIME_BASE_URL, settings.PICTIME_PUBLIC_URL, tuple(settings.PICTIME_URL_HOSTS))


@functools.lru_cache(maxsize=16)
def _policy(base_url: str, public_url: str, hosts: tuple[str, ...]) -> UrlPolicy:
    http = any(urlsplit(u).scheme == "http" for u in (base_url, public_url) if u)
    return UrlPolicy(
        schemes=("http", "https") if http else ("https",),
        hosts=tuple(h.strip().lower().lstrip(".") for h in hosts if h.strip()),
    )
