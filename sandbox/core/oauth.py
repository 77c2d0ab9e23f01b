"""OAuth 2.0 endpoints: authorize (sign-in, consent), token, revoke."""

import base64
import hashlib
import hmac
import re
import secrets
import socket
import time
from datetime import timedelta
from urllib.parse import unquote_plus, urlencode

from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import state, tokens
from .models import (
    ALL_SCOPES,
    AccessToken,
    AuthorizationCode,
    Grant,
    OAuthClient,
    RefreshToken,
)
from .pages import current_account

CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
SCOPE_LABELS = {
    "account:read": "See your account name, email, brands and presets",
    "galleries:read": "See your galleries",
    "galleries:write": "Create galleries",
    "orders:read": "See orders placed in your galleries",
    "webhooks:write": "Get notified when galleries and orders change",
}


def _redirect(uri, **params):
    sep = "&" if "?" in uri else "?"
    return HttpResponseRedirect(uri + sep + urlencode({k: v for k, v in params.items() if v is not None}))


def _check_authorize(params):
    """Return (ctx, None) when valid, else (None, response)."""
    client = OAuthClient.objects.filter(client_id=params.get("client_id", "")).first()
    if client is None:
        return None, ("Unknown client", "The application asking for access is not registered with Pic-Time.")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        return None, (
            "Redirect URI mismatch",
            "The redirect_uri does not match any registered for this application.",
        )
    st = params.get("state") or None
    if params.get("response_type") != "code":
        return None, _redirect(redirect_uri, error="unsupported_response_type", state=st)
    if not st:
        return None, _redirect(redirect_uri, error="invalid_request", error_description="state is required")
    if params.get("code_challenge_method") != "S256" or not CHALLENGE_RE.match(
        params.get("code_challenge", "")
    ):
        return None, _redirect(
            redirect_uri,
            error="invalid_request",
            error_description="PKCE with code_challenge_method=S256 is required",
            state=st,
        )
    scopes = (params.get("scope") or "").split()
    if not scopes:
        scopes = list(ALL_SCOPES)
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        return None, _redirect(
            redirect_uri,
            error="invalid_scope",
            error_description="unknown scope: " + " ".join(unknown),
            state=st,
        )
    scopes = [s for s in ALL_SCOPES if s in scopes]
    return {
        "client": client,
        "redirect_uri": redirect_uri,
        "state": st,
        "scopes": scopes,
        "code_challenge": params["code_challenge"],
    }, None


@require_http_methods(["GET", "POST"])
def authorize(request):
    params = request.GET if request.method == "GET" else request.POST
    ctx, problem = _check_authorize(params)
    if problem is not None:
        if isinstance(problem, tuple):
            return render(
                request, "sandbox/oauth_error.html", {"title": problem[0], "message": problem[1]}, status=400
            )
        return problem
    account = current_account(request)
    if account is None:
        return HttpResponseRedirect("/accounts/signin/?" + urlencode({"next": request.get_full_path()}))
    if request.method == "GET":
        return render(
            request,
            "sandbox/consent.html",
            {
                "account": account,
                "client": ctx["client"],
                "scopes": [(s, SCOPE_LABELS[s]) for s in ctx["scopes"]],
                "params": {
                    k: params.get(k, "")
                    for k in (
                        "response_type",
                        "client_id",
                        "redirect_uri",
                        "scope",
                        "state",
                        "code_challenge",
                        "code_challenge_method",
                    )
                },
            },
        )
    if request.POST.get("decision") != "approve":
        return _redirect(ctx["redirect_uri"], error="access_denied", state=ctx["state"])
    code = secrets.token_urlsafe(32)
    AuthorizationCode.objects.create(
        code_hash=tokens.token_hash(code),
        client=ctx["client"],
        account=account,
        redirect_uri=ctx["redirect_uri"],
        scope=" ".join(ctx["scopes"]),
        code_challenge=ctx["code_challenge"],
        expires_at=timezone.now() + timedelta(seconds=state.code_ttl()),
    )
    return _redirect(ctx["redirect_uri"], code=code, state=ctx["state"])


def _oauth_error(error, description, status=400):
    resp = JsonResponse({"error": error, "error_description": description}, status=status)
    resp["Cache-Control"] = "no-store"
    if error == "invalid_client":
        resp["WWW-Authenticate"] = 'Basic realm="pictime"'
    return resp


