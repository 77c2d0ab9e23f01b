"""The Pic-Time client against the running Pic-Time sandbox, over real HTTP.

Every endpoint and every error of the contract (contract/pictime-openapi.yaml), the OAuth flow
driven through the sandbox's own sign-in and consent forms, rotating refresh tokens and reuse
detection. Needs the sandbox's pytest plugin::

    python -m pytest tests/pictime_client -p no:django -p sandbox.pytest_plugin

The ``sandbox`` fixture (function scope, after a reset) is a ``sandbox.testing.Sandbox``.
"""

import os
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from pictime import errors
from pictime.client import PicTimeClient, PicTimeOAuth
from pictime.schemas import GalleryCreate, WebhookEvent
from pictime.signatures import verify_signature
from tests.factories import SMITH_WEDDING
from tests.helpers import free_port
from tests.oauth_forms import authorize_in_browser
from tests.waiting import wait_until

CLIENT_ID = "studio-crm"
CLIENT_SECRET = "crm secret/with+specials"  # exercises RFC 6749 §2.3.1 form-encoding in Basic auth
REDIRECT_URI = "http://crm.test/integrations/pictime/callback"
PASSWORD = "pass1234"
ALL_SCOPES = "account:read galleries:read galleries:write orders:read webhooks:write"


# --------------------------------------------------------------------------- fixtures and helpers
@pytest.fixture
def oauth_app(sandbox):
    sandbox.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    return PicTimeOAuth(sandbox.url, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)


def _email(name="jane"):
    # The sandbox keeps its data for the whole session (reset() clears faults only): unique emails.
    return f"{name}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def account(sandbox, oauth_app):
    return sandbox.create_account("Jane Doe Photography", _email(), password=PASSWORD)


@pytest.fixture
def tokens(sandbox, account):
    return sandbox.issue_grant(account["id"], CLIENT_ID)


@pytest.fixture
def client(sandbox, tokens):
    c = PicTimeClient(sandbox.url, tokens["access_token"], company_id=1)
    yield c
    c.session.close()


def _other_client(sandbox, scope=None, expires_in=None):
    other = sandbox.create_account("Other Studio", _email("other"), password=PASSWORD)
    tok = sandbox.issue_grant(other["id"], CLIENT_ID, scope=scope, expires_in=expires_in)
    return other, PicTimeClient(sandbox.url, tok["access_token"])


def connect(sandbox, oauth_app, account, **kwargs):
    url, state, verifier = oauth_app.create_authorization(**kwargs)
    callback = authorize_in_browser(url, email=account["email"], redirect_uri=REDIRECT_URI)
    code = PicTimeOAuth.parse_callback(callback, state)
    return code, verifier


# --------------------------------------------------------------------------- OAuth
def test_it_connects_through_sign_in_and_consent(sandbox, oauth_app, account):
    code, verifier = connect(sandbox, oauth_app, account)
    tokens = oauth_app.exchange_code(code, verifier)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_in == 3600
    assert tokens.scope.split() == ALL_SCOPES.split()
    assert tokens.expires_at > datetime.now(UTC) + timedelta(minutes=59)
    me = PicTimeClient(sandbox.url, tokens.access_token).get_account()
    assert me.id == account["id"] and me.email == account["email"]


def test_it_connects_with_fewer_scopes(sandbox, oauth_app, account):
    code, verifier = connect(sandbox, oauth_app, account, scope=["account:read"])
    tokens = oauth_app.exchange_code(code, verifier)
    assert tokens.scope == "account:read"
    with pytest.raises(errors.InsufficientScope) as exc:
        PicTimeClient(sandbox.url, tokens.access_token).list_galleries()
    assert exc.value.status == 403 and exc.value.code == "insufficient_scope" and exc.value.permanent


def test_it_handles_deny(sandbox, oauth_app, account):
    url, state, _ = oauth_app.create_authorization()
    callback = authorize_in_browser(url, email=account["email"], redirect_uri=REDIRECT_URI, decision="deny")
    assert callback["error"] == "access_denied" and callback["state"] == state
    with pytest.raises(errors.AccessDenied):
        PicTimeOAuth.parse_callback(callback, state)


