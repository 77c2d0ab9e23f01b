"""What a real Pic-Time does on bad days, on demand: access tokens expired early, grants revoked, lost
answers to /oauth/token, and a 429 that blocks the whole account (requests during the block refused,
pushing it further). Every case is off by default; the counters let the CRM's tests prove its behaviour."""

import time

import pytest
import requests
from pictime_sandbox_helpers import token_request, unique_email

from sandbox.testing import SandboxError


def api_get(sandbox, access_token, path="/account"):
    return requests.get(
        sandbox.url + "/api/v2" + path, headers={"Authorization": "Bearer " + access_token}, timeout=10
    )


def refresh(sandbox, oauth_client, refresh_token):
    return token_request(sandbox.url, oauth_client, grant_type="refresh_token", refresh_token=refresh_token)


@pytest.fixture
def other_account(sandbox):
    return sandbox.create_account("Other Studio", unique_email("other"))


def test_a_fresh_account_reports_every_counter_at_zero(sandbox, account):
    assert sandbox.stats(account["id"]) == {
        "galleries": 0,
        "api_requests": 0,
        "token_refreshes": 0,
        "rate_limited": 0,
        "refused_during_block": 0,
        "grace_replays": 0,
        "refresh_reuse": 0,
        "answers_lost": 0,
    }


# ------------------------------------------------------------------ access tokens expired early


