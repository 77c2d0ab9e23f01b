"""Token storage: only hashes are kept; a rotated pair is sealed with the spent refresh token."""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import state
from .models import AccessToken, Grant, OAuthClient, RefreshToken, WebhookSubscription


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _keystream(key: str, length: int) -> bytes:
    out, counter = b"", 0
    while len(out) < length:
        out += hmac.new(key.encode(), counter.to_bytes(8, "big"), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(key: str, payload: dict) -> str:
    raw = json.dumps(payload).encode()
    return base64.b64encode(
        bytes(a ^ b for a, b in zip(raw, _keystream(key, len(raw)), strict=True))
    ).decode()


def unseal(key: str, sealed: str) -> dict:
    raw = base64.b64decode(sealed)
    return json.loads(bytes(a ^ b for a, b in zip(raw, _keystream(key, len(raw)), strict=True)))


def issue_pair(grant: Grant, expires_in: int | None = None) -> dict:
    ttl = state.access_token_ttl() if expires_in is None else int(expires_in)
    access = "pta_" + secrets.token_urlsafe(32)
    refresh = "ptr_" + secrets.token_urlsafe(32)
    now = timezone.now()
    AccessToken.objects.create(
        token_hash=token_hash(access), grant=grant, expires_at=now + timedelta(seconds=ttl)
    )
    RefreshToken.objects.create(token_hash=token_hash(refresh), grant=grant, created_at=now)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ttl,
        "refresh_token": refresh,
        "scope": grant.scope,
    }


def revoke_grant(grant: Grant, reason: str) -> None:
    Grant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    WebhookSubscription.objects.filter(grant=grant).delete()


def expire_access_tokens(account) -> int:
    """Pic-Time ends access tokens early (its clock, a rotation): every one issued so far answers 401."""
    return AccessToken.objects.filter(grant__account=account, expires_at__gt=timezone.now()).update(
        expires_at=timezone.now()
    )


@transaction.atomic
def revoke_account_grants(account, reason: str) -> int:
    grants = list(Grant.objects.filter(account=account, revoked_at__isnull=True))
    for grant in grants:
        revoke_grant(grant, reason)
    return len(grants)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(("client-secret:" + secret).encode()).hexdigest()


def register_client(client_id, client_secret, redirect_uris, name):
    client, _ = OAuthClient.objects.update_or_create(
        client_id=client_id,
        defaults={
            "secret_hash": hash_secret(client_secret),
            "redirect_uris": list(redirect_uris),
            "name": name,
        },
    )
    return client


def authenticate_bearer(header: str):
    """Return (grant, None) or (None, message)."""
    if not header or not header.startswith("Bearer "):
        return None, "Missing bearer token."
    token = header[7:].strip()
    try:
        at = AccessToken.objects.select_related("grant", "grant__account").get(token_hash=token_hash(token))
    except AccessToken.DoesNotExist:
        return None, "Unknown access token."
    if at.grant.revoked_at is not None:
        return None, "The grant was revoked."
    if at.expires_at <= timezone.now():
        return None, "The access token has expired."
    return at.grant, None


@transaction.atomic
def refresh(client: OAuthClient, presented: str):
    """Rotate a refresh token. Return (token_response, None) or (None, oauth_error_description)."""
    try:
        rt = RefreshToken.objects.select_related("grant").get(token_hash=token_hash(presented))
    except RefreshToken.DoesNotExist:
        return None, "Unknown refresh token."
    grant = rt.grant
    if grant.client_id != client.client_id:
        return None, "This refresh token was issued to another client."
    if grant.revoked_at is not None:
        return None, "The grant was revoked."
    now = timezone.now()
    if rt.rotated_at is None:
        pair = issue_pair(grant)
        rt.rotated_at = now
        rt.successor_sealed = seal(presented, pair)
        rt.save(update_fields=["rotated_at", "successor_sealed"])
        return pair, None
    if (now - rt.rotated_at).total_seconds() <= state.refresh_grace():
        state.count(grant.account_id, "grace_replays")
        return unseal(presented, rt.successor_sealed), None
    state.count(grant.account_id, "refresh_reuse")
    revoke_grant(grant, "refresh_token_reuse")
    return None, "The refresh token was already used: the grant is revoked."