def test_it_handles_unknown_scope(sandbox, oauth_app, account):
    url, state, _ = oauth_app.create_authorization(scope="galleries:read photos:delete")
    callback = authorize_in_browser(url, email=account["email"], redirect_uri=REDIRECT_URI)
    assert callback["error"] == "invalid_scope"
    with pytest.raises(errors.OAuthError) as exc:
        PicTimeOAuth.parse_callback(callback, state)
    assert type(exc.value) is errors.OAuthError and exc.value.code == "invalid_scope"


def test_it_handles_wrong_state(sandbox, oauth_app, account):
    url, _, _ = oauth_app.create_authorization()
    callback = authorize_in_browser(url, email=account["email"], redirect_uri=REDIRECT_URI)
    with pytest.raises(errors.OAuthError) as exc:
        PicTimeOAuth.parse_callback(callback, "a-state-from-another-tab")
    assert exc.value.code == "invalid_state"


def test_code_is_single_use_and_reuse_revokes_the_grant(sandbox, oauth_app, account):
    code, verifier = connect(sandbox, oauth_app, account)
    tokens = oauth_app.exchange_code(code, verifier)
    with pytest.raises(errors.NeedsReconnection) as exc:
        oauth_app.exchange_code(code, verifier)
    assert exc.value.code == "invalid_grant"
    with pytest.raises(errors.NeedsReconnection):
        PicTimeClient(sandbox.url, tokens.access_token).get_account()
    with pytest.raises(errors.NeedsReconnection):
        oauth_app.refresh(tokens.refresh_token)


def test_it_refuses_wrong_code_verifier(sandbox, oauth_app, account):
    code, _ = connect(sandbox, oauth_app, account)
    with pytest.raises(errors.NeedsReconnection) as exc:
        oauth_app.exchange_code(code, "x" * 64)
    assert exc.value.code == "invalid_grant"


def test_it_refuses_wrong_client_secret(sandbox, oauth_app, tokens):
    bad = PicTimeOAuth(sandbox.url, CLIENT_ID, "not the secret", REDIRECT_URI)
    with pytest.raises(errors.OAuthError) as exc:
        bad.refresh(tokens["refresh_token"])
    assert type(exc.value) is errors.OAuthError
    assert exc.value.code == "invalid_client" and exc.value.status == 401 and exc.value.permanent


def test_refresh_rotates_and_the_old_access_token_lives_on(sandbox, oauth_app, tokens):
    first = oauth_app.refresh(tokens["refresh_token"])
    assert first.refresh_token != tokens["refresh_token"]
    assert first.access_token != tokens["access_token"]
    # the old access token lives until it expires; the new one works
    assert PicTimeClient(sandbox.url, tokens["access_token"]).get_account()
    assert PicTimeClient(sandbox.url, first.access_token).get_account()
    # rotating again from the new refresh token works
    second = oauth_app.refresh(first.refresh_token)
    assert second.refresh_token not in (first.refresh_token, tokens["refresh_token"])


def test_retrying_a_spent_refresh_token_within_grace_returns_the_same_pair(sandbox, oauth_app, tokens):
    first = oauth_app.refresh(tokens["refresh_token"])
    again = oauth_app.refresh(tokens["refresh_token"])  # the answer was "lost": a safe retry
    assert (again.access_token, again.refresh_token) == (first.access_token, first.refresh_token)
    assert PicTimeClient(sandbox.url, again.access_token).get_account()


def test_unknown_refresh_token_needs_reconnection(sandbox, oauth_app, tokens):
    with pytest.raises(errors.NeedsReconnection):
        oauth_app.refresh("ptr_not-a-real-token")


def test_revoke_ends_the_grant_and_its_webhooks(sandbox, oauth_app, tokens, client, account):
    client.create_webhook("http://127.0.0.1:9/hooks/pictime", ["order.created"])
    assert oauth_app.revoke(tokens["refresh_token"]) is None
    with pytest.raises(errors.NeedsReconnection):
        client.get_account()
    with pytest.raises(errors.NeedsReconnection):
        oauth_app.refresh(tokens["refresh_token"])
    fresh = PicTimeClient(sandbox.url, sandbox.issue_grant(account["id"], CLIENT_ID)["access_token"])
    assert fresh.list_webhooks() == []
    # RFC 7009: revoking an unknown or spent token is still a success
    assert oauth_app.revoke("ptr_unknown") is None


