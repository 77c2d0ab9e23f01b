"""Request ids and structured (JSON) logs.

- `RequestIdMiddleware` gives every request an id: the incoming `X-Request-ID` when it is sane,
  else a new one; it is on `request.request_id`, in the response's `X-Request-ID`, and in a
  context variable for the duration of the request.
- `RequestIdFilter` puts that id on every log record as `record.request_id` ("-" outside a request).
- `JsonFormatter` writes one JSON object a line (`LOG_FORMAT=json` in the environment), with the
  record's `extra` fields.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from django.http import HttpRequest

from crm.ops.access_log import safe_url

REQUEST_ID_HEADER = "X-Request-ID"
_request_id = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def get_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = get_request_id()
        return True


# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def _loggable(value):
    """A request (Django's request logger puts it on its records) as its method and path only: its
    query string and some path segments are secrets (crm.ops.access_log)."""
    if isinstance(value, HttpRequest):
        return f"{value.method} {safe_url(value.path)}"
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", get_request_id()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = _loggable(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)
