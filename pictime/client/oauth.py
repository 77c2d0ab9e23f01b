"""OAuth 2.0 against Pic-Time on Authlib's requests client: the authorization URL with PKCE S256,
the code exchange, the refresh and the revocation.

Authlib builds and sends the requests (``OAuth2Session``); our rules stay around it: explicit
timeouts, no redirects, one log line a call without a secret, and every failure one typed error
(:func:`pictime.client.answers.error_for`: ``invalid_grant`` needs a reconnection, a 5xx or a lost
answer is transient, a malformed answer is ``BadResponse``). The retries within Pic-Time's refresh
grace and the row lock are the caller's (``pictime.tokens``).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from pictime import errors
from pictime.schemas import SCOPES, TokenSet

from .answers import decode_json, error_for
from .transport import DEFAULT_TIMEOUT, USER_AGENT, check_base_url, check_timeout, exchange

REFRESH_TOKEN_HINT = "refresh_token"
# Authlib's "client_secret_basic" puts the id and secret in the Basic header as they are; RFC 6749
# §2.3.1 (and Pic-Time) form-encode them first, so a secret with a space or a colon still works.
CLIENT_AUTH = "client_secret_basic_form_encoded"


def _client_secret_basic_form_encoded(client, method, uri, headers, body):
    credentials = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return uri, headers, body


def _token_answer(response: requests.Response) -> requests.Response:
    """Authlib's compliance hook on a token answer: an error or a malformed answer becomes our typed
    error here, so Authlib only ever reads a token the contract allows."""
    if not 200 <= response.status_code < 300:
        raise error_for(response, oauth=True)
    TokenSet.from_dict(decode_json(response))
    return response


class PicTimeOAuth:
    """OAuth 2.0 authorization-code flow with PKCE S256 against Pic-Time, client auth HTTP Basic.

    Authorize: ``{base_url}/oauth/authorize``; token: ``/oauth/token``; revoke: ``/oauth/revoke``.
    """

    AUTHORIZE_PATH = "/oauth/authorize"
    TOKEN_PATH = "/oauth/token"
    REVOKE_PATH = "/oauth/revoke"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        log_context: Mapping[str, Any] | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        if not client_id or not client_secret or not redirect_uri:
            raise ValueError("client_id, client_secret and redirect_uri are required")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.timeout = check_timeout(timeout)
        self.log_context = dict(log_context or {})
        self.requests_made = 0
        self.session = OAuth2Session(
            client_id,
            client_secret,
            token_endpoint_auth_method=CLIENT_AUTH,
            revocation_endpoint_auth_method=CLIENT_AUTH,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        self.session.register_client_auth_method((CLIENT_AUTH, _client_secret_basic_form_encoded))
        self.session.register_compliance_hook("access_token_response", _token_answer)
        self.session.register_compliance_hook("refresh_token_response", _token_answer)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def __repr__(self) -> str:
        return f"<PicTimeOAuth {self.base_url} client_id={self.client_id!r}>"

    @property
    def authorize_url(self) -> str:
        return self.base_url + self.AUTHORIZE_PATH

    def create_authorization(
        self, state: str | None = None, scope: str | Iterable[str] | None = None
    ) -> tuple[str, str, str]:
        """``(url, state, code_verifier)``: redirect the browser to ``url``; keep ``state`` and
        ``code_verifier`` in the user's session for the callback. ``scope`` defaults to all scopes."""
        if scope is None:
            scope = SCOPES
        code_verifier = generate_token(64)  # RFC 7636: 43–128 unreserved characters
        url, state = self.session.create_authorization_url(
            self.authorize_url,
            state=state or generate_token(32),
            code_verifier=code_verifier,
            scope=scope if isinstance(scope, str) else " ".join(scope),
        )
        return url, state, code_verifier

    @staticmethod
    def parse_callback(params: Mapping[str, str], expected_state: str | None) -> str:
        """Check the redirect back from Pic-Time and return the authorization ``code``.
        ``error=access_denied`` → :class:`AccessDenied`; another ``error`` or a state that does not
        match (compared in constant time) → :class:`OAuthError`."""
        state = params.get("state") or ""
        if not expected_state or not hmac.compare_digest(state.encode(), expected_state.encode()):
            raise errors.OAuthError("OAuth state does not match", code="invalid_state")
        error = params.get("error")
        if error == "access_denied":
            raise errors.AccessDenied("The photographer denied access on Pic-Time", code="access_denied")
        if error:
            raise errors.OAuthError(f"Pic-Time returned OAuth error {error!r}", code=str(error)[:100])
        code = params.get("code")
        if not code:
            raise errors.OAuthError("Pic-Time's redirect carried no code", code="invalid_request")
        return code

    def _send(self, path: str, send: Any, **kwargs: Any) -> Any:
        """``send`` (an Authlib method) to ``path`` with our timeouts, no redirects and one log line."""
        with exchange("POST", path, {**self.log_context, "client_id": self.client_id}) as call:
            self.requests_made += 1
            return send(
                self.base_url + path, timeout=self.timeout, allow_redirects=False, hooks=call.hooks, **kwargs
            )

    def exchange_code(self, code: str, code_verifier: str, *, now: datetime | None = None) -> TokenSet:
        if not code or not code_verifier:
            raise ValueError("code and code_verifier are required")
        token = self._send(
            self.TOKEN_PATH,
            self.session.fetch_token,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
        )
        return TokenSet.from_dict(token, now=now)

    def refresh(self, refresh_token: str, *, now: datetime | None = None) -> TokenSet:
        """Rotate: the answer holds a *new* refresh token that must replace the old one at once
        (in the same transaction). ``invalid_grant`` → :class:`NeedsReconnection`."""
        if not refresh_token:
            raise ValueError("refresh_token is required")
        token = self._send(self.TOKEN_PATH, self.session.refresh_token, refresh_token=refresh_token)
        return TokenSet.from_dict(token, now=now)

    def revoke(self, token: str, token_type_hint: str = REFRESH_TOKEN_HINT) -> None:
        """Revoke the whole grant (and its webhook subscriptions) on Pic-Time."""
        if not token:
            raise ValueError("token is required")
        response = self._send(
            self.REVOKE_PATH, self.session.revoke_token, token=token, token_type_hint=token_type_hint or None
        )
        if not 200 <= response.status_code < 300:
            raise error_for(response, oauth=True)
