"""PicTimeClient and PicTimeOAuth against a network mocked with ``responses`` (the only place the
network is mocked). Each test names the behaviour: requests sent, errors mapped, logs kept clean."""

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from responses import matchers

from pictime import errors
from pictime.client import PicTimeClient, PicTimeOAuth
from pictime.client.answers import parse_retry_after
from pictime.schemas import Gallery, GalleryCreate
from tests.factories import SMITH_WEDDING

BASE = "https://pictime.test"
API = BASE + "/api/v2"
TOKEN = "AT-secret-access-123"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TOKEN_ANSWER = {"access_token": "AT", "refresh_token": "RT", "token_type": "Bearer", "expires_in": 3600}


@pytest.fixture
def client():
    return PicTimeClient(BASE, TOKEN, company_id=7, log_context={"task": "sync"})


@pytest.fixture
def oauth():
    return PicTimeOAuth(BASE, "crm-client", "s3cret value", "https://crm.test/pictime/callback")


# A redirect is never followed: Pic-Time's API and token endpoint do not redirect.
REDIRECTED = ({"status": 302, "body": "", "headers": {"Location": "/login"}}, errors.BadResponse, False)


def raised(call, cls, permanent):
    """The Pic-Time error `call()` raises, checked to be exactly `cls` and (not) permanent."""
    with pytest.raises(errors.PicTimeError) as exc:
        call()
    assert type(exc.value) is cls
    assert exc.value.permanent is permanent
    return exc.value


def qs(call):
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def error(status, code, message="nope", details=None, headers=None):
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return {"status": status, "json": body, "headers": headers or {}}


# --------------------------------------------------------------------------- requests sent
def test_it_gets_account_with_bearer_and_timeouts(mocked, client, account_json):
    mocked.get(API + "/account", json=account_json)
    account = client.get_account()
    assert account.name == "Jane Doe Photography"
    req = mocked.calls[0].request
    assert req.headers["Authorization"] == f"Bearer {TOKEN}"
    assert req.headers["Accept"] == "application/json"
    assert req.req_kwargs["timeout"] == (3.05, 10.0)
    assert client.requests_made == 1


def test_it_passes_custom_timeout(mocked, account_json):
    client = PicTimeClient(BASE, TOKEN, timeout=(1, 2))
    mocked.get(API + "/account", json=account_json)
    client.get_account()
    assert mocked.calls[0].request.req_kwargs["timeout"] == (1.0, 2.0)


@pytest.mark.parametrize("timeout", [5, (1,), (0, 1), (1, None), "3"])
def test_it_refuses_bad_timeout(timeout):
    with pytest.raises(ValueError):
        PicTimeClient(BASE, TOKEN, timeout=timeout)


def test_it_lists_galleries_with_filters(mocked, client, gallery_json):
    mocked.get(API + "/galleries", json={"data": [gallery_json], "next_cursor": "c2"})
    since = datetime(2026, 11, 26, 12, 0, 0, 500000, tzinfo=UTC)
    page = client.list_galleries(q="smith", status="online", updated_since=since, ids=["a", "b"], limit=10)
    assert [g.id for g in page.data] == ["gal_1"] and page.next_cursor == "c2"
    assert qs(mocked.calls[0]) == {
        "q": "smith",
        "status": "online",
        "updated_since": "2026-11-26T12:00:00.500000Z",
        "ids": "a,b",
        "limit": "10",
    }
    assert urlsplit(mocked.calls[0].request.url).path == "/api/v2/galleries"


def test_it_sends_only_limit_by_default(mocked, client):
    mocked.get(API + "/galleries", json={"data": [], "next_cursor": None})
    client.list_galleries()
    assert qs(mocked.calls[0]) == {"limit": "50"}


def test_it_sends_only_cursor_and_limit_with_a_cursor(mocked, client):
    mocked.get(API + "/galleries", json={"data": [], "next_cursor": None})
    client.list_galleries(q="ignored", cursor="c2", limit=20)
    assert qs(mocked.calls[0]) == {"cursor": "c2", "limit": "20"}