def test_revoke_by_access_token(sandbox, oauth_app, tokens, client):
    oauth_app.revoke(tokens["access_token"], token_type_hint="access_token")
    with pytest.raises(errors.NeedsReconnection):
        client.get_account()


def test_expired_access_token_needs_reconnection_and_refresh_fixes_it(sandbox, oauth_app, account):
    tok = sandbox.issue_grant(account["id"], CLIENT_ID, expires_in=1)
    time.sleep(1.2)
    with pytest.raises(errors.NeedsReconnection) as exc:
        PicTimeClient(sandbox.url, tok["access_token"]).get_account()
    assert exc.value.status == 401 and exc.value.code == "invalid_token"
    fresh = oauth_app.refresh(tok["refresh_token"])
    assert PicTimeClient(sandbox.url, fresh.access_token).get_account().id == account["id"]


def test_token_ttl_fault_shortens_new_tokens(sandbox, oauth_app, tokens):
    sandbox.set_faults(token_ttl=5)
    assert oauth_app.refresh(tokens["refresh_token"]).expires_in == 5


def test_token_endpoint_failure_is_transient(sandbox, oauth_app, tokens):
    sandbox.set_faults(token_fail_next=1)
    with pytest.raises(errors.Unavailable) as exc:
        oauth_app.refresh(tokens["refresh_token"])
    assert exc.value.status == 500 and not exc.value.permanent
    # the failed call did not spend the refresh token
    assert oauth_app.refresh(tokens["refresh_token"]).access_token


def test_token_endpoint_timeout_is_transient(sandbox, tokens):
    sandbox.set_faults(token_hang_seconds=2)
    slow = PicTimeOAuth(sandbox.url, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, timeout=(3.05, 0.5))
    with pytest.raises(errors.Unavailable) as exc:
        slow.refresh(tokens["refresh_token"])
    assert exc.value.code == "timeout"


# --------------------------------------------------------------------------- account
def test_it_gets_the_account(sandbox, client, account):
    me = client.get_account()
    assert (me.id, me.name, me.email, me.plan) == (
        account["id"],
        "Jane Doe Photography",
        account["email"],
        "pro",
    )
    assert isinstance(me.brands, tuple) and isinstance(me.presets, tuple)
    assert client.requests_made == 1
    assert client.last_rate_limit.limit == 10
    assert client.last_rate_limit.remaining is not None


def test_bad_token_needs_reconnection(sandbox):
    with pytest.raises(errors.NeedsReconnection) as exc:
        PicTimeClient(sandbox.url, "pta_garbage").get_account()
    assert exc.value.code == "invalid_token" and exc.value.permanent


# --------------------------------------------------------------------------- galleries
def test_it_creates_an_offline_unpublished_gallery(sandbox, client, account):
    data = SMITH_WEDDING
    g = client.create_gallery(data, idempotency_key="project-42-gallery")
    assert g.status == "offline" and g.published_at is None and g.image_count == 0
    assert g.name == "Smith Wedding" and g.event_date == date(2026, 6, 20)
    assert g.client.name == "Ann Smith" and g.client.email == "ann@example.com"
    assert g.external_ref == "project-42"
    assert g.slug  # made from the name
    assert f"/g/{account['id']}/{g.slug}" in g.public_url
    assert g.edit_url
    assert client.get_gallery(g.id) == g


def test_create_with_the_same_key_and_body_replays(sandbox, client, account):
    data = GalleryCreate(name="Smith Wedding")
    first = client.create_gallery(data, idempotency_key="key-1")
    again = client.create_gallery(data, idempotency_key="key-1")
    assert again == first
    assert sandbox.stats(account["id"])["galleries"] == 1


def test_create_with_the_same_key_and_another_body_conflicts(sandbox, client):
    client.create_gallery(GalleryCreate(name="Smith Wedding"), idempotency_key="key-1")
    with pytest.raises(errors.Conflict) as exc:
        client.create_gallery(GalleryCreate(name="Jones Wedding"), idempotency_key="key-1")
    assert exc.value.code == "conflict" and exc.value.permanent


