"""OAuth 2.0 as in the contract: PKCE S256, exact redirect URIs, state, single-use codes, rotation, revoke."""

import time

import pytest
import requests
from pictime_sandbox_helpers import (
    authorize,
    authorize_params,
    basic_auth,
    pkce_pair,
    sign_in,
    token_request,
    unique_email,
)


def refresh(sandbox, oauth_client, refresh_token):
    """The client's refresh-token request to /oauth/token."""
    return token_request(sandbox.url, oauth_client, grant_type="refresh_token", refresh_token=refresh_token)


@pytest.fixture
def person(sandbox):
    email = unique_email("oauth")
    account = sandbox.create_account("OAuth Studio", email, password="secret-pass")
    session = sign_in(sandbox.url, email, "secret-pass")
    return {"account": account, "session": session}


def get_code(sandbox, person, client, **extra):
    verifier, challenge = pkce_pair()
    q = authorize(sandbox.url, person["session"], authorize_params(client, challenge, **extra))
    assert "code" in q, q
    return q["code"], verifier


def exchange(sandbox, client, code, verifier, redirect_uri=None, form_encode=True):
    return token_request(
        sandbox.url,
        client,
        form_encode=form_encode,
        grant_type="authorization_code",
        code=code,
        redirect_uri=redirect_uri or client["redirect_uri"],
        code_verifier=verifier,
    )


def api_status(sandbox, access_token):
    return requests.get(
        sandbox.url + "/api/v2/account", headers={"Authorization": "Bearer " + access_token}, timeout=10
    ).status_code