def authenticate_client(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    raw_id, sep, raw_secret = decoded.partition(":")
    if not sep:
        return None
    for cid, secret in ((unquote_plus(raw_id), unquote_plus(raw_secret)), (raw_id, raw_secret)):
        client = OAuthClient.objects.filter(client_id=cid).first()
        if client and hmac.compare_digest(client.secret_hash, tokens.hash_secret(secret)):
            return client
    return None


def _pkce_ok(verifier, challenge):
    if not VERIFIER_RE.match(verifier or ""):
        return False
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return hmac.compare_digest(digest, challenge)


@csrf_exempt
@require_http_methods(["POST"])
def token(request):
    account_id = _account_of(request)
    fault, sleep = state.token_fault(account_id)
    if sleep:
        time.sleep(sleep)
    if fault == "500":
        return _oauth_error("server_error", "Injected fault.", status=500)
    resp = _token(request)
    if resp.status_code == 200:
        lost = fault or state.token_answer_fault(account_id)  # fault "lose": an outage's first request
        if lost == "lose":
            return _oauth_error("server_error", "Injected fault: the answer was lost.", status=500)
        if lost == "drop":
            drop_connection(request)
    return resp


def _account_of(request):
    """The account whose grant a token request is about (None if unknown), for faults set per account."""
    if request.POST.get("grant_type") == "refresh_token":
        found = RefreshToken.objects.filter(
            token_hash=tokens.token_hash(request.POST.get("refresh_token") or "")
        )
        return found.values_list("grant__account_id", flat=True).first()
    found = AuthorizationCode.objects.filter(code_hash=tokens.token_hash(request.POST.get("code") or ""))
    return found.values_list("account_id", flat=True).first()


def _token(request):
    client = authenticate_client(request)
    if client is None:
        return _oauth_error("invalid_client", "Client authentication failed.", status=401)
    grant_type = request.POST.get("grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(request, client)
    if grant_type == "refresh_token":
        presented = request.POST.get("refresh_token")
        if not presented:
            return _oauth_error("invalid_request", "refresh_token is required.")
        pair, problem = tokens.refresh(client, presented)
        if problem:
            return _oauth_error("invalid_grant", problem)
        grant = RefreshToken.objects.get(token_hash=tokens.token_hash(presented)).grant
        state.count(grant.account_id, "token_refreshes")
        return _token_response(pair)
    return _oauth_error("unsupported_grant_type", "Use authorization_code or refresh_token.")


def drop_connection(request):
    """Close the client's connection with no answer (the work is done): gunicorn hands the socket over;
    writing the response afterwards fails with EPIPE, which gunicorn ignores."""
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        raise RuntimeError("token_drop_next and drop_rate need gunicorn (python -m sandbox serve)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _token_response(pair):
    resp = JsonResponse(pair)
    resp["Cache-Control"] = "no-store"
    resp["Pragma"] = "no-cache"
    return resp


def _exchange_code(request, client):
    code, redirect_uri, verifier = (request.POST.get(k) for k in ("code", "redirect_uri", "code_verifier"))
    if not code or not redirect_uri:
        return _oauth_error("invalid_request", "code and redirect_uri are required.")
    if not verifier:
        return _oauth_error("invalid_request", "code_verifier is required (PKCE).")
    with transaction.atomic():
        ac = (
            AuthorizationCode.objects.filter(code_hash=tokens.token_hash(code))
            .select_related("grant")
            .first()
        )
        if ac is None or ac.client_id != client.client_id:
            return _oauth_error("invalid_grant", "Unknown authorization code.")
        if ac.used_at is not None:
            if ac.grant is not None:
                tokens.revoke_grant(ac.grant, "code_reuse")
            return _oauth_error("invalid_grant", "The authorization code was already used.")
        ac.used_at = timezone.now()
        ac.save(update_fields=["used_at"])
        if ac.expires_at <= timezone.now():
            return _oauth_error("invalid_grant", "The authorization code has expired.")
        if ac.redirect_uri != redirect_uri:
            return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
        if not _pkce_ok(verifier, ac.code_challenge):
            return _oauth_error("invalid_grant", "code_verifier does not match the code_challenge.")
        grant = Grant.objects.create(account=ac.account, client=client, scope=ac.scope)
        ac.grant = grant
        ac.save(update_fields=["grant"])
        pair = tokens.issue_pair(grant)
    return _token_response(pair)


@csrf_exempt
@require_http_methods(["POST"])
def revoke(request):
    client = authenticate_client(request)
    if client is None:
        return _oauth_error("invalid_client", "Client authentication failed.", status=401)
    presented = request.POST.get("token")
    if not presented:
        return _oauth_error("invalid_request", "token is required.")
    h = tokens.token_hash(presented)
    grant = None
    hint = request.POST.get("token_type_hint")
    lookups = (RefreshToken, AccessToken) if hint == "refresh_token" else (AccessToken, RefreshToken)
    for model in lookups:
        found = model.objects.filter(token_hash=h).select_related("grant").first()
        if found:
            grant = found.grant
            break
    if grant is not None and grant.client_id == client.client_id:
        with transaction.atomic():
            tokens.revoke_grant(grant, "revoked_by_client")
    resp = JsonResponse({}, status=200)
    resp["Cache-Control"] = "no-store"
    return resp