def test_create_while_the_first_is_running_is_request_in_progress(sandbox, client, tokens, account):
    sandbox.set_faults(latency_ms=2000)
    results = {}
    first = PicTimeClient(sandbox.url, tokens["access_token"])

    def run():
        results["first"] = first.create_gallery(GalleryCreate(name="Slow"), idempotency_key="key-slow")

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.7)
    try:
        with pytest.raises(errors.RequestInProgress) as exc:
            client.create_gallery(GalleryCreate(name="Slow"), idempotency_key="key-slow")
        assert exc.value.status == 409 and exc.value.code == "request_in_progress"
        assert exc.value.permanent is False
    finally:
        thread.join(15)
    sandbox.set_faults(latency_ms=0)
    assert client.create_gallery(GalleryCreate(name="Slow"), idempotency_key="key-slow") == results["first"]
    assert sandbox.stats(account["id"])["galleries"] == 1


def test_create_without_key_is_bad_request(sandbox, client):
    # The client refuses to send this; the raw call shows the contract's answer.
    with pytest.raises(errors.BadRequest) as exc:
        client._request("POST", "/galleries", json={"name": "No key"})
    assert exc.value.status == 400 and exc.value.code == "bad_request"


def test_malformed_json_is_bad_request(sandbox, client):
    # The client always sends valid JSON; a raw call shows the contract's answer.
    resp = client.session.post(
        client.api_url + "/galleries",
        data="{not json",
        headers={
            "Authorization": f"Bearer {client._access_token}",
            "Idempotency-Key": "k-json",
            "Content-Type": "application/json",
        },
        timeout=client.timeout,
    )
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"


def test_taken_slug_is_a_validation_error_that_does_not_spend_the_key(sandbox, client):
    client.create_gallery(GalleryCreate(name="Smith Wedding", slug="smith-wedding"), idempotency_key="k1")
    with pytest.raises(errors.ValidationFailed) as exc:
        client.create_gallery(GalleryCreate(name="Other", slug="smith-wedding"), idempotency_key="k2")
    assert "slug" in exc.value.details and exc.value.status == 422 and exc.value.permanent
    # a 4xx answer does not spend the key: the same key with another (valid) body now succeeds
    g = client.create_gallery(GalleryCreate(name="Other", slug="other-wedding"), idempotency_key="k2")
    assert g.slug == "other-wedding" and g.name == "Other"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (GalleryCreate(name="x" * 200, slug="AB"), "slug"),
        (GalleryCreate(name="Ok", client_name="Ann", client_email="not-an-email"), "client"),
    ],
)
def test_invalid_body_is_a_validation_error(sandbox, client, data, field):
    with pytest.raises(errors.ValidationFailed) as exc:
        client.create_gallery(data, idempotency_key="k-invalid")
    assert any(k.startswith(field) for k in exc.value.details), exc.value.details


def test_it_gets_a_gallery_and_hides_other_accounts(sandbox, client, account):
    mine = sandbox.create_gallery(account["id"], name="Mine")
    _, other_client = _other_client(sandbox)
    with pytest.raises(errors.NotFound) as exc:
        other_client.get_gallery(mine["id"])
    assert exc.value.status == 404 and exc.value.code == "not_found"
    with pytest.raises(errors.NotFound):
        client.get_gallery("gal_does_not_exist")
    assert client.get_gallery(mine["id"]).name == "Mine"


def test_gallery_follows_publish_photos_expiry_and_delete(sandbox, client, account):
    g = sandbox.create_gallery(account["id"], name="Lifecycle")
    sandbox.publish(g["id"])
    sandbox.add_photos(g["id"], 12)
    online = client.get_gallery(g["id"])
    assert online.status == "online" and online.published_at and online.image_count == 12
    published_at = online.published_at
    sandbox.take_offline(g["id"])
    sandbox.publish(g["id"])
    assert client.get_gallery(g["id"]).published_at == published_at  # the first publication
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    sandbox.set_expiry(g["id"], past)
    expired = client.get_gallery(g["id"])
    assert expired.status == "offline" and expired.expires_at <= datetime.now(UTC)
    sandbox.delete_gallery(g["id"])
    with pytest.raises(errors.NotFound):
        client.get_gallery(g["id"])


