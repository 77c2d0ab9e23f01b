"""REST API /api/v2 against the contract: shapes, filters, paging, idempotency, errors."""

import threading
import time

import requests

ALL = "account:read galleries:read galleries:write orders:read webhooks:write"


def error_code(resp):
    return resp.json()["error"]["code"]


# ---------------------------------------------------------------- auth and account


def test_account_answers_the_contract_shape_with_rate_headers(api, contract):
    resp = contract.check(api.get("/account"), "GET", "/account")
    assert resp.status_code == 200
    body = resp.json()
    assert body["id"] == api.account["id"] and body["email"] == api.account["email"]
    assert body["brands"] and body["presets"]
    assert resp.headers["X-RateLimit-Limit"] == "10"


def test_missing_unknown_and_revoked_tokens_are_invalid_token(api, sandbox, contract):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        resp = requests.get(api.base + "/account", headers=headers, timeout=10)
        contract.check(resp, "GET", "/account")
        assert resp.status_code == 401 and error_code(resp) == "invalid_token"
        assert "invalid_token" in resp.headers["WWW-Authenticate"]


def test_expired_access_token_is_invalid_token(sandbox, account, oauth_client, contract):
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"], expires_in=1)
    assert tokens["expires_in"] == 1
    url = sandbox.url + "/api/v2/account"
    headers = {"Authorization": "Bearer " + tokens["access_token"]}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    time.sleep(1.2)
    resp = requests.get(url, headers=headers, timeout=10)
    assert resp.status_code == 401 and error_code(resp) == "invalid_token"


def test_scopes_are_enforced_with_insufficient_scope(sandbox, account, oauth_client, contract):
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"], scope="galleries:read")
    assert tokens["scope"] == "galleries:read"
    h = {"Authorization": "Bearer " + tokens["access_token"]}
    base = sandbox.url + "/api/v2"
    assert requests.get(base + "/galleries", headers=h, timeout=10).status_code == 200
    cases = [
        ("GET", "/account", "/account", None),
        ("POST", "/galleries", "/galleries", {"name": "X"}),
        ("GET", "/orders", "/orders", None),
        ("GET", "/webhooks", "/webhooks", None),
        ("POST", "/webhooks", "/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["gallery.created"]}),
    ]
    for method, path, doc_path, body in cases:
        resp = requests.request(
            method, base + path, headers={**h, "Idempotency-Key": "k"}, json=body, timeout=10
        )
        contract.check(resp, method, doc_path)
        assert resp.status_code == 403 and error_code(resp) == "insufficient_scope", (path, resp.text)


def test_unknown_endpoint_is_a_json_404(api):
    resp = api.get("/nothing-here")
    assert resp.status_code == 404 and error_code(resp) == "not_found"


# ---------------------------------------------------------------- create gallery


def test_create_gallery_is_offline_unpublished_and_complete(api, contract):
    account = api.get("/account").json()
    body = {
        "name": "Avery & Jordan Wedding",
        "event_date": "2026-06-13",
        "client": {"name": "Avery Smith", "email": "avery@example.com"},
        "brand_id": account["brands"][0]["id"],
        "preset_id": account["presets"][0]["id"],
        "external_ref": "crm-project-42",
        "unknown_field": "ignored",
    }
    resp = contract.check(api.post("/galleries", body, key="create-1"), "POST", "/galleries")
    assert resp.status_code == 201
    g = resp.json()
    assert g["status"] == "offline" and g["published_at"] is None and g["image_count"] == 0
    assert g["cover_url"] is None and g["expires_at"] is None
    assert g["slug"] == "avery-jordan-wedding"
    assert g["public_url"].endswith(f"/g/{account['id']}/avery-jordan-wedding")
    assert g["edit_url"].endswith(f"/dashboard/galleries/{g['id']}/")
    assert g["client"] == body["client"] and g["event_date"] == "2026-06-13"
    assert g["brand_id"] == body["brand_id"] and g["preset_id"] == body["preset_id"]
    assert g["external_ref"] == "crm-project-42" and "unknown_field" not in g
    assert g["created_at"].endswith("Z") and len(g["created_at"]) == len("2026-11-26T10:00:00.123456Z")
    got = contract.check(api.get(f"/galleries/{g['id']}"), "GET", "/galleries/{id}")
    assert got.json() == g


def test_create_gallery_accepts_nulls_and_makes_unique_slugs(api, contract):
    body = {
        "name": "Session",
        "event_date": None,
        "client": None,
        "brand_id": None,
        "preset_id": None,
        "slug": None,
        "external_ref": None,
    }
    first = api.post("/galleries", body, key="n-1").json()
    second = api.post("/galleries", body, key="n-2").json()
    assert first["slug"] == "session" and second["slug"] != "session" and second["slug"].startswith("session")
    assert first["client"] is None
    named = api.post(
        "/galleries", {"name": "Mine", "slug": "my-own-slug", "client": {"name": "Only Name"}}, key="n-3"
    ).json()
    assert named["slug"] == "my-own-slug" and named["client"] == {"name": "Only Name", "email": None}


def test_create_gallery_validation_details_per_field(api, other_api, contract):
    api.create_gallery(name="Taken", slug="taken-slug")
    foreign_brand = other_api.get("/account").json()["brands"][0]["id"]
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "client": {"email": "a@example.com"}}, "client.name"),
        ({"name": "ok", "client": {"name": "A", "email": "not-an-email"}}, "client.email"),
        ({"name": "ok", "event_date": "13/06/2026"}, "event_date"),
        ({"name": "ok", "slug": "No Caps"}, "slug"),
        ({"name": "ok", "slug": "ab"}, "slug"),
        ({"name": "ok", "slug": "taken-slug"}, "slug"),
        ({"name": "ok", "brand_id": foreign_brand}, "brand_id"),
        ({"name": "ok", "preset_id": "pr_unknown"}, "preset_id"),
    ]
    for i, (body, field) in enumerate(cases):
        resp = contract.check(api.post("/galleries", body, key=f"v-{i}"), "POST", "/galleries")
        assert resp.status_code == 422, (body, resp.text)
        err = resp.json()["error"]
        assert err["code"] == "validation_error" and field in err["details"], (body, err)
        assert all(isinstance(m, str) for m in err["details"][field])
    assert api.create_gallery(name="x" * 200)["name"] == "x" * 200