def test_it_refuses_naive_updated_since(mocked, client):
    with pytest.raises(ValueError, match="aware"):
        client.list_galleries(updated_since=datetime(2026, 11, 26))
    with pytest.raises(ValueError):
        client.list_orders(updated_since=datetime(2026, 11, 26))
    assert len(mocked.calls) == 0 and client.requests_made == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 101},
        {"limit": True},
        {"ids": []},
        {"ids": [str(i) for i in range(101)]},
        {"ids": "a,b"},
        {"ids": ["a,b"]},
    ],
)
def test_it_validates_list_arguments(client, kwargs):
    with pytest.raises((ValueError, TypeError)):
        client.list_galleries(**kwargs)


def test_it_iterates_galleries_following_cursors(mocked, client, make_gallery):
    mocked.get(
        API + "/galleries",
        json={"data": [make_gallery(id="g1"), make_gallery(id="g2")], "next_cursor": "c2"},
        match=[matchers.query_param_matcher({"status": "online", "limit": "2"})],
    )
    mocked.get(
        API + "/galleries",
        json={"data": [make_gallery(id="g3")], "next_cursor": "c3"},
        match=[matchers.query_param_matcher({"cursor": "c2", "limit": "2"})],
    )
    mocked.get(
        API + "/galleries",
        json={"data": [], "next_cursor": None},
        match=[matchers.query_param_matcher({"cursor": "c3", "limit": "2"})],
    )
    ids = [g.id for g in client.iter_galleries(status="online", limit=2)]
    assert ids == ["g1", "g2", "g3"]
    assert client.requests_made == 3


def test_iteration_is_lazy(mocked, client, make_gallery):
    mocked.get(API + "/galleries", json={"data": [make_gallery(id="g1")], "next_cursor": "c2"})
    it = client.iter_galleries()
    assert next(it).id == "g1"
    assert client.requests_made == 1


def test_it_stops_on_a_cursor_loop(mocked, client, make_gallery):
    mocked.get(API + "/galleries", json={"data": [make_gallery()], "next_cursor": "same"})
    with pytest.raises(errors.BadResponse, match="cursor"):
        list(client.iter_galleries())
    assert client.requests_made == 2


def test_it_gets_galleries_in_batches_of_100(mocked, client, make_gallery):
    ids = [f"g{i}" for i in range(250)] + ["g0"]  # a duplicate is asked once

    def answer(request):
        asked = qs_of(request)["ids"].split(",")
        # the server forgets g7 (deleted) and answers in its own order
        return (
            200,
            {},
            json.dumps(
                {"data": [make_gallery(id=i) for i in reversed(asked) if i != "g7"], "next_cursor": None}
            ),
        )

    mocked.add_callback(responses.GET, API + "/galleries", callback=answer, content_type="application/json")
    galleries = client.get_galleries(ids)
    assert [len(qs(c)["ids"].split(",")) for c in mocked.calls] == [100, 100, 50]
    assert all(qs(c)["limit"] == "100" for c in mocked.calls)
    assert [g.id for g in galleries] == [f"g{i}" for i in range(250) if i != 7]


def test_it_follows_cursors_within_a_batch(mocked, client, make_gallery):
    mocked.get(
        API + "/galleries",
        json={"data": [make_gallery(id="g1")], "next_cursor": "c2"},
        match=[matchers.query_param_matcher({"ids": "g1,g2", "limit": "100"})],
    )
    mocked.get(
        API + "/galleries",
        json={"data": [make_gallery(id="g2")], "next_cursor": None},
        match=[matchers.query_param_matcher({"cursor": "c2", "limit": "100"})],
    )
    assert [g.id for g in client.get_galleries(["g1", "g2"])] == ["g1", "g2"]


def test_get_galleries_with_no_ids_sends_nothing(mocked, client):
    assert client.get_galleries([]) == []
    assert client.requests_made == 0