def test_it_lists_galleries_with_filters(sandbox, client, account):
    a = sandbox.create_gallery(
        account["id"], name="Smith Wedding", client={"name": "Ann Smith", "email": "ANN@example.com"}
    )
    b = sandbox.create_gallery(account["id"], name="Jones Portraits")
    c = sandbox.create_gallery(
        account["id"], name="Brown Family", client={"name": "Bob Brown", "email": "bob@example.com"}
    )
    sandbox.publish(b["id"])
    assert {g.id for g in client.list_galleries().data} == {a["id"], b["id"], c["id"]}
    assert [g.id for g in client.list_galleries(q="smith").data] == [a["id"]]
    assert [g.id for g in client.list_galleries(q="ann@EXAMPLE").data] == [a["id"]]  # client email, any case
    assert [g.id for g in client.list_galleries(q="bob brown").data] == [c["id"]]  # client name
    assert [g.id for g in client.list_galleries(status="online").data] == [b["id"]]
    assert {g.id for g in client.list_galleries(status="offline").data} == {a["id"], c["id"]}
    assert {g.id for g in client.list_galleries(ids=[a["id"], c["id"], "unknown"]).data} == {a["id"], c["id"]}


def test_updated_since_is_inclusive_and_ordered(sandbox, client, account):
    for i in range(3):
        sandbox.create_gallery(account["id"], name=f"G{i}")
    listed = client.list_galleries().data
    assert [(g.updated_at, g.id) for g in listed] == sorted((g.updated_at, g.id) for g in listed)
    middle = listed[1]
    since = client.list_galleries(updated_since=middle.updated_at).data
    assert [g.id for g in since] == [g.id for g in listed[1:]]  # inclusive


def test_zoneless_updated_since_is_refused(sandbox, client):
    with pytest.raises(ValueError):
        client.list_galleries(updated_since=datetime(2026, 11, 26, 10, 0))
    with pytest.raises(errors.ValidationFailed) as exc:  # what Pic-Time says if sent anyway
        client._request("GET", "/galleries", params={"updated_since": "2026-11-26T10:00:00"})
    assert "updated_since" in exc.value.details


def test_too_many_ids_or_bad_limit_is_refused(sandbox, client):
    with pytest.raises(ValueError):
        client.list_galleries(ids=[f"g{i}" for i in range(101)])
    with pytest.raises(errors.ValidationFailed):
        client._request("GET", "/galleries", params={"ids": ",".join(f"g{i}" for i in range(101))})
    with pytest.raises(errors.ValidationFailed):
        client._request("GET", "/galleries", params={"limit": "101"})


def test_it_iterates_every_gallery_exactly_once(sandbox, client, account):
    ids = [sandbox.create_gallery(account["id"], name=f"Gallery {i}")["id"] for i in range(7)]
    it = client.iter_galleries(limit=3)
    seen = [next(it).id]
    # changes after the first page must not make a gallery appear twice or vanish
    sandbox.add_photos(ids[0], 3)
    sandbox.create_gallery(account["id"], name="Added meanwhile")
    seen += [g.id for g in it]
    # Each gallery once (the contract). The sandbox lists what there was at the first page, oldest
    # change first: the gallery added meanwhile is not in it, the one changed meanwhile keeps its place.
    assert seen == ids
    assert client.requests_made == 3  # 7 galleries by 3


def test_it_gets_galleries_by_ids_in_batches(sandbox, client, account):
    real = [sandbox.create_gallery(account["id"], name=f"G{i}")["id"] for i in range(3)]
    wanted = [f"gal_missing_{i}" for i in range(120)] + list(reversed(real))
    found = client.get_galleries(wanted)
    assert [g.id for g in found] == list(reversed(real))
    assert client.requests_made == 2  # 100 + 23 ids


def test_a_filter_beside_a_cursor_is_ignored(sandbox, client, account):
    for i in range(3):
        sandbox.create_gallery(account["id"], name=f"Smith {i}")
    sandbox.create_gallery(account["id"], name="Jones")
    first = client.list_galleries(q="smith", limit=2)
    rest = client._request(
        "GET", "/galleries", params={"cursor": first.next_cursor, "limit": 2, "q": "jones"}
    )
    assert [g["name"] for g in rest["data"]] == ["Smith 2"]


def test_a_garbled_cursor_is_a_validation_error(sandbox, client):
    with pytest.raises(errors.ValidationFailed) as exc:
        client.list_galleries(cursor="garbage")
    assert "cursor" in exc.value.details


