import json
import logging

from django.http import HttpResponse
from django.test import RequestFactory

from crm.ops.logging import JsonFormatter, RequestIdFilter, RequestIdMiddleware, get_request_id


def test_each_response_gets_a_new_request_id(client, db):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_an_incoming_request_id_is_kept(client, db):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-abc.123")["X-Request-ID"] == "lb-abc.123"


def test_an_unsafe_incoming_request_id_is_replaced(client, db):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="evil id\twith spaces" + "x" * 200)
    assert response["X-Request-ID"] != "evil id"
    assert len(response["X-Request-ID"]) == 32


def _record(message="hello", **extra):
    record = logging.LogRecord("crm.test", logging.INFO, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_log_records_made_during_a_request_carry_its_id():
    seen = {}

    def view(request):
        record = _record()
        RequestIdFilter().filter(record)
        seen["request_id"] = record.request_id
        return HttpResponse("ok")

    response = RequestIdMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="req-42"))
    assert seen["request_id"] == "req-42" == response["X-Request-ID"]
    assert get_request_id() == "-"  # and it is gone after the request
    outside = _record()
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"


def test_the_json_formatter_writes_one_object_with_the_request_id_and_extras():
    record = _record("sync %s done", company=7, request_id="req-7")
    record.args = ("run-1",)
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "sync run-1 done"
    assert entry["level"] == "INFO" and entry["logger"] == "crm.test"
    assert entry["request_id"] == "req-7"
    assert entry["company"] == 7
    assert entry["time"].endswith("+00:00")


def test_the_json_formatter_writes_a_request_without_its_secrets(rf):
    """Django's request logger puts the request on its records ("Forbidden: ..."): in JSON logs it
    is its method and path, without the query string (a workspace's ticket, OAuth's code) or a
    portal token."""
    for url, written in (
        (
            "/integrations/pictime/projects/7/galleries/events/?t=SECRET-TICKET&v=1",
            "GET /integrations/pictime/projects/7/galleries/events/",
        ),
        ("/portal/SECRET-PORTAL-TOKEN/?x=1", "GET /portal/***/"),
    ):
        request = rf.get(url)
        record = _record("Forbidden: %s", request=request, status_code=403)
        record.args = (request.path,)
        entry = json.loads(JsonFormatter().format(record))
        assert entry["request"] == written
        assert entry["status_code"] == 403


def test_the_json_formatter_includes_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("crm.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in entry["exc_info"]


def test_log_format_json_selects_the_json_formatter(monkeypatch):
    import importlib

    import crm.settings

    monkeypatch.setenv("LOG_FORMAT", "json")
    try:
        reloaded = importlib.reload(crm.settings)
        handler = reloaded.LOGGING["handlers"]["console"]
        assert handler["formatter"] == "json"
        assert handler["filters"] == ["request_id"]
        assert reloaded.LOGGING["formatters"]["json"]["()"] == "crm.ops.logging.JsonFormatter"
        assert "crm.ops.logging.RequestIdMiddleware" in reloaded.MIDDLEWARE
    finally:
        monkeypatch.delenv("LOG_FORMAT")
        importlib.reload(crm.settings)
