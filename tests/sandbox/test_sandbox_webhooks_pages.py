"""Webhook deliveries (signature, retries, events of every change) and the pages people use,
including the OAuth flow in Chromium."""

import json
import re
import time

import pytest
import requests
from pictime_sandbox_helpers import (
    WebhookReceiver,
    pkce_pair,
    sign_in,
    token_request,
    unique_email,
    verify_signature,
)

ALL_EVENTS = ["gallery.created", "gallery.updated", "gallery.deleted", "order.created", "order.updated"]


def subscribe(api, url, events=ALL_EVENTS):
    resp = api.post("/webhooks", {"url": url, "events": events})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_every_change_emits_its_signed_event(api, sandbox, receiver, contract):
    hook = subscribe(api, receiver.url + "/all")
    g = api.create_gallery(name="Hooked", client={"name": "Ann", "email": "ann@example.com"})
    sandbox.publish(g["id"])
    sandbox.add_photos(g["id"], 30)
    sandbox.set_expiry(g["id"], "2099-12-31T00:00:00Z")
    sandbox.take_offline(g["id"])
    order = sandbox.place_order(g["id"])
    sandbox.refund_order(order["id"])
    sandbox.delete_gallery(g["id"])
    receiver.wait_for(lambda r: b"gallery.deleted" in r["body"])
    time.sleep(0.2)
    for r in receiver.received:
        assert r["headers"]["Content-Type"] == "application/json"
        assert verify_signature(hook["secret"], r["headers"]["PicTime-Signature"], r["body"])
        assert not verify_signature("whsec_wrong", r["headers"]["PicTime-Signature"], r["body"])
    events = sorted(receiver.events("/all"), key=lambda e: e["created_at"])
    for e in events:
        contract.validate("WebhookEvent", e)
        assert e["account_id"] == api.account["id"]
    assert [e["type"] for e in events] == [
        "gallery.created",
        "gallery.updated",
        "gallery.updated",
        "gallery.updated",
        "gallery.updated",
        "order.created",
        "order.updated",
        "gallery.deleted",
    ]
    assert len({e["id"] for e in events}) == len(events)
    updates = [e["data"] for e in events if e["type"] == "gallery.updated"]
    assert updates[0]["status"] == "online" and updates[1]["image_count"] == 30
    assert updates[2]["expires_at"] == "2099-12-31T00:00:00.000000Z" and updates[3]["status"] == "offline"
    assert events[6]["data"]["status"] == "refunded" and events[6]["data"]["id"] == order["id"]
    assert events[7]["data"]["id"] == g["id"] and events[7]["data"]["image_count"] == 30
    # what the API says now matches the last event
    assert api.get(f"/galleries/{g['id']}").status_code == 404


def test_subscriptions_get_only_their_event_types(api, sandbox, receiver):
    subscribe(api, receiver.url + "/orders", ["order.created"])
    g = api.create_gallery(name="Filtered")
    sandbox.place_order(g["id"])
    receiver.wait_for(lambda r: r["path"] == "/orders")
    time.sleep(0.3)
    assert [e["type"] for e in receiver.events("/orders")] == ["order.created"]


def test_non_2xx_is_retried_with_a_fresh_signature(api, sandbox):
    receiver = WebhookReceiver(statuses=[500, 503])
    receiver.start()
    try:
        hook = subscribe(api, receiver.url + "/flaky", ["gallery.created"])
        api.create_gallery(name="Retry me")
        receiver.wait_for(lambda r: len(receiver.received) >= 3)
        attempts = receiver.received
        assert len({r["body"] for r in attempts}) == 1
        assert all(
            verify_signature(hook["secret"], r["headers"]["PicTime-Signature"], r["body"]) for r in attempts
        )
        assert attempts[1]["at"] - attempts[0]["at"] >= 0.15  # backoff
        deliveries = sandbox.webhook_deliveries(api.account["id"])
        d = next(d for d in deliveries if d["url"] == receiver.url + "/flaky")
        for _ in range(50):
            if d["status"] != "pending":
                break
            time.sleep(0.1)
            d = next(
                d
                for d in sandbox.webhook_deliveries(api.account["id"])
                if d["url"] == receiver.url + "/flaky"
            )
        assert d["status"] == "delivered"
        assert [a["status_code"] for a in d["attempts"]] == [500, 503, 200]
    finally:
        receiver.stop()