# --------------------------------------------------------------------------- orders
def test_it_lists_orders_and_follows_refunds(sandbox, client, account):
    g = sandbox.create_gallery(account["id"], name="Orders")
    other = sandbox.create_gallery(account["id"], name="Other")
    placed = sandbox.place_order(g["id"])
    sandbox.place_order(other["id"])
    page = client.list_orders(gallery_id=g["id"])
    assert [o.id for o in page.data] == [placed["id"]] and page.next_cursor is None
    order = page.data[0]
    assert order.gallery_id == g["id"] and order.status == "paid"
    assert isinstance(order.total, Decimal) and order.total == Decimal(placed["total"])
    assert order.number.startswith("PT-") and order.items and order.customer.email
    before = max(o.updated_at for o in client.iter_orders()) + timedelta(microseconds=1)
    sandbox.refund_order(placed["id"])
    changed = client.list_orders(updated_since=before).data
    assert [(o.id, o.status) for o in changed] == [(placed["id"], "refunded")]
    assert client.list_orders(gallery_id="gal_unknown").data == []


def test_it_iterates_orders(sandbox, client, account):
    g = sandbox.create_gallery(account["id"], name="Many orders")
    ids = {sandbox.place_order(g["id"])["id"] for _ in range(5)}
    assert {o.id for o in client.iter_orders(limit=2)} == ids
    assert client.requests_made == 3


def test_orders_need_their_scope(sandbox, client, account):
    _, limited = _other_client(sandbox, scope="account:read galleries:read")
    with pytest.raises(errors.InsufficientScope):
        limited.list_orders()
    with pytest.raises(errors.InsufficientScope):
        limited.create_gallery(GalleryCreate(name="X"), idempotency_key="k")
    with pytest.raises(errors.InsufficientScope):
        limited.create_webhook("http://127.0.0.1:9/h", ["order.created"])


# --------------------------------------------------------------------------- webhooks
def test_it_manages_webhook_subscriptions(sandbox, client):
    sub = client.create_webhook("http://127.0.0.1:9/hooks/pictime", ["order.created", "gallery.updated"])
    assert sub.secret and sub.id
    assert set(sub.events) == {"order.created", "gallery.updated"}
    with pytest.raises(errors.Conflict):
        client.create_webhook("http://127.0.0.1:9/hooks/pictime", ["order.created"])
    listed = client.list_webhooks()
    assert [(w.id, w.secret) for w in listed] == [(sub.id, None)]
    assert client.delete_webhook(sub.id) is None
    assert client.list_webhooks() == []
    with pytest.raises(errors.NotFound):
        client.delete_webhook(sub.id)


def test_it_refuses_unknown_webhook_events(sandbox, client):
    with pytest.raises(errors.ValidationFailed) as exc:
        client.create_webhook("http://127.0.0.1:9/hooks", ["gallery.exploded"])
    assert "events" in exc.value.details


def test_webhook_deliveries_verify_with_the_subscription_secret(sandbox, client, account):
    received = []

    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers.get("PicTime-Signature")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sub = client.create_webhook(
            f"http://127.0.0.1:{port}/hooks/pictime", ["gallery.updated", "order.created"]
        )
        g = sandbox.create_gallery(account["id"], name="Hooked")
        sandbox.publish(g["id"])
        sandbox.place_order(g["id"])
        assert wait_until(lambda: len(received) >= 2, timeout=10.0, interval=0.1), received
    finally:
        server.shutdown()
        server.server_close()
    events = []
    for body, header in received:
        verify_signature(body, header, sub.secret)
        events.append(WebhookEvent.from_body(body))
        with pytest.raises(Exception):  # noqa: B017 - InvalidSignature
            verify_signature(body + b" ", header, sub.secret)
    by_type = {e.type: e for e in events}
    assert by_type["gallery.updated"].gallery().status == "online"
    assert by_type["order.created"].order().gallery_id == g["id"]
    assert all(e.account_id == account["id"] for e in events)


# --------------------------------------------------------------------------- failures, limits, transport
def test_server_error_is_transient(sandbox, client):
    sandbox.set_faults(fail_next=1)
    with pytest.raises(errors.Unavailable) as exc:
        client.get_account()
    assert exc.value.status == 500 and not exc.value.permanent
    assert client.get_account()