def test_create_gallery_bad_requests(api, contract):
    resp = contract.check(api.post("/galleries", {"name": "No key"}), "POST", "/galleries")
    assert resp.status_code == 400 and error_code(resp) == "bad_request"
    resp = api.post("/galleries", {"name": "Long key"}, key="k" * 256)
    assert resp.status_code == 400 and error_code(resp) == "bad_request"
    assert api.post("/galleries", {"name": "Max key"}, key="k" * 255).status_code == 201
    resp = api.request(
        "POST",
        "/galleries",
        data=b"{not json",
        headers={"Idempotency-Key": "bad-json", "Content-Type": "application/json"},
    )
    contract.check(resp, "POST", "/galleries")
    assert resp.status_code == 400 and error_code(resp) == "bad_request"
    resp = api.post("/galleries", ["a", "list"], key="list-body")
    assert resp.status_code == 400 and error_code(resp) == "bad_request"


# ---------------------------------------------------------------- idempotency


def test_idempotent_replay_returns_the_stored_answer_and_creates_nothing(api, sandbox, contract):
    body = {"name": "Replay me", "client": {"name": "Ann", "email": "ann@example.com"}}
    first = api.post("/galleries", body, key="replay-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    api.post("/galleries", {"name": "Touch the clock"}, key="other")  # something else happens meanwhile
    again = contract.check(
        api.post("/galleries", dict(reversed(list(body.items()))), key="replay-1"), "POST", "/galleries"
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert sandbox.stats(api.account["id"])["galleries"] == 2


def test_same_key_with_another_body_is_conflict(api, contract):
    assert api.post("/galleries", {"name": "One"}, key="conflict-1").status_code == 201
    resp = contract.check(api.post("/galleries", {"name": "Two"}, key="conflict-1"), "POST", "/galleries")
    assert resp.status_code == 409 and error_code(resp) == "conflict"


def test_a_4xx_answer_does_not_spend_the_key(api, sandbox):
    resp = api.post("/galleries", {"name": ""}, key="retry-after-fix")
    assert resp.status_code == 422
    fixed = api.post("/galleries", {"name": "Fixed"}, key="retry-after-fix")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert sandbox.stats(api.account["id"])["galleries"] == 1


def test_keys_belong_to_one_account(api, other_api):
    a = api.post("/galleries", {"name": "Same"}, key="shared-key")
    b = other_api.post("/galleries", {"name": "Same"}, key="shared-key")
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_a_key_still_running_is_request_in_progress(api, sandbox, contract):
    sandbox.set_faults(latency_ms=1500)
    results = {}

    def first():
        results["first"] = api.post("/galleries", {"name": "Slow"}, key="inflight-1")

    t = threading.Thread(target=first)
    t.start()
    time.sleep(0.5)
    second = contract.check(api.post("/galleries", {"name": "Slow"}, key="inflight-1"), "POST", "/galleries")
    assert second.status_code == 409 and error_code(second) == "request_in_progress"
    t.join()
    sandbox.reset()
    assert results["first"].status_code == 201
    third = api.post("/galleries", {"name": "Slow"}, key="inflight-1")
    assert third.status_code == 201 and third.headers["Idempotent-Replayed"] == "true"
    assert third.json()["id"] == results["first"].json()["id"]
    assert sandbox.stats(api.account["id"])["galleries"] == 1


# ---------------------------------------------------------------- read galleries


def test_gallery_of_another_account_is_404(api, other_api, contract):
    mine = api.create_gallery(name="Mine")
    resp = contract.check(other_api.get(f"/galleries/{mine['id']}"), "GET", "/galleries/{id}")
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    assert api.get("/galleries/gal_doesnotexist").status_code == 404
    listed = other_api.get("/galleries", params={"ids": mine["id"]}).json()
    assert listed["data"] == []


def test_list_filters_q_status_ids_updated_since(api, sandbox, contract):
    a = api.create_gallery(name="Beach Wedding", client={"name": "Zoe Park", "email": "zoe@example.com"})
    b = api.create_gallery(
        name="Studio Portraits", client={"name": "Liam Beach", "email": "liam@example.com"}
    )
    c = api.create_gallery(name="Newborn", client={"name": "Mia", "email": "mia@BEACHMAIL.com"})
    d = api.create_gallery(name="Family")
    sandbox.publish(a["id"])
    sandbox.publish(d["id"])
    sandbox.set_expiry(d["id"], "2020-01-01T00:00:00Z")  # expired: offline

    def ids(**params):
        resp = contract.check(api.get("/galleries", params=params), "GET", "/galleries")
        assert resp.status_code == 200, resp.text
        return {g["id"] for g in resp.json()["data"]}

    assert ids(q="beach") == {a["id"], b["id"], c["id"]}
    assert ids(q="ZOE@") == {a["id"]}
    assert ids(status="online") == {a["id"]}
    assert ids(status="offline") == {b["id"], c["id"], d["id"]}
    expired = api.get(f"/galleries/{d['id']}").json()
    assert expired["status"] == "offline" and expired["expires_at"] == "2020-01-01T00:00:00.000000Z"
    assert ids(ids=f"{a['id']},{c['id']},gal_unknown") == {a["id"], c["id"]}
    since = api.get(f"/galleries/{c['id']}").json()["updated_at"]
    assert c["id"] in ids(updated_since=since)  # inclusive
    assert ids(updated_since=since) == {c["id"], a["id"], d["id"]}  # a and d were changed after c
    assert ids(updated_since=since.replace("Z", "+00:00")) == ids(updated_since=since)
    assert ids(q="beach", unknown_param="x") == ids(q="beach")


def test_list_rejects_bad_filters_with_422(api, contract):
    too_many = ",".join(f"gal_{i}" for i in range(101))
    cases = [
        ({"updated_since": "2026-11-26T10:00:00"}, "updated_since"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"ids": too_many}, "ids"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"status": "archived"}, "status"),
        ({"cursor": "garbage"}, "cursor"),
    ]
    for params, field in cases:
        resp = contract.check(api.get("/galleries", params=params), "GET", "/galleries")
        assert resp.status_code == 422, (params, resp.text)
        assert field in resp.json()["error"]["details"]
    assert api.get("/galleries", params={"ids": ",".join(f"gal_{i}" for i in range(100))}).status_code == 200
    assert api.get("/galleries", params={"limit": 100}).status_code == 200
    assert api.get("/galleries", params={"limit": 1}).status_code == 200


