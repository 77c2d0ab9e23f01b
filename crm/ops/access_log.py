"""gunicorn's access log (and Django's request log) without secrets.

A request line carries secrets in two places: the query string (the OAuth callback's `code` and
`state`, whatever a form sends by GET) and path segments that are bearer tokens (a client's portal
link `/portal/<token>/`, Pic-Time's webhook endpoint `/integrations/pictime/webhooks/<token>/`).
`SafeAccessLogger` logs every URL-bearing atom (request line, path, referer, Location, the matching
environ values) as its path only, those segments masked, and never the query string.
gunicorn's own error lines ("Error handling request <uri>") get the same treatment.
`SecretPathFilter` does the same to the paths Django logs itself ("Not Found: /portal/<token>/").

A request the app marks quiet (`keep_out_of_access_log`) is not logged at all: an open workspace's
poll that finds nothing new, once a second per open tab, would be most of the log and say nothing.
"""

import logging
import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

SECRET_SEGMENT = re.compile(r"(/(?:portal|webhooks)/)[^/]+")
MASK = "***"
URL_ATOMS = (
    "U",
    "f",
    "{referer}i",
    "{location}o",
    "{raw_uri}e",
    "{path_info}e",
    "{request_uri}e",
    "{http_referer}e",
)
QUERY_ATOMS = ("q", "{query_string}e")
QUIET = "crm.quiet"  # a WSGI environ key: Django's request.META is the environ


def keep_out_of_access_log(request) -> None:
    """The request's line is not written to the access log (see the module's docstring)."""
    request.META[QUIET] = True


def safe_url(url: str) -> str:
    """The URL (or request target) without query string or fragment, secret path segments masked."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, SECRET_SEGMENT.sub(rf"\g<1>{MASK}", parts.path), "", ""))


class SafeAccessLogger(Logger):
    def access(self, resp, req, environ, request_time):
        if not environ.get(QUIET):
            super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = " ".join(
            (environ["REQUEST_METHOD"], safe_url(environ["RAW_URI"]), environ["SERVER_PROTOCOL"])
        )
        for key in URL_ATOMS:
            if isinstance(atoms.get(key), str):
                atoms[key] = safe_url(atoms[key])
        for key in QUERY_ATOMS:
            if key in atoms:
                atoms[key] = "-"
        return atoms

    def exception(self, msg, *args, **kwargs):
        # gunicorn's own "Error handling request <method> <uri>" carries the raw URI, query included.
        super().exception(msg, *_safe_args(args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(msg, *_safe_args(args), **kwargs)


def _safe_args(args: tuple) -> tuple:
    return tuple(
        safe_url(arg) if isinstance(arg, str) and arg.startswith(("/", "http")) else arg for arg in args
    )


class SecretPathFilter(logging.Filter):
    """Masks the path in django.request / django.server records (their args carry request.path)."""

    def filter(self, record):
        if record.name.startswith(("django.request", "django.server")) and isinstance(record.args, tuple):
            record.args = tuple(
                safe_url(arg) if isinstance(arg, str) and arg.startswith("/") else arg for arg in record.args
            )
        return True