def test_four_attempts_in_all_each_stamped_anew(api, sandbox):
    receiver = WebhookReceiver(statuses=[500] * 10)
    receiver.start()
    try:
        subscribe(api, receiver.url + "/down", ["gallery.created"])
        api.create_gallery(name="Never delivered")
        receiver.wait_for(lambda r: len(receiver.received) >= 4)
        time.sleep(1.2)
        assert len(receiver.received) == 4
        stamps = [
            int(re.match(r"t=(\d+)", r["headers"]["PicTime-Signature"]).group(1)) for r in receiver.received
        ]
        assert stamps == sorted(stamps) and stamps[-1] > stamps[0]  # 1.4 s of backoff: a new t
        d = next(d for d in sandbox.webhook_deliveries(api.account["id"]) if d["url"].endswith("/down"))
        assert d["status"] == "failed" and len(d["attempts"]) == 4
        assert [a["t"] for a in d["attempts"]] == stamps
    finally:
        receiver.stop()


def test_timeouts_are_retried_and_delivery_does_not_block_the_request():
    from sandbox.testing import Sandbox

    sb = Sandbox.start(env={"SANDBOX_WEBHOOK_TIMEOUT": "0.5", "SANDBOX_WEBHOOK_BACKOFF": "0.1"})
    receiver = WebhookReceiver(delay=1.0)
    receiver.start()
    try:
        acc = sb.create_account("Slow receiver", "slow@example.com")
        sb.register_client("c", "s", ["http://127.0.0.1:9/cb"])
        token = sb.issue_grant(acc["id"], "c")["access_token"]
        h = {"Authorization": "Bearer " + token}
        r = requests.post(
            sb.url + "/api/v2/webhooks",
            json={"url": receiver.url, "events": ["gallery.created"]},
            headers=h,
            timeout=5,
        )
        assert r.status_code == 201
        started = time.monotonic()
        sb.create_gallery(acc["id"], name="Quick answer")
        assert time.monotonic() - started < 0.8  # the receiver takes 1 s: delivery runs in the background
        receiver.wait_for(lambda r: len(receiver.received) >= 2, timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            d = sb.webhook_deliveries(acc["id"])[0]
            if len(d["attempts"]) >= 2:
                break
            time.sleep(0.2)
        assert d["attempts"][0]["error"] == "timeout" and d["attempts"][0]["status_code"] is None
    finally:
        receiver.stop()
        sb.stop()


# ---------------------------------------------------------------- pages over HTTP


def test_public_gallery_page_follows_publication(api, sandbox):
    g = api.create_gallery(name="Lakeside Elopement")
    assert "This gallery is not published yet" in requests.get(g["public_url"], timeout=10).text
    sandbox.add_photos(g["id"], 8)
    sandbox.publish(g["id"])
    page = requests.get(g["public_url"], timeout=10).text
    assert "Lakeside Elopement" in page and "8 photos" in page and page.count("<img") == 8
    cover = requests.get(api.get(f"/galleries/{g['id']}").json()["cover_url"], timeout=10)
    # PNG, as Pic-Time serves covers (many mail clients block SVG images).
    assert cover.status_code == 200 and cover.headers["Content-Type"] == "image/png"
    assert cover.content.startswith(b"\x89PNG\r\n\x1a\n")
    sandbox.take_offline(g["id"])
    assert "This gallery is not published yet" in requests.get(g["public_url"], timeout=10).text
    sandbox.publish(g["id"])
    sandbox.set_expiry(g["id"], "2020-01-01T00:00:00Z")
    assert "This gallery has expired" in requests.get(g["public_url"], timeout=10).text
    assert requests.get(sandbox.url + f"/g/{api.account['id']}/no-such-slug", timeout=10).status_code == 404


def test_edit_url_needs_sign_in_and_the_owner(api, sandbox, other_api):
    g = api.create_gallery(name="Private")
    anonymous = requests.get(g["edit_url"], allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302 and "/accounts/signin/" in anonymous.headers["Location"]
    email = unique_email("intruder")
    sandbox.create_account("Intruder", email, password="intruder-pass")
    assert sign_in(sandbox.url, email, "intruder-pass").get(g["edit_url"], timeout=10).status_code == 404


# ---------------------------------------------------------------- Chromium (pytest-playwright's page)


@pytest.fixture
def crm(sandbox):
    """A stand-in for the CRM's callback: a local server the browser is redirected to."""
    receiver = WebhookReceiver()
    receiver.start()
    client = {
        "client_id": "browser-crm",
        "client_secret": "browser-secret",
        "redirect_uri": receiver.url + "/integrations/pictime/callback/",
    }
    sandbox.register_client(
        client["client_id"], client["client_secret"], [client["redirect_uri"]], name="Studio CRM"
    )
    yield client
    receiver.stop()


def _authorize_url(sandbox, client, challenge, state):
    from urllib.parse import urlencode

    return (
        sandbox.url
        + "/oauth/authorize?"
        + urlencode(
            {
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": client["redirect_uri"],
                "scope": "account:read galleries:read galleries:write",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )


@pytest.mark.e2e
def test_sign_up_then_approve_in_chromium(sandbox, crm, page):
    verifier, challenge = pkce_pair()
    page.goto(_authorize_url(sandbox, crm, challenge, "browser-state-1"))
    page.get_by_role("link", name="Create an account").click()
    email = unique_email("browser")
    page.get_by_label("Studio name").fill("Browser Studio")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("browser-pass")
    page.get_by_role("button", name="Create account").click()
    assert page.get_by_role("heading", name="Studio CRM wants to access your Pic-Time account").is_visible()
    assert page.get_by_text("galleries:write").is_visible()
    page.get_by_role("button", name="Approve").click()
    page.wait_for_url(crm["redirect_uri"] + "?*")
    from pictime_sandbox_helpers import redirect_query

    q = redirect_query(page.url)
    assert q["state"] == "browser-state-1" and q["code"]
    tokens = token_request(
        sandbox.url,
        crm,
        grant_type="authorization_code",
        code=q["code"],
        redirect_uri=crm["redirect_uri"],
        code_verifier=verifier,
    ).json()
    assert tokens["scope"] == "account:read galleries:read galleries:write"
    me = requests.get(
        sandbox.url + "/api/v2/account",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    ).json()
    assert me["email"] == email and me["name"] == "Browser Studio"


@pytest.mark.e2e
def test_sign_in_then_deny_in_chromium(sandbox, crm, page):
    email = unique_email("denier")
    sandbox.create_account("Denying Studio", email, password="deny-pass")
    _, challenge = pkce_pair()
    page.goto(_authorize_url(sandbox, crm, challenge, "browser-state-2"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong-pass")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong email or password."
    page.get_by_label("Password").fill("deny-pass")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(crm["redirect_uri"] + "?*")
    from pictime_sandbox_helpers import redirect_query

    q = redirect_query(page.url)
    assert q == {"error": "access_denied", "state": "browser-state-2", "_base": crm["redirect_uri"]}


@pytest.mark.e2e
def test_gallery_page_actions_in_chromium(sandbox, page, receiver, oauth_client):
    email = unique_email("pages")
    account = sandbox.create_account("Pages Studio", email, password="pages-pass")
    token = sandbox.issue_grant(account["id"], oauth_client["client_id"])["access_token"]
    hook = requests.post(
        sandbox.url + "/api/v2/webhooks",
        json={"url": receiver.url + "/pages", "events": ALL_EVENTS},
        headers={"Authorization": "Bearer " + token},
        timeout=10,
    ).json()
    g = sandbox.create_gallery(account["id"], name="Harbor Wedding")
    page.goto(g["edit_url"])
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("pages-pass")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Harbor Wedding").is_visible()

    page.get_by_role("button", name="Publish").click()
    assert page.get_by_role("status").inner_text() == "Gallery published."
    page.get_by_label("Photos to add").fill("40")
    page.get_by_role("button", name="Add photos").click()
    assert page.locator("#image-count").inner_text() == "40"
    page.get_by_role("button", name="Place a test order").click()
    assert "Test order PT-" in page.get_by_role("status").inner_text()
    page.get_by_role("button", name=re.compile(r"^Refund PT-")).click()
    assert "refunded" in page.get_by_role("status").inner_text()
    page.get_by_label("Expiry date").fill("2099-05-01")
    page.get_by_role("button", name="Save expiry").click()
    assert page.get_by_role("status").inner_text() == "Expiry date saved."

    live = page.context.new_page()
    live.goto(g["public_url"])
    assert live.get_by_role("heading", name="Harbor Wedding").is_visible()
    assert live.get_by_text("40 photos").is_visible()
    page.get_by_role("button", name="Take offline").click()
    live.reload()
    assert live.get_by_role("heading", name="This gallery is not published yet").is_visible()

    page.goto(sandbox.url + "/dashboard/")
    assert page.get_by_role("link", name="Harbor Wedding").is_visible()
    receiver.wait_for(lambda r: r["path"] == "/pages" and b'"status":"offline"' in r["body"])
    page.goto(sandbox.url + "/dashboard/webhooks/")
    assert page.get_by_role("heading", name="Webhook deliveries").is_visible()
    assert page.get_by_text("order.updated").is_visible()
    types = [json.loads(r["body"])["type"] for r in receiver.received if r["path"] == "/pages"]
    assert types.count("gallery.updated") == 4 and "order.created" in types and "order.updated" in types
    assert all(
        verify_signature(hook["secret"], r["headers"]["PicTime-Signature"], r["body"])
        for r in receiver.received
    )