def test_expire_tokens_ends_every_access_token_of_the_account_but_refresh_still_works(
    sandbox, account, other_account, oauth_client, contract
):
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    rotated = refresh(sandbox, oauth_client, first["refresh_token"]).json()
    second_grant = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    elsewhere = sandbox.issue_grant(other_account["id"], oauth_client["client_id"])
    assert rotated["expires_in"] == 3600

    assert sandbox.expire_tokens(account["id"]) == {"expired": 3}

    for token in (first["access_token"], rotated["access_token"], second_grant["access_token"]):
        resp = contract.check(api_get(sandbox, token), "GET", "/account")
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_token"
        assert resp.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert api_get(sandbox, elsewhere["access_token"]).status_code == 200  # another account: untouched
    # the refresh tokens keep working and give a new access token that works
    renewed = refresh(sandbox, oauth_client, rotated["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert api_get(sandbox, renewed.json()["access_token"]).status_code == 200
    assert api_get(sandbox, rotated["access_token"]).status_code == 401  # still ended
    stats = sandbox.stats(account["id"])
    assert stats["token_refreshes"] == 2 and stats["refresh_reuse"] == 0


def test_expire_tokens_of_an_unknown_account_is_404_and_needs_the_admin_token(sandbox, account):
    with pytest.raises(SandboxError) as unknown:
        sandbox.expire_tokens("acc_unknown")
    assert unknown.value.status == 404
    for action in ("expire-tokens", "revoke-grants"):
        resp = requests.post(f"{sandbox.url}/_sandbox/accounts/{account['id']}/{action}", timeout=10)
        assert resp.status_code == 403


# ------------------------------------------------------------------ grants revoked


def test_revoke_grants_revokes_every_grant_and_deletes_their_webhooks(
    sandbox, account, other_account, oauth_client, receiver
):
    one = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    two = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    elsewhere = sandbox.issue_grant(other_account["id"], oauth_client["client_id"])
    hook = requests.post(
        sandbox.url + "/api/v2/webhooks",
        json={"url": receiver.url + "/revoked", "events": ["gallery.created"]},
        headers={"Authorization": "Bearer " + one["access_token"]},
        timeout=10,
    )
    assert hook.status_code == 201

    assert sandbox.revoke_grants(account["id"]) == {"revoked": 2}

    for pair in (one, two):
        resp = api_get(sandbox, pair["access_token"])
        assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_token"
        refused = refresh(sandbox, oauth_client, pair["refresh_token"])
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert api_get(sandbox, elsewhere["access_token"]).status_code == 200
    sandbox.create_gallery(account["id"], name="After revoke")
    time.sleep(0.3)
    assert receiver.events("/revoked") == []
    # a new connection (the photographer reconnects) works again
    again = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    assert api_get(sandbox, again["access_token"]).status_code == 200
    assert sandbox.revoke_grants(account["id"]) == {"revoked": 1}


# ------------------------------------------------------------------ lost answers on /oauth/token


def test_token_lose_next_rotates_then_answers_500_and_a_retry_in_the_grace_gets_the_pair(
    sandbox, account, oauth_client
):
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    sandbox.set_faults(token_lose_next=1)
    lost = refresh(sandbox, oauth_client, first["refresh_token"])
    assert lost.status_code == 500 and lost.json()["error"] == "server_error"
    assert sandbox.admin("GET", "/_sandbox/faults")["token_lose_next"] == 0
    retry = refresh(sandbox, oauth_client, first["refresh_token"])
    assert retry.status_code == 200, retry.text
    pair = retry.json()
    assert pair["refresh_token"] != first["refresh_token"]  # the lost answer's pair: the rotation happened
    assert api_get(sandbox, pair["access_token"]).status_code == 200
    assert refresh(sandbox, oauth_client, pair["refresh_token"]).status_code == 200
    stats = sandbox.stats(account["id"])
    assert stats["token_refreshes"] == 3 and stats["grace_replays"] == 1 and stats["refresh_reuse"] == 0


def test_token_lose_next_spares_error_answers(sandbox, account, oauth_client):
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    sandbox.set_faults(token_lose_next=1)
    bad = refresh(sandbox, oauth_client, "ptr_unknown")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    assert refresh(sandbox, oauth_client, first["refresh_token"]).status_code == 500  # spent here


def test_token_drop_next_closes_the_connection_after_rotating(sandbox, account, oauth_client):
    sandbox.set_faults(refresh_grace=1.5)
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    sandbox.set_faults(token_drop_next=1)
    with pytest.raises(requests.ConnectionError):
        refresh(sandbox, oauth_client, first["refresh_token"])
    replays = [refresh(sandbox, oauth_client, first["refresh_token"]) for _ in range(2)]
    assert [r.status_code for r in replays] == [200, 200]
    assert replays[0].json() == replays[1].json()
    assert api_get(sandbox, replays[0].json()["access_token"]).status_code == 200
    time.sleep(1.7)  # after the grace the spent refresh token revokes the grant
    reuse = refresh(sandbox, oauth_client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert api_get(sandbox, replays[0].json()["access_token"]).status_code == 401
    stats = sandbox.stats(account["id"])
    assert stats["grace_replays"] == 2 and stats["refresh_reuse"] == 1 and stats["token_refreshes"] == 3


def test_token_drop_next_counts_successful_answers_then_the_server_goes_on(sandbox, account, oauth_client):
    sandbox.set_faults(token_drop_next=2)
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"])  # the admin path is spared
    bad = refresh(sandbox, oauth_client, "ptr_unknown")  # an error answer is not lost
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    for _ in range(2):  # the rotation, then its replay: both answers dropped
        with pytest.raises(requests.ConnectionError):
            refresh(sandbox, oauth_client, tokens["refresh_token"])
    replay = refresh(sandbox, oauth_client, tokens["refresh_token"])
    assert replay.status_code == 200, replay.text
    assert api_get(sandbox, replay.json()["access_token"]).status_code == 200
    assert sandbox.stats(account["id"])["grace_replays"] == 2


# ------------------------------------------------------------------ a 429 blocks the whole account


def test_an_injected_429_blocks_every_token_of_the_account_and_requests_meanwhile_push_it(
    sandbox, account, other_account, oauth_client
):
    one = sandbox.issue_grant(account["id"], oauth_client["client_id"])["access_token"]
    two = sandbox.issue_grant(account["id"], oauth_client["client_id"])["access_token"]
    elsewhere = sandbox.issue_grant(other_account["id"], oauth_client["client_id"])["access_token"]
    sandbox.set_faults(rate_limit_next=1, retry_after=1)
    started = time.monotonic()
    first = api_get(sandbox, one)
    assert first.status_code == 429 and first.headers["Retry-After"] == "1"
    assert api_get(sandbox, elsewhere).status_code == 200  # per account
    time.sleep(max(0.0, 0.6 - (time.monotonic() - started)))
    blocked = api_get(sandbox, two, "/galleries")  # another token, another endpoint: the same account
    assert blocked.status_code == 429 and blocked.json()["error"]["code"] == "rate_limited"
    assert blocked.headers["Retry-After"] == "1"
    # 1.2 s after the first 429 its own Retry-After is over, but the refusal at 0.6 s pushed the block
    time.sleep(max(0.0, 1.2 - (time.monotonic() - started)))
    pushed = api_get(sandbox, one)
    assert pushed.status_code == 429
    time.sleep(int(pushed.headers["Retry-After"]) + 0.1)
    assert api_get(sandbox, one).status_code == 200
    stats = sandbox.stats(account["id"])
    assert stats["rate_limited"] == 3 and stats["refused_during_block"] == 2
    assert stats["api_requests"] == 4
    assert sandbox.stats(other_account["id"])["refused_during_block"] == 0


def test_an_empty_bucket_blocks_the_account_until_retry_after_even_once_refilled(api, sandbox):
    sandbox.set_rate_limit(per_sec=4, burst=2)  # a token every 0.25 s; a Retry-After of 1 s
    statuses = []
    while 429 not in statuses and len(statuses) < 10:  # however slow the machine, drain the bucket
        limited = api.get("/account")
        statuses.append(limited.status_code)
    limited_at = time.monotonic()
    assert statuses[-1] == 429 and limited.headers["Retry-After"] == "1"
    time.sleep(max(0.0, 0.5 - (time.monotonic() - limited_at)))  # a token back, the block still on
    refused = api.get("/account")
    assert refused.status_code == 429
    assert int(refused.headers["X-RateLimit-Remaining"]) >= 1  # refused for the block, not the bucket
    stats = sandbox.stats(api.account["id"])
    assert stats["rate_limited"] == 2 and stats["refused_during_block"] == 1


def test_reset_lifts_a_block(api, sandbox):
    sandbox.set_faults(rate_limit_next=1, retry_after=30)
    assert api.get("/account").status_code == 429
    assert api.get("/account").status_code == 429
    sandbox.reset()
    assert api.get("/account").status_code == 200