def test_cursor_pages_give_every_gallery_exactly_once_in_order(api, sandbox, contract):
    made = [api.create_gallery(name=f"Paged {i}") for i in range(7)]
    pages = api.all_pages("/galleries", {}, limit=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    rows = [g for p in pages for g in p]
    assert [g["id"] for g in rows] == [g["id"] for g in made]
    keys = [(g["updated_at"], g["id"]) for g in rows]
    assert keys == sorted(keys)
    default = api.get("/galleries").json()
    assert len(default["data"]) == 7 and default["next_cursor"] is None


def test_cursor_carries_its_filters_and_survives_concurrent_updates(api, sandbox):
    wanted = [api.create_gallery(name=f"Wedding {i}") for i in range(5)]
    others = [api.create_gallery(name=f"Portrait {i}") for i in range(3)]
    first = api.get("/galleries", params={"q": "wedding", "limit": 2}).json()
    assert len(first["data"]) == 2 and first["next_cursor"]
    # galleries change while the listing runs: one already seen, one not yet seen
    sandbox.add_photos(first["data"][0]["id"], 3)
    sandbox.publish(wanted[4]["id"])
    seen = [g["id"] for g in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.get("/galleries", params={"cursor": cursor, "limit": 2, "q": "portrait"}).json()
        seen += [g["id"] for g in page["data"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(g["id"] for g in wanted)
    assert len(seen) == len(set(seen))
    assert not set(seen) & {g["id"] for g in others}


def test_deleted_gallery_disappears(api, sandbox):
    g = api.create_gallery(name="Soon gone")
    sandbox.delete_gallery(g["id"])
    assert api.get(f"/galleries/{g['id']}").status_code == 404
    assert api.get("/galleries").json()["data"] == []


# ---------------------------------------------------------------- orders


def test_orders_list_filters_and_paging(api, other_api, sandbox, contract):
    g1 = api.create_gallery(name="Orders one")
    g2 = api.create_gallery(name="Orders two")
    o1 = sandbox.place_order(g1["id"])
    o2 = sandbox.place_order(
        g1["id"],
        items=[{"sku": "PRT", "name": "Print", "quantity": 3, "unit_price": "10"}],
        customer={"name": "Bo", "email": "bo@example.com"},
    )
    o3 = sandbox.place_order(g2["id"])
    other_g = other_api.create_gallery(name="Theirs")
    sandbox.place_order(other_g["id"])
    resp = contract.check(api.get("/orders"), "GET", "/orders")
    data = resp.json()["data"]
    assert [o["id"] for o in data] == [o1["id"], o2["id"], o3["id"]]
    assert data[1]["total"] == "30.00" and data[1]["items"][0]["unit_price"] == "10.00"
    assert data[1]["customer"] == {"name": "Bo", "email": "bo@example.com"}
    assert data[0]["number"].startswith("PT-") and data[0]["number"] != data[1]["number"]
    only_g2 = api.get("/orders", params={"gallery_id": g2["id"]}).json()["data"]
    assert [o["id"] for o in only_g2] == [o3["id"]]
    assert api.get("/orders", params={"gallery_id": other_g["id"]}).json()["data"] == []
    assert api.get("/orders", params={"gallery_id": "gal_unknown"}).json() == {
        "data": [],
        "next_cursor": None,
    }
    pages = api.all_pages("/orders", {"gallery_id": g1["id"]}, limit=1)
    assert [[o["id"] for o in p] for p in pages] == [[o1["id"]], [o2["id"]]]
    refunded = sandbox.refund_order(o1["id"])
    assert refunded["status"] == "refunded" and refunded["updated_at"] > o1["updated_at"]
    since = api.get("/orders", params={"updated_since": refunded["updated_at"]}).json()["data"]
    assert [o["id"] for o in since] == [o1["id"]]
    resp = api.get("/orders", params={"updated_since": "2026-01-01 10:00"})
    assert resp.status_code == 422 and "updated_since" in resp.json()["error"]["details"]


# ---------------------------------------------------------------- webhooks API


def test_webhook_subscriptions(api, sandbox, account, oauth_client, contract):
    body = {"url": "http://127.0.0.1:9/hooks/pictime", "events": ["gallery.updated", "order.created"]}
    created = contract.check(api.post("/webhooks", body), "POST", "/webhooks")
    assert created.status_code == 201
    hook = created.json()
    assert hook["url"] == body["url"] and set(hook["events"]) == set(body["events"]) and hook["secret"]
    dup = contract.check(api.post("/webhooks", body), "POST", "/webhooks")
    assert dup.status_code == 409 and error_code(dup) == "conflict"
    # another grant of the same account may subscribe the same URL
    other_grant = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    assert api.post("/webhooks", body, token=other_grant["access_token"]).status_code == 201
    listed = contract.check(api.get("/webhooks"), "GET", "/webhooks").json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    for bad, field in (
        ({"url": "not a url", "events": ["gallery.updated"]}, "url"),
        ({"url": "http://127.0.0.1:9/x", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/x", "events": ["gallery.exploded"]}, "events"),
    ):
        resp = contract.check(api.post("/webhooks", bad), "POST", "/webhooks")
        assert resp.status_code == 422 and field in resp.json()["error"]["details"]
    gone = api.delete(f"/webhooks/{hook['id']}")
    assert gone.status_code == 204 and gone.content == b""
    again = contract.check(api.delete(f"/webhooks/{hook['id']}"), "DELETE", "/webhooks/{id}")
    assert again.status_code == 404
    assert api.get("/webhooks").json()["data"] == []
