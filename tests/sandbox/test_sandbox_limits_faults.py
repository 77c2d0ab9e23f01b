"""Rate limiting per account, injected faults, the admin endpoints' guard, stats and the seed command."""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_default_bucket_allows_a_burst_of_20_then_429(api, contract):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: api.get("/account"), range(40)))
    elapsed = time.monotonic() - started
    ok = [r for r in responses if r.status_code == 200]
    limited = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(limited) == 40
    assert 20 <= len(ok) <= 20 + int(elapsed * 10) + 1
    assert limited
    resp = contract.check(limited[0], "GET", "/account")
    assert resp.json()["error"]["code"] == "rate_limited"
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["X-RateLimit-Limit"] == "10"
    remaining = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in ok)
    assert remaining[0] == 0 and remaining[-1] <= 19


def test_bucket_is_exact_across_threads(api, sandbox):
    sandbox.set_rate_limit(per_sec=0.01, burst=5)
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda _: api.get("/account").status_code, range(20)))
    assert statuses.count(200) == 5 and statuses.count(429) == 15


def test_requests_during_retry_after_are_refused_again(api, other_api, sandbox):
    sandbox.set_rate_limit(per_sec=1, burst=2)
    assert [api.get("/account").status_code for _ in range(2)] == [200, 200]
    limited = api.get("/account")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    time.sleep(0.6)  # a token has half refilled, but the Retry-After still runs
    again = api.get("/account")
    assert again.status_code == 429 and again.headers["Retry-After"] == "1"
    assert other_api.get("/account").status_code == 200  # per account
    time.sleep(int(again.headers["Retry-After"]) + 0.1)  # that refusal pushed the block a second further
    after = api.get("/account")
    assert after.status_code == 200, after.text
    stats = sandbox.stats(api.account["id"])
    assert stats["rate_limited"] == 2 and stats["api_requests"] == 5


def test_reset_restores_the_default_rate(api, sandbox):
    sandbox.set_rate_limit(per_sec=2, burst=3)
    assert api.get("/account").headers["X-RateLimit-Limit"] == "2"
    sandbox.reset()
    assert api.get("/account").headers["X-RateLimit-Limit"] == "10"


def test_latency_fault(api, sandbox):
    sandbox.set_faults(latency_ms=400)
    started = time.monotonic()
    assert api.get("/account").status_code == 200
    assert time.monotonic() - started >= 0.4