def test_forced_429_carries_retry_after(sandbox, client):
    sandbox.set_faults(rate_limit_next=1, retry_after=3)
    with pytest.raises(errors.RateLimited) as exc:
        client.list_galleries()
    assert exc.value.retry_after == 3 and exc.value.code == "rate_limited" and not exc.value.permanent


def test_rate_limit_bucket(sandbox, client):
    sandbox.set_rate_limit(per_sec=1, burst=2)
    client.get_account()
    client.get_account()
    assert client.last_rate_limit.remaining == 0
    with pytest.raises(errors.RateLimited) as exc:
        client.get_account()
    assert exc.value.retry_after >= 1
    # requests during the Retry-After are refused again
    with pytest.raises(errors.RateLimited):
        client.get_account()
    time.sleep(exc.value.retry_after + 0.1)
    assert client.get_account()


def test_read_timeout_is_transient(sandbox, tokens):
    sandbox.set_faults(hang_next=1, hang_seconds=2)
    impatient = PicTimeClient(sandbox.url, tokens["access_token"], timeout=(3.05, 0.5))
    started = time.monotonic()
    with pytest.raises(errors.Unavailable) as exc:
        impatient.get_account()
    assert exc.value.code == "timeout" and time.monotonic() - started < 1.5


def test_connection_refused_is_transient(tokens):
    down = PicTimeClient(f"http://127.0.0.1:{free_port()}", tokens["access_token"], timeout=(0.5, 0.5))
    with pytest.raises(errors.Unavailable) as exc:
        down.get_account()
    assert exc.value.code == "connection_error"
    assert exc.value.user_message == "Couldn't reach Pic-Time. Try again in a minute."


def test_unknown_endpoint_is_not_found(sandbox, client):
    with pytest.raises(errors.NotFound):
        client._request("GET", "/no-such-thing")


# --------------------------------------------------------------------------- refresh reuse after grace
def test_reusing_a_spent_refresh_token_after_grace_revokes_the_grant(sandbox, oauth_app, tokens):
    sandbox.set_faults(refresh_grace=0.5)  # the contract's 30 s grace window, shortened
    first = oauth_app.refresh(tokens["refresh_token"])
    time.sleep(0.8)
    with pytest.raises(errors.NeedsReconnection) as exc:
        oauth_app.refresh(tokens["refresh_token"])
    assert exc.value.code == "invalid_grant"
    # reuse detection revoked the whole grant: the new pair is dead too
    with pytest.raises(errors.NeedsReconnection):
        oauth_app.refresh(first.refresh_token)
    with pytest.raises(errors.NeedsReconnection):
        PicTimeClient(sandbox.url, first.access_token).get_account()


def test_the_clients_of_a_process_reuse_one_kept_alive_connection(sandbox, tokens):
    """A task's client after another's (each its own session and cookies) sends on the connection
    the first left open: no new connection (in production, no TLS handshake) for each job."""
    first, second = (PicTimeClient(sandbox.url, tokens["access_token"]) for _ in range(2))
    assert first.session.cookies is not second.session.cookies
    pools = first.session.get_adapter(sandbox.url).poolmanager.pools  # urllib3's, one per host

    def sent():  # connections opened and requests sent, by first's pools
        return [
            sum(getattr(pools[key], n) for key in pools.keys()) for n in ("num_connections", "num_requests")
        ]

    connections, requests_sent = sent()
    first.get_account()
    second.get_account()

    assert sent()[1] - requests_sent == 2  # second's request went through first's pools too
    assert sent()[0] - connections <= 1  # on one connection (opened now, or kept from an earlier test)


def test_a_forked_process_opens_its_own_connections(sandbox, tokens):
    """A worker child forked after its parent talked to Pic-Time never writes into the parent's sockets."""
    parent = PicTimeClient(sandbox.url, tokens["access_token"])
    parent.get_account()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its client's connections are not the parent's
        child = PicTimeClient(sandbox.url, tokens["access_token"])
        shared = child.session.get_adapter(sandbox.url) is parent.session.get_adapter(sandbox.url)
        os.write(write, b"shared" if shared else b"own")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"own"