def test_authorize_sends_people_to_sign_in_first(sandbox, oauth_client):
    _, challenge = pkce_pair()
    from urllib.parse import urlencode

    resp = requests.get(
        sandbox.url + "/oauth/authorize?" + urlencode(authorize_params(oauth_client, challenge)),
        allow_redirects=False,
        timeout=10,
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/accounts/signin/?next=")


def test_approve_gives_a_code_that_exchanges_for_tokens(sandbox, person, oauth_client, contract):
    verifier, challenge = pkce_pair()
    params = authorize_params(oauth_client, challenge, state="state-123")
    consent = person["session"].get(sandbox.url + "/oauth/authorize", params=params, timeout=10)
    assert "Studio CRM" in consent.text and "galleries:write" in consent.text
    assert "Approve" in consent.text and "Deny" in consent.text
    q = authorize(sandbox.url, person["session"], params)
    assert q["_base"] == oauth_client["redirect_uri"] and q["state"] == "state-123" and q["code"]
    resp = contract.check(exchange(sandbox, oauth_client, q["code"], verifier), "POST", "/oauth/token")
    assert resp.status_code == 200
    tokens = resp.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert set(tokens["scope"].split()) == {
        "account:read",
        "galleries:read",
        "galleries:write",
        "orders:read",
        "webhooks:write",
    }
    assert resp.headers["Cache-Control"] == "no-store"
    me = requests.get(
        sandbox.url + "/api/v2/account",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    ).json()
    assert me["id"] == person["account"]["id"]


def test_narrower_scope_and_default_scope(sandbox, person, oauth_client):
    code, verifier = get_code(sandbox, person, oauth_client, scope="galleries:read orders:read")
    assert exchange(sandbox, oauth_client, code, verifier).json()["scope"] == "galleries:read orders:read"
    code, verifier = get_code(sandbox, person, oauth_client, scope=None)
    assert len(exchange(sandbox, oauth_client, code, verifier).json()["scope"].split()) == 5


def test_deny_redirects_with_access_denied(sandbox, person, oauth_client):
    _, challenge = pkce_pair()
    q = authorize(
        sandbox.url, person["session"], authorize_params(oauth_client, challenge, state="s-9"), "deny"
    )
    assert q["error"] == "access_denied" and q["state"] == "s-9" and "code" not in q


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"state": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"scope": "galleries:read photos:delete"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
def test_authorize_errors_redirect_back_without_a_code(sandbox, person, oauth_client, extra, error):
    _, challenge = pkce_pair()
    params = authorize_params(oauth_client, challenge, **extra)
    resp = person["session"].get(
        sandbox.url + "/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 302
    from pictime_sandbox_helpers import redirect_query

    q = redirect_query(resp.headers["Location"])
    assert q["_base"] == oauth_client["redirect_uri"] and q["error"] == error and "code" not in q


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:9/integrations/pictime/callback",  # no trailing slash
        "http://127.0.0.1:9/integrations/pictime/callback/?x=1",
        "http://evil.example/integrations/pictime/callback/",
    ],
)
def test_redirect_uri_must_match_exactly_and_is_never_followed(sandbox, person, oauth_client, redirect_uri):
    _, challenge = pkce_pair()
    params = authorize_params(oauth_client, challenge, redirect_uri=redirect_uri)
    resp = person["session"].get(
        sandbox.url + "/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 400 and "Redirect URI mismatch" in resp.text


def test_unknown_client_gets_an_error_page(sandbox, person, oauth_client):
    _, challenge = pkce_pair()
    params = authorize_params(oauth_client, challenge, client_id="who-is-this")
    resp = person["session"].get(
        sandbox.url + "/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    assert resp.status_code == 400 and "Unknown client" in resp.text


def test_pkce_verifier_is_required_and_verified(sandbox, person, oauth_client, contract):
    code, verifier = get_code(sandbox, person, oauth_client)
    missing = token_request(
        sandbox.url,
        oauth_client,
        grant_type="authorization_code",
        code=code,
        redirect_uri=oauth_client["redirect_uri"],
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = contract.check(exchange(sandbox, oauth_client, code, pkce_pair()[0]), "POST", "/oauth/token")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # the code is burnt by a failed verification
    assert exchange(sandbox, oauth_client, code, verifier).json()["error"] == "invalid_grant"


def test_token_redirect_uri_must_match_the_authorization(sandbox, person, oauth_client):
    code, verifier = get_code(sandbox, person, oauth_client)
    resp = exchange(sandbox, oauth_client, code, verifier, redirect_uri="http://127.0.0.1:9/other/")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_code_reuse_is_refused_and_revokes_what_it_issued(sandbox, person, oauth_client):
    code, verifier = get_code(sandbox, person, oauth_client)
    tokens = exchange(sandbox, oauth_client, code, verifier).json()
    assert api_status(sandbox, tokens["access_token"]) == 200
    again = exchange(sandbox, oauth_client, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert api_status(sandbox, tokens["access_token"]) == 401
    refreshed = refresh(sandbox, oauth_client, tokens["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"


def test_code_expires(sandbox, person, oauth_client):
    sandbox.set_faults(code_ttl=1)
    code, verifier = get_code(sandbox, person, oauth_client)
    time.sleep(1.3)
    resp = exchange(sandbox, oauth_client, code, verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert "expired" in resp.json()["error_description"]


def test_client_authentication(sandbox, person, oauth_client, contract):
    code, verifier = get_code(sandbox, person, oauth_client)
    wrong = dict(oauth_client, client_secret="nope")
    resp = contract.check(exchange(sandbox, wrong, code, verifier), "POST", "/oauth/token")
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    no_auth = requests.post(
        sandbox.url + "/oauth/token", data={"grant_type": "authorization_code", "code": code}, timeout=10
    )
    assert no_auth.status_code == 401
    # the secret has '+', '/' and '=': the raw pair is accepted as well as the form-encoded one
    raw = exchange(sandbox, oauth_client, code, verifier, form_encode=False)
    assert raw.status_code == 200, raw.text
    code2, verifier2 = get_code(sandbox, person, oauth_client)
    assert exchange(sandbox, oauth_client, code2, verifier2, form_encode=True).status_code == 200


def test_unsupported_grant_type(sandbox, oauth_client):
    resp = token_request(sandbox.url, oauth_client, grant_type="password", username="a", password="b")
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"


def test_refresh_rotates_keeps_old_access_token_and_replays_within_grace(
    sandbox, account, oauth_client, contract
):
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    rotated = contract.check(
        refresh(sandbox, oauth_client, first["refresh_token"]),
        "POST",
        "/oauth/token",
    ).json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["access_token"] != first["access_token"]
    assert api_status(sandbox, first["access_token"]) == 200  # lives until it expires
    assert api_status(sandbox, rotated["access_token"]) == 200
    # a retry after a lost answer: the same new pair again
    replay = refresh(sandbox, oauth_client, first["refresh_token"])
    assert replay.status_code == 200 and replay.json() == rotated
    # the new refresh token rotates in turn
    third = refresh(sandbox, oauth_client, rotated["refresh_token"])
    assert third.status_code == 200 and third.json()["refresh_token"] != rotated["refresh_token"]
    assert sandbox.stats(account["id"])["token_refreshes"] == 3


def test_spent_refresh_token_after_grace_revokes_the_grant(sandbox, account, oauth_client):
    sandbox.set_faults(refresh_grace=0.5)
    first = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    rotated = refresh(sandbox, oauth_client, first["refresh_token"]).json()
    time.sleep(0.8)
    reuse = refresh(sandbox, oauth_client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    assert api_status(sandbox, rotated["access_token"]) == 401
    later = refresh(sandbox, oauth_client, rotated["refresh_token"])
    assert later.json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_invalid_grant(sandbox, account, oauth_client):
    sandbox.register_client("another-app", "another-secret", ["http://127.0.0.1:9/cb"], name="Another")
    tokens = sandbox.issue_grant(account["id"], "another-app")
    resp = refresh(sandbox, oauth_client, tokens["refresh_token"])
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert api_status(sandbox, tokens["access_token"]) == 200


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoke_revokes_the_grant_and_deletes_its_webhooks(sandbox, account, oauth_client, receiver, which):
    tokens = sandbox.issue_grant(account["id"], oauth_client["client_id"])
    h = {"Authorization": "Bearer " + tokens["access_token"]}
    hook = requests.post(
        sandbox.url + "/api/v2/webhooks",
        json={"url": receiver.url + "/revoked", "events": ["gallery.created"]},
        headers=h,
        timeout=10,
    )
    assert hook.status_code == 201
    resp = requests.post(
        sandbox.url + "/oauth/revoke",
        data={"token": tokens[which], "token_type_hint": which},
        headers={"Authorization": basic_auth(oauth_client["client_id"], oauth_client["client_secret"])},
        timeout=10,
    )
    assert resp.status_code == 200
    assert api_status(sandbox, tokens["access_token"]) == 401
    refreshed = refresh(sandbox, oauth_client, tokens["refresh_token"])
    assert refreshed.json()["error"] == "invalid_grant"
    sandbox.create_gallery(account["id"], name="After revoke")
    time.sleep(0.3)
    assert receiver.events("/revoked") == []
    assert all(d["url"] != receiver.url + "/revoked" for d in sandbox.webhook_deliveries(account["id"]))


def test_revoke_needs_client_auth_and_ignores_unknown_tokens(sandbox, oauth_client):
    assert requests.post(sandbox.url + "/oauth/revoke", data={"token": "x"}, timeout=10).status_code == 401
    resp = requests.post(
        sandbox.url + "/oauth/revoke",
        data={"token": "unknown"},
        headers={"Authorization": basic_auth(oauth_client["client_id"], oauth_client["client_secret"])},
        timeout=10,
    )
    assert resp.status_code == 200