def qs_of(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def test_it_gets_one_gallery_quoting_the_id(mocked, client, gallery_json):
    mocked.get(API + "/galleries/gal%2F1", json=gallery_json)
    assert client.get_gallery("gal/1").id == "gal_1"
    with pytest.raises(ValueError):
        client.get_gallery("")


def test_it_creates_gallery_with_idempotency_key(mocked, client, gallery_json):
    mocked.post(API + "/galleries", status=201, json=gallery_json)
    data = SMITH_WEDDING
    gallery = client.create_gallery(data, idempotency_key="project-42-gallery")
    assert isinstance(gallery, Gallery)
    req = mocked.calls[0].request
    assert req.headers["Idempotency-Key"] == "project-42-gallery"
    assert req.headers["Content-Type"] == "application/json"
    assert json.loads(req.body) == {
        "name": "Smith Wedding",
        "event_date": "2026-06-20",
        "client": {"name": "Ann Smith", "email": "ann@example.com"},
        "external_ref": "project-42",
    }


@pytest.mark.parametrize("key", [None, "", "x" * 256, "clé", "a\nb", " padded", "tab\tkey", "with space"])
def test_it_validates_idempotency_key_before_sending(mocked, client, key):
    with pytest.raises(ValueError):
        client.create_gallery(GalleryCreate(name="X"), idempotency_key=key)
    assert client.requests_made == 0


def test_idempotency_key_is_keyword_only_and_required(client):
    with pytest.raises(TypeError):
        client.create_gallery(GalleryCreate(name="X"))  # type: ignore[call-arg]


def test_it_lists_and_iterates_orders(mocked, client, make_order):
    since = datetime(2026, 11, 26, 10, tzinfo=UTC)
    mocked.get(
        API + "/orders",
        json={"data": [make_order(id="o1")], "next_cursor": "c2"},
        match=[
            matchers.query_param_matcher(
                {"gallery_id": "gal_1", "updated_since": "2026-11-26T10:00:00Z", "limit": "100"}
            )
        ],
    )
    mocked.get(
        API + "/orders",
        json={"data": [make_order(id="o2")], "next_cursor": None},
        match=[matchers.query_param_matcher({"cursor": "c2", "limit": "100"})],
    )
    orders = list(client.iter_orders(gallery_id="gal_1", updated_since=since))
    assert [o.id for o in orders] == ["o1", "o2"]


def test_list_orders_defaults(mocked, client, order_json):
    mocked.get(API + "/orders", json={"data": [order_json], "next_cursor": None})
    page = client.list_orders()
    assert page.data[0].number == "PT-1042"
    assert qs(mocked.calls[0]) == {"limit": "50"}


def test_it_manages_webhooks(mocked, client):
    sub = {"id": "wh_1", "url": "https://crm.test/hooks/pictime", "events": ["order.created"]}
    mocked.post(
        API + "/webhooks",
        status=201,
        json=dict(sub, secret="whsec_1"),
        match=[matchers.json_params_matcher({"url": sub["url"], "events": ["order.created"]})],
    )
    mocked.get(API + "/webhooks", json={"data": [sub]})
    mocked.delete(API + "/webhooks/wh_1", status=204)
    created = client.create_webhook(sub["url"], ["order.created"])
    assert created.secret == "whsec_1"
    listed = client.list_webhooks()
    assert [w.id for w in listed] == ["wh_1"] and listed[0].secret is None
    assert client.delete_webhook("wh_1") is None
    assert client.requests_made == 3


@pytest.mark.parametrize(
    ("url", "events"), [("ftp://x", ["order.created"]), ("https://x", []), ("https://x", "order.created")]
)
def test_it_validates_webhook_arguments(client, url, events):
    with pytest.raises((ValueError, TypeError)):
        client.create_webhook(url, events)


def test_it_accepts_longest_idempotency_key(mocked, client, gallery_json):
    mocked.post(API + "/galleries", status=201, json=gallery_json)
    client.create_gallery(GalleryCreate(name="X"), idempotency_key="~" * 255)
    assert mocked.calls[0].request.headers["Idempotency-Key"] == "~" * 255


@pytest.mark.parametrize("body", [{}, {"data": {}}, {"data": [{"id": "wh_1"}]}])
def test_it_rejects_malformed_webhook_list(mocked, client, body):
    mocked.get(API + "/webhooks", json=body)
    with pytest.raises(errors.BadResponse):
        client.list_webhooks()


def test_it_records_rate_limit_headers(mocked, client, account_json):
    mocked.get(
        API + "/account",
        json=account_json,
        headers={"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "17"},
    )
    client.get_account()
    assert (client.last_rate_limit.limit, client.last_rate_limit.remaining) == (10, 17)


# --------------------------------------------------------------------------- error mapping
@pytest.mark.parametrize(
    ("resp", "cls", "permanent"),
    [
        (error(400, "bad_request"), errors.BadRequest, True),
        (error(401, "invalid_token"), errors.NeedsReconnection, True),
        (error(403, "insufficient_scope"), errors.InsufficientScope, True),
        (error(404, "not_found"), errors.NotFound, True),
        (error(409, "conflict"), errors.Conflict, True),
        (error(409, "request_in_progress"), errors.RequestInProgress, False),
        (error(422, "validation_error", details={"name": ["too long"]}), errors.ValidationFailed, True),
        (error(429, "rate_limited", headers={"Retry-After": "7"}), errors.RateLimited, False),
        (error(500, "internal"), errors.Unavailable, False),
        (
            {"status": 502, "body": "<html><h1>502 Bad Gateway</h1></html>", "content_type": "text/html"},
            errors.Unavailable,
            False,
        ),
        ({"status": 503, "body": ""}, errors.Unavailable, False),
        ({"status": 504, "json": ["x"]}, errors.Unavailable, False),
        ({"status": 418, "json": {}}, errors.PicTimeError, True),
        REDIRECTED,
    ],
)
def test_it_maps_http_errors(mocked, client, resp, cls, permanent):
    mocked.get(API + "/galleries/gal_1", **resp)
    error = raised(lambda: client.get_gallery("gal_1"), cls, permanent)
    assert error.status == resp["status"]
    assert error.user_message and TOKEN not in error.user_message


def test_error_carries_code_message_and_user_message(mocked, client):
    mocked.get(API + "/galleries/x", **error(404, "not_found", "Gallery not found"))
    with pytest.raises(errors.NotFound) as exc:
        client.get_gallery("x")
    assert exc.value.code == "not_found"
    assert exc.value.message == "Gallery not found"
    assert "couldn't find" in exc.value.user_message


def test_request_in_progress_is_not_a_conflict():
    assert not issubclass(errors.RequestInProgress, errors.Conflict)


def test_it_maps_422_details(mocked, client):
    mocked.post(
        API + "/galleries",
        **error(
            422, "validation_error", "Invalid body", details={"slug": ["already taken"], "name": "required"}
        ),
    )
    with pytest.raises(errors.ValidationFailed) as exc:
        client.create_gallery(GalleryCreate(name="X", slug="taken"), idempotency_key="k1")
    assert exc.value.details == {"slug": ["already taken"], "name": "required"}
    assert exc.value.field_messages() == {"slug": ["already taken"], "name": ["required"]}
    assert "slug: already taken" in str(exc.value)


@pytest.mark.parametrize(("header", "expected"), [("7", 7), ("0", 1), (None, 1), ("soon", 1), (" 3 ", 3)])
def test_it_parses_retry_after(mocked, client, header, expected):
    headers = {"Retry-After": header} if header is not None else {}
    mocked.get(API + "/account", **error(429, "rate_limited", headers=headers))
    with pytest.raises(errors.RateLimited) as exc:
        client.get_account()
    assert exc.value.retry_after == expected
    assert isinstance(exc.value.retry_after, int)


def test_it_parses_retry_after_http_date():
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Thu, 26 Nov 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Thu, 26 Nov 2026 11:00:00 GMT", now=now) == 1


def test_it_maps_connection_error(mocked, client):
    mocked.get(API + "/account", body=requests.ConnectionError("refused"))
    with pytest.raises(errors.Unavailable) as exc:
        client.get_account()
    assert exc.value.permanent is False
    assert exc.value.user_message == "Couldn't reach Pic-Time. Try again in a minute."
    assert client.requests_made == 1


@pytest.mark.parametrize("exc_cls", [requests.ReadTimeout, requests.ConnectTimeout])
def test_it_maps_timeouts(mocked, client, exc_cls):
    mocked.get(API + "/account", body=exc_cls("slow"))
    with pytest.raises(errors.Unavailable, match="timeout") as exc:
        client.get_account()
    assert exc.value.code == "timeout"
    assert exc.value.__cause__ is None  # no chained exception that might carry request details


def test_it_maps_chunked_encoding_error(mocked, client):
    mocked.get(API + "/account", body=requests.exceptions.ChunkedEncodingError("cut"))
    with pytest.raises(errors.Unavailable):
        client.get_account()


@pytest.mark.parametrize(
    "resp",
    [
        {"status": 200, "body": "<html>Maintenance</html>", "content_type": "text/html"},
        {"status": 200, "body": "{not json", "content_type": "application/json"},
        {"status": 200, "body": "", "content_type": "application/json"},
        {"status": 200, "json": [1, 2]},
        {"status": 200, "json": "string"},
        {"status": 200, "json": None},
        {"status": 204, "body": ""},
    ],
)
def test_it_maps_malformed_bodies(mocked, client, resp):
    mocked.get(API + "/account", **resp)
    with pytest.raises(errors.BadResponse) as exc:
        client.get_account()
    assert exc.value.permanent is False


@pytest.mark.parametrize("field", ["id", "updated_at"])
def test_it_maps_missing_field(mocked, client, make_gallery, field):
    body = make_gallery()
    del body[field]
    mocked.get(API + "/galleries/gal_1", json=body)
    with pytest.raises(errors.BadResponse) as exc:
        client.get_gallery("gal_1")
    assert exc.value.field == field


def test_it_maps_wrong_type_and_bad_timestamp_in_a_page(mocked, client, make_gallery):
    mocked.get(API + "/galleries", json={"data": [make_gallery(image_count="3")], "next_cursor": None})
    with pytest.raises(errors.BadResponse) as exc:
        client.list_galleries()
    assert exc.value.field == "data[0].image_count"
    mocked.replace(
        responses.GET,
        API + "/galleries",
        json={"data": [make_gallery(updated_at="2026-11-26T10:00:00")], "next_cursor": None},
    )
    with pytest.raises(errors.BadResponse) as exc:
        client.list_galleries()
    assert exc.value.field == "data[0].updated_at"


def test_it_maps_invalid_base_url():
    client = PicTimeClient("http://", TOKEN)
    with pytest.raises(errors.PicTimeError) as exc:
        client.get_account()
    assert exc.value.permanent is True


# --------------------------------------------------------------------------- logging
def test_it_logs_structured_fields_without_token(mocked, client, caplog, account_json):
    mocked.get(API + "/account", json=account_json)
    mocked.get(API + "/galleries", **error(401, "invalid_token"))
    with caplog.at_level(logging.DEBUG, logger="pictime.client"):
        client.get_account()
        with pytest.raises(errors.NeedsReconnection):
            client.list_galleries(q="secret-search", cursor="cursor-abc")
    first = caplog.records[0]
    assert (first.method, first.path, first.status, first.company, first.task) == (
        "GET",
        "/account",
        200,
        7,
        "sync",
    )
    assert isinstance(first.duration_ms, float)
    assert any(r.path == "/galleries" and r.status == 401 for r in caplog.records)
    everything = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    assert TOKEN not in everything
    assert "Bearer" not in everything and "Authorization" not in everything
    assert "cursor-abc" not in everything and "secret-search" not in everything


def test_it_logs_failures_without_token(mocked, client, caplog):
    mocked.get(API + "/account", body=requests.ConnectionError(f"boom Authorization: Bearer {TOKEN}"))
    with caplog.at_level(logging.DEBUG, logger="pictime.client"), pytest.raises(errors.Unavailable) as exc:
        client.get_account()
    assert TOKEN not in caplog.text and TOKEN not in str(exc.value)
    assert caplog.records[-1].levelno == logging.WARNING


def test_client_repr_hides_token(client):
    assert TOKEN not in repr(client)


def test_log_context_cannot_break_logging(mocked, caplog, account_json):
    # Keys LogRecord owns would make logging raise KeyError: they are left out, the rest is kept.
    context = {"message": "x", "args": 1, "name": "y", "task": "sync"}
    client = PicTimeClient(BASE, TOKEN, log_context=context)
    mocked.get(API + "/account", json=account_json)
    with caplog.at_level(logging.INFO, logger="pictime.client"):
        assert client.get_account().id == "acc_1"
    (record,) = caplog.records
    assert record.getMessage().startswith("pictime GET /account -> 200")
    assert (record.name, record.args[:2], record.task, record.path) == (
        "pictime.client",
        ("GET", "/account"),
        "sync",
        "/account",
    )


# --------------------------------------------------------------------------- OAuth
def test_it_creates_authorization_url_with_pkce(oauth):
    url, state, verifier = oauth.create_authorization()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == BASE + "/oauth/authorize"
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert q["response_type"] == "code"
    assert q["client_id"] == "crm-client"
    assert q["redirect_uri"] == "https://crm.test/pictime/callback"
    assert q["state"] == state and len(state) >= 20
    assert q["scope"] == "account:read galleries:read galleries:write orders:read webhooks:write"
    assert q["code_challenge_method"] == "S256"
    assert 43 <= len(verifier) <= 128
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert q["code_challenge"] == expected
    assert "s3cret" not in url


def test_it_uses_given_state_and_scope(oauth):
    url, state, _ = oauth.create_authorization(state="st-1", scope=["galleries:read", "orders:read"])
    q = parse_qs(urlsplit(url).query)
    assert state == "st-1" and q["state"] == ["st-1"] and q["scope"] == ["galleries:read orders:read"]
    assert oauth.create_authorization()[2] != oauth.create_authorization()[2]


def test_it_exchanges_code(mocked, oauth, token_json):
    mocked.post(BASE + "/oauth/token", json=token_json)
    tokens = oauth.exchange_code("code-1", "verifier-1", now=NOW)
    assert tokens.access_token == "AT-secret-access-123"
    assert tokens.expires_at == NOW + timedelta(hours=1)
    req = mocked.calls[0].request
    assert parse_qs(req.body) == {
        "grant_type": ["authorization_code"],
        "code": ["code-1"],
        "redirect_uri": ["https://crm.test/pictime/callback"],
        "code_verifier": ["verifier-1"],
    }
    # RFC 6749 §2.3.1: client id and secret form-encoded, then Basic
    expected = base64.b64encode(b"crm-client:s3cret+value").decode()
    assert req.headers["Authorization"] == f"Basic {expected}"
    assert req.req_kwargs["timeout"] == (3.05, 10.0)


def test_it_refreshes(mocked, oauth, token_json):
    mocked.post(BASE + "/oauth/token", json=dict(token_json, refresh_token="RT-2"))
    tokens = oauth.refresh("RT-1", now=NOW)
    assert tokens.refresh_token == "RT-2"
    assert parse_qs(mocked.calls[0].request.body) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["RT-1"],
    }


def test_it_revokes(mocked, oauth):
    mocked.post(BASE + "/oauth/revoke", status=200, body="")
    assert oauth.revoke("RT-1") is None
    assert parse_qs(mocked.calls[0].request.body) == {"token": ["RT-1"], "token_type_hint": ["refresh_token"]}
    assert mocked.calls[0].request.headers["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("resp", "cls", "permanent"),
    [
        (
            {"status": 400, "json": {"error": "invalid_grant", "error_description": "spent"}},
            errors.NeedsReconnection,
            True,
        ),
        ({"status": 400, "json": {"error": "invalid_request"}}, errors.OAuthError, True),
        ({"status": 400, "json": {"error": "invalid_scope"}}, errors.OAuthError, True),
        ({"status": 401, "json": {"error": "invalid_client"}}, errors.OAuthError, True),
        ({"status": 400, "json": {"error": "access_denied"}}, errors.AccessDenied, True),
        (
            {"status": 400, "json": {"error": {"code": "invalid_grant", "message": "x"}}},
            errors.NeedsReconnection,
            True,
        ),
        ({"status": 401, "body": "Unauthorized", "content_type": "text/plain"}, errors.OAuthError, True),
        ({"status": 500, "json": {"error": "server_error"}}, errors.Unavailable, False),
        (
            {"status": 503, "body": "<html>down</html>", "content_type": "text/html"},
            errors.Unavailable,
            False,
        ),
        (
            {"status": 429, "json": {"error": "rate_limited"}, "headers": {"Retry-After": "3"}},
            errors.RateLimited,
            False,
        ),
        (
            {"status": 200, "body": "<html>login</html>", "content_type": "text/html"},
            errors.BadResponse,
            False,
        ),
        ({"status": 200, "json": {"access_token": "x"}}, errors.BadResponse, False),
        ({"status": 200, "json": ["x"]}, errors.BadResponse, False),
        (  # Authlib would turn a garbled expires_in into a ValueError: it never sees it
            {"status": 200, "json": dict(TOKEN_ANSWER, expires_in="soon")},
            errors.BadResponse,
            False,
        ),
        REDIRECTED,
    ],
)
def test_it_maps_token_endpoint_errors(mocked, oauth, resp, cls, permanent):
    mocked.post(BASE + "/oauth/token", **resp)
    raised(lambda: oauth.refresh("RT-1"), cls, permanent)


def test_the_client_credentials_are_form_encoded_before_basic(mocked, token_json):
    # RFC 6749 §2.3.1, as Pic-Time reads them (Authlib's own client_secret_basic does not encode).
    oauth = PicTimeOAuth(BASE, "crm:client", "p%ss w:rd", "https://crm.test/cb")
    mocked.post(BASE + "/oauth/token", json=token_json)
    oauth.refresh("RT-1")
    basic = mocked.calls[0].request.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(basic) == b"crm%3Aclient:p%25ss+w%3Ard"
    assert mocked.calls[0].request.headers["Accept"] == "application/json"


def test_it_maps_token_endpoint_timeout(mocked, oauth):
    mocked.post(BASE + "/oauth/token", body=requests.ReadTimeout("slow"))
    with pytest.raises(errors.Unavailable):
        oauth.exchange_code("c", "v")


def test_oauth_never_logs_secrets(mocked, oauth, caplog, token_json):
    mocked.post(BASE + "/oauth/token", json=token_json)
    mocked.post(BASE + "/oauth/revoke", **error(400, "invalid_request"))
    with caplog.at_level(logging.DEBUG, logger="pictime.client"):
        oauth.refresh("RT-secret-refresh-456")
        with pytest.raises(errors.OAuthError):
            oauth.revoke("RT-secret-refresh-456")
    everything = caplog.text + " ".join(str(vars(r)) for r in caplog.records)
    for secret in ("RT-secret", "AT-secret", "s3cret", "Basic"):
        assert secret not in everything
    assert [r.path for r in caplog.records][:2] == ["/oauth/token", "/oauth/revoke"]


def test_it_parses_the_callback():
    assert PicTimeOAuth.parse_callback({"code": "c1", "state": "s1"}, "s1") == "c1"
    with pytest.raises(errors.AccessDenied):
        PicTimeOAuth.parse_callback({"error": "access_denied", "state": "s1"}, "s1")
    with pytest.raises(errors.OAuthError) as exc:
        PicTimeOAuth.parse_callback({"code": "c1", "state": "other"}, "s1")
    assert exc.value.code == "invalid_state"
    with pytest.raises(errors.OAuthError):
        PicTimeOAuth.parse_callback({"code": "c1", "state": "s1"}, None)
    with pytest.raises(errors.OAuthError) as exc:
        PicTimeOAuth.parse_callback({"error": "invalid_scope", "state": "s1"}, "s1")
    assert type(exc.value) is errors.OAuthError and exc.value.code == "invalid_scope"
    with pytest.raises(errors.OAuthError):
        PicTimeOAuth.parse_callback({"state": "s1"}, "s1")


def test_oauth_repr_hides_secret(oauth):
    assert "s3cret" not in repr(oauth)