def test_error_rate_and_fail_next_faults(api, sandbox, contract):
    sandbox.set_faults(error_rate=1.0)
    resp = contract.check(api.get("/galleries"), "GET", "/galleries")
    assert resp.status_code == 500 and resp.json()["error"]["code"] == "internal_error"
    sandbox.set_faults(error_rate=0.0, fail_next=2)
    statuses = [api.get("/account").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert sandbox.admin("GET", "/_sandbox/faults")["fail_next"] == 0


def test_a_500_on_create_does_not_create_or_spend_the_key(api, sandbox):
    sandbox.set_faults(fail_next=1)
    assert api.post("/galleries", {"name": "Retry me"}, key="after-500").status_code == 500
    resp = api.post("/galleries", {"name": "Retry me"}, key="after-500")
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers
    assert sandbox.stats(api.account["id"])["galleries"] == 1


def test_forced_429_fault(api, sandbox, contract):
    sandbox.set_faults(rate_limit_next=1, retry_after=2)
    first = contract.check(api.get("/account"), "GET", "/account")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    again = api.get("/account")  # the forced 429 blocks the account like any other
    assert again.status_code == 429 and again.headers["Retry-After"] == "2"
    time.sleep(2.1)
    assert api.get("/account").status_code == 200
    assert sandbox.stats(api.account["id"])["refused_during_block"] == 1


def test_hang_fault_outlasts_client_timeouts(api, sandbox):
    sandbox.set_faults(hang_next=1, hang_next_seconds=2)
    with pytest.raises(requests.Timeout):
        api.get("/account", timeout=0.5)
    assert sandbox.admin("GET", "/_sandbox/faults")["hang_next"] == 0
    started = time.monotonic()
    assert api.get("/account").status_code == 200  # only the next one hung
    assert time.monotonic() - started < 1


def test_hang_on_create_then_retry_is_in_progress_then_replayed(api, sandbox):
    sandbox.set_faults(hang_seconds=2)
    with pytest.raises(requests.Timeout):
        api.post("/galleries", {"name": "Lost answer"}, key="hang-1", timeout=0.5)
    sandbox.reset()
    retry = api.post("/galleries", {"name": "Lost answer"}, key="hang-1")
    assert retry.status_code == 409 and retry.json()["error"]["code"] == "request_in_progress"
    time.sleep(2)
    replay = api.post("/galleries", {"name": "Lost answer"}, key="hang-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert sandbox.stats(api.account["id"])["galleries"] == 1


def test_token_ttl_fault_expires_tokens_early(sandbox, account, oauth_client):
    sandbox.set_faults(token_ttl=1)
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    assert tokens["expires_in"] == 1
    h = {"Authorization": "Bearer " + tokens["access_token"]}
    time.sleep(1.2)
    resp = requests.get(sandbox.url + "/api/v2/account", headers=h, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_token"


def test_token_endpoint_faults(sandbox, account, oauth_client, contract):
    from pictime_sandbox_helpers import token_request

    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    sandbox.set_faults(token_fail_next=1)
    failed = contract.check(
        token_request(
            sandbox.url, oauth_client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
        ),
        "POST",
        "/oauth/token",
    )
    assert failed.status_code == 500 and failed.json()["error"] == "server_error"
    # the failed call spent nothing: the refresh token still rotates normally
    ok = token_request(
        sandbox.url, oauth_client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert ok.status_code == 200
    sandbox.set_faults(token_hang_seconds=2)
    with pytest.raises(requests.Timeout):
        requests.post(sandbox.url + "/oauth/token", data={"grant_type": "refresh_token"}, timeout=0.5)


def refresh_at(sandbox, oauth_client, refresh_token):
    from pictime_sandbox_helpers import token_request

    return token_request(sandbox.url, oauth_client, grant_type="refresh_token", refresh_token=refresh_token)


def test_token_down_seconds_is_an_outage_whose_first_refresh_is_carried_out(sandbox, account, oauth_client):
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    sandbox.set_faults(token_down_seconds=1.5)
    started = time.monotonic()
    first = refresh_at(sandbox, oauth_client, tokens["refresh_token"])
    assert first.status_code == 500  # carried out: the refresh token is spent now
    again = refresh_at(sandbox, oauth_client, tokens["refresh_token"])
    assert again.status_code == 500  # not carried out: nothing answered during the outage
    assert sandbox.stats(account["id"])["token_refreshes"] == 1
    time.sleep(max(0, 1.6 - (time.monotonic() - started)))
    replay = refresh_at(sandbox, oauth_client, tokens["refresh_token"])  # over, inside the 30 s grace
    assert replay.status_code == 200
    stats = sandbox.stats(account["id"])
    assert stats["grace_replays"] == 1 and stats["refresh_reuse"] == 0
    assert sandbox.admin("GET", "/_sandbox/faults")["token_down_seconds"] == 0
    # The pair given by the replay is the one the lost answer carried: it rotates on.
    assert refresh_at(sandbox, oauth_client, replay.json()["refresh_token"]).status_code == 200


def test_token_faults_set_for_an_account_leave_other_accounts_alone(sandbox, account, oauth_client):
    from pictime_sandbox_helpers import unique_email

    other = sandbox.create_account("Other Studio", unique_email("other"))
    ours = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    theirs = sandbox.issue_grant(other["id"], oauth_client["client_id"])
    sandbox.set_faults(account_id=account["id"], token_lose_next=1, token_fail_next=1)

    assert refresh_at(sandbox, oauth_client, theirs["refresh_token"]).status_code == 200  # untouched
    assert refresh_at(sandbox, oauth_client, ours["refresh_token"]).status_code == 500  # fail_next
    assert refresh_at(sandbox, oauth_client, ours["refresh_token"]).status_code == 500  # lose_next
    replay = refresh_at(sandbox, oauth_client, ours["refresh_token"])
    assert replay.status_code == 200 and sandbox.stats(account["id"])["grace_replays"] == 1
    scoped = sandbox.admin("GET", f"/_sandbox/faults?account_id={account['id']}")
    assert scoped["token_lose_next"] == scoped["token_fail_next"] == 0
    assert sandbox.admin("GET", "/_sandbox/faults")["token_lose_next"] == 0  # the global ones unchanged

    with pytest.raises(Exception, match="422"):  # only token faults are per account
        sandbox.set_faults(account_id=account["id"], error_rate=1.0)
    with pytest.raises(Exception, match="404"):
        sandbox.set_faults(account_id="acc_nobody", token_fail_next=1)
    sandbox.set_faults(account_id=account["id"], token_fail_next=1)
    sandbox.reset()  # clears the per-account faults too
    assert refresh_at(sandbox, oauth_client, replay.json()["refresh_token"]).status_code == 200


def test_faults_endpoint_validates_and_clears(sandbox):
    with pytest.raises(Exception, match="422"):
        sandbox.set_faults(error_rate=2)
    with pytest.raises(Exception, match="422"):
        sandbox.set_faults(explode=True)
    assert sandbox.set_faults(latency_ms=10)["latency_ms"] == 10
    cleared = sandbox.admin("DELETE", "/_sandbox/faults")
    assert cleared["latency_ms"] == 0 and cleared["error_rate"] == 0 and cleared["token_ttl"] is None


def test_admin_endpoints_need_the_admin_header(sandbox):
    assert requests.get(sandbox.url + "/_sandbox/health", timeout=10).json()["status"] == "ok"
    for method, path in [
        ("POST", "/_sandbox/accounts"),
        ("GET", "/_sandbox/faults"),
        ("GET", "/_sandbox/stats"),
        ("GET", "/_sandbox/webhook-deliveries"),
        ("POST", "/_sandbox/grants"),
    ]:
        for headers in ({}, {"X-Sandbox-Admin": "wrong"}):
            resp = requests.request(method, sandbox.url + path, headers=headers, json={}, timeout=10)
            assert resp.status_code == 403, (method, path)


def test_admin_errors(sandbox, account):
    from sandbox.testing import SandboxError

    with pytest.raises(SandboxError) as exc:
        sandbox.create_account("Dup", account["email"])
    assert exc.value.status == 409
    with pytest.raises(SandboxError) as exc:
        sandbox.publish("gal_missing")
    assert exc.value.status == 404
    g = sandbox.create_gallery(account["id"], name="Expired")
    sandbox.set_expiry(g["id"], "2021-05-01T00:00:00Z")
    with pytest.raises(SandboxError) as exc:
        sandbox.publish(g["id"])
    assert exc.value.status == 409
    order = sandbox.place_order(g["id"])
    sandbox.refund_order(order["id"])
    with pytest.raises(SandboxError) as exc:
        sandbox.refund_order(order["id"])
    assert exc.value.status == 409


def test_admin_gallery_operations_and_stats(api, sandbox, contract):
    account_id = api.account["id"]
    g = sandbox.create_gallery(account_id, name="Direct", client={"name": "Ann", "email": "ann@example.com"})
    contract.validate("Gallery", g)
    assert g["status"] == "offline" and g["published_at"] is None
    published = sandbox.publish(g["id"])
    assert published["status"] == "online" and published["published_at"]
    offline = sandbox.take_offline(g["id"])
    assert offline["status"] == "offline" and offline["published_at"] == published["published_at"]
    again = sandbox.publish(g["id"])
    assert again["published_at"] == published["published_at"]  # the first publication
    photos = sandbox.add_photos(g["id"], 12)
    assert photos["image_count"] == 12 and photos["cover_url"]
    expiring = sandbox.set_expiry(g["id"], "2099-01-01T00:00:00Z")
    assert expiring["status"] == "online" and expiring["expires_at"] == "2099-01-01T00:00:00.000000Z"
    order = sandbox.place_order(g["id"])
    contract.validate("Order", order)
    assert order["status"] == "paid" and order["customer"]["email"] == "ann@example.com"
    assert sandbox.refund_order(order["id"])["status"] == "refunded"
    direct = sandbox.create_gallery(account_id, name="Seeded", status="online", image_count=5)
    assert direct["status"] == "online" and direct["published_at"] and direct["image_count"] == 5
    assert sandbox.stats(account_id)["galleries"] == 2
    sandbox.delete_gallery(direct["id"])
    assert sandbox.stats(account_id)["galleries"] == 1
    assert set(sandbox.stats()) == {
        "galleries",
        "api_requests",
        "token_refreshes",
        "rate_limited",
        "refused_during_block",
        "grace_replays",
        "refresh_reuse",
        "answers_lost",
    }


def _seed(sandbox):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        SANDBOX_DB_PATH=sandbox.db_path,
        SANDBOX_PUBLIC_BASE_URL=sandbox.url,
        SANDBOX_SEED_CLIENT_ID="seeded-crm",
        SANDBOX_SEED_REDIRECT_URI="http://127.0.0.1:9/seeded/callback/",
    )
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "seed"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def test_seed_is_idempotent_and_gives_a_usable_demo(pictime_sandbox):
    sandbox = pictime_sandbox
    out = _seed(sandbox)
    assert "Demo Pic-Time login: demo@pictime.test / demo1234" in out
    second = _seed(sandbox)
    assert "Created" not in second and "Registered" not in second
    account_id = out.split("(account ")[1].split(")")[0]
    tokens = sandbox.issue_grant(account_id, "seeded-crm")
    h = {"Authorization": "Bearer " + tokens["access_token"]}
    galleries = requests.get(sandbox.url + "/api/v2/galleries", headers=h, timeout=10).json()["data"]
    assert len(galleries) == 4
    by_slug = {g["slug"]: g for g in galleries}
    assert (
        by_slug["avery-jordan-wedding"]["status"] == "online"
        and by_slug["avery-jordan-wedding"]["image_count"]
    )
    assert (
        by_slug["miller-engagement"]["status"] == "offline" and by_slug["miller-engagement"]["published_at"]
    )
    assert by_slug["chen-family-portraits"]["published_at"] is None
    expired = by_slug["garcia-newborn"]
    assert expired["status"] == "offline" and expired["expires_at"] < expired["updated_at"]
    orders = requests.get(sandbox.url + "/api/v2/orders", headers=h, timeout=10).json()["data"]
    assert sorted(o["status"] for o in orders) == ["paid", "refunded"]
    assert sandbox.stats(account_id)["galleries"] == 4
    from pictime_sandbox_helpers import sign_in

    assert (
        sign_in(sandbox.url, "demo@pictime.test", "demo1234").get(sandbox.url + "/dashboard/").status_code
        == 200
    )


def test_sandbox_start_takes_env_and_stop_cleans_up():
    from sandbox.testing import Sandbox

    sb = Sandbox.start(env={"SANDBOX_RATE_PER_SEC": "3", "SANDBOX_ADMIN_TOKEN": "custom-admin"})
    try:
        assert sb.admin_token == "custom-admin"
        assert sb.admin("GET", "/_sandbox/rate-limit")["per_sec"] == 3
        db_dir = os.path.dirname(sb.db_path)
        assert os.path.exists(sb.db_path)
    finally:
        sb.stop()
    assert not os.path.exists(db_dir)
    with pytest.raises(requests.ConnectionError):
        requests.get(sb.url + "/_sandbox/health", timeout=2)


def test_threaded_server_answers_while_a_request_hangs(api, sandbox):
    sandbox.set_faults(hang_next=1, hang_next_seconds=3)
    hung = threading.Thread(target=lambda: api.get("/account", timeout=10))
    hung.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert requests.get(sandbox.url + "/_sandbox/health", timeout=5).status_code == 200
    assert api.get("/account").status_code == 200
    assert time.monotonic() - started < 1.5
    hung.join()


# ------------------------------------------------------------------ fault rates (the chaos bench's)


def test_lose_rate_makes_the_gallery_then_answers_500_and_the_retry_replays_it(api, sandbox, contract):
    sandbox.set_faults(lose_rate=1.0)
    lost = contract.check(api.post("/galleries", {"name": "Lost"}, key="lose-1"), "POST", "/galleries")
    assert lost.status_code == 500 and lost.json()["error"]["code"] == "internal_error"
    assert sandbox.stats(api.account["id"])["galleries"] == 1  # carried out before the answer was lost
    sandbox.set_faults(lose_rate=0.0)
    retry = api.post("/galleries", {"name": "Lost"}, key="lose-1")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    stats = sandbox.stats(api.account["id"])
    assert stats["galleries"] == 1 and stats["answers_lost"] == 1


def test_drop_rate_makes_the_gallery_then_closes_the_connection(api, sandbox):
    sandbox.set_faults(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        api.post("/galleries", {"name": "Dropped"}, key="drop-1")
    sandbox.set_faults(drop_rate=0.0)
    assert sandbox.stats(api.account["id"])["galleries"] == 1
    replay = api.post("/galleries", {"name": "Dropped"}, key="drop-1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert sandbox.stats(api.account["id"])["galleries"] == 1


def test_lost_answers_spare_error_answers(api, sandbox):
    sandbox.set_faults(lose_rate=1.0)
    missing = api.get("/galleries/gal_missing")
    assert missing.status_code == 404  # an error is answered as it is: nothing was carried out
    assert sandbox.stats(api.account["id"])["answers_lost"] == 0


def test_rate_limit_rate_answers_429_with_retry_after(api, sandbox, contract):
    sandbox.set_faults(rate_limit_rate=1.0, retry_after=2)
    limited = contract.check(api.get("/account"), "GET", "/account")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    sandbox.set_faults(rate_limit_rate=0.0)
    time.sleep(2.1)  # the injected 429 blocks the account like any other
    assert api.get("/account").status_code == 200


def test_fault_rates_are_shares_of_requests(api, sandbox):
    """Roughly the shares asked for (bounds ~5 standard deviations wide); answers are lost only from
    requests that were carried out, and each lost one is counted."""
    sandbox.set_rate_limit(per_sec=1000, burst=1000)
    sandbox.set_faults(error_rate=0.2, lose_rate=0.2, drop_rate=0.1)
    outcomes = []
    for _ in range(300):
        try:
            resp = api.get("/account")
        except requests.ConnectionError:
            outcomes.append("dropped")
            continue
        lost = resp.status_code == 500 and "answer was lost" in resp.json()["error"]["message"]
        outcomes.append("lost" if lost else resp.status_code)
    assert 30 <= outcomes.count(500) <= 90, outcomes  # 20 % before the work
    assert 25 <= outcomes.count("lost") <= 75, outcomes  # 80 % x 20 %
    assert 8 <= outcomes.count("dropped") <= 40, outcomes  # 80 % x 10 %
    assert set(outcomes) <= {200, 500, "lost", "dropped"}
    lost = outcomes.count("lost") + outcomes.count("dropped")
    assert sandbox.stats(api.account["id"])["answers_lost"] == lost


def test_fault_rates_are_checked(sandbox):
    from sandbox.testing import SandboxError

    for bad in ({"lose_rate": 1.5}, {"drop_rate": -0.1}, {"rate_limit_rate": "x"}):
        with pytest.raises(SandboxError) as refused:
            sandbox.set_faults(**bad)
        assert refused.value.status == 422, bad
    assert sandbox.admin("GET", "/_sandbox/faults")["lose_rate"] == 0.0
