"""Connecting a company's Pic-Time account, its settings, and disconnecting it."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.errors import PicTimeError
from pictime.models import Connection, GalleryLink, touch_company
from pictime.oauth import oauth_client
from pictime.schemas import WEBHOOK_EVENT_TYPES as WEBHOOK_EVENTS
from pictime.schemas import TokenSet
from pictime.signals import connected

log = logging.getLogger(__name__)


def begin_authorization() -> tuple[str, str, str]:
    """(url, state, code_verifier): send the browser to url; keep state and verifier in the session."""
    url, state, verifier = oauth_client().create_authorization()
    if settings.PICTIME_PUBLIC_URL and url.startswith(settings.PICTIME_BASE_URL):
        url = settings.PICTIME_PUBLIC_URL + url[len(settings.PICTIME_BASE_URL) :]
    return url, state, verifier


@dataclass(frozen=True)
class ConnectResult:
    connection: Connection
    switched_account: bool  # a different Pic-Time account than the one the links were made with
    webhook_ok: bool


def complete_connection(*, company, params, expected_state, code_verifier) -> ConnectResult:
    """Finishes OAuth: checks the callback's state, exchanges the code, then connects the account.

    Raises a PicTimeError (AccessDenied, OAuthError, NeedsReconnection, Unavailable…) and changes
    nothing when any step before saving fails.
    """
    oauth = oauth_client(company=company.pk)
    code = oauth.parse_callback(params, expected_state)
    return connect_account(company=company, tokens=oauth.exchange_code(code, code_verifier))


def connect_account(*, company, tokens: TokenSet) -> ConnectResult:
    """Saves a new grant: reads the account, stores the tokens encrypted, reactivates the links of
    that account (and deactivates another account's), subscribes to webhooks."""
    unsaved = Connection(company=company)  # nothing is stored before Pic-Time shows the account
    account = unsaved.api(access_token=tokens.access_token).get_account()

    with transaction.atomic():
        integration, _ = CompanyIntegration.objects.select_for_update().get_or_create(
            company=company, provider="pictime"
        )
        connection = Connection.objects.for_company(company).select_for_update().first()
        old_account = connection.account_id if connection else ""
        old_grant = connection.refresh_token if connection else ""
        if connection is None:
            connection = Connection(company=company)
        # One object: what is saved here is what subscribe_webhooks (and the caller) read below, not
        # the status select_related loaded before this change.
        connection.integration = integration
        connection.account_id = account.id
        connection.account_name = account.name
        connection.account_email = account.email or ""
        connection.plan = account.plan or ""
        connection.brands = [{"id": b.id, "name": b.name} for b in account.brands]
        connection.presets = [{"id": p.id, "name": p.name} for p in account.presets]
        if connection.default_brand_id not in {b.id for b in account.brands}:
            connection.default_brand_id = account.brands[0].id if account.brands else ""
        if connection.default_preset_id not in {p.id for p in account.presets}:
            connection.default_preset_id = account.presets[0].id if account.presets else ""
        connection.access_token = tokens.access_token
        connection.refresh_token = tokens.refresh_token
        connection.access_token_expires_at = tokens.expires_at
        connection.scope = tokens.scope or ""
        connection.refresh_sent_at = connection.refresh_retry_until = None  # a new grant: never sent
        connection.connected_at = timezone.now()
        switched = bool(old_account and old_account != account.id)
        if switched:
            # Another account's settings and webhook don't apply to this one.
            connection.auto_create_enabled = False
            connection.auto_create_enabled_at = None
            connection.webhook_id = ""
            connection.webhook_secret = ""
            connection.orders_synced_until = None  # the other account's clock: read this one's anew
        connection.save()
        integration.status = CompanyIntegration.Status.CONNECTED
        integration.last_error = ""
        integration.connected_at = connection.connected_at
        integration.save()
        links = GalleryLink.objects.filter(company=company)
        links.filter(account_id=account.id).update(is_active=True)
        links.exclude(account_id=account.id).update(is_active=False)
        touch_company(company.pk)  # every panel shows the status
    if old_grant and old_grant != tokens.refresh_token:
        # A reconnect replaces the previous grant, of this account or of the one switched from; its
        # webhook subscriptions go with it, so only the new grant's remains.
        _revoke_quietly(old_grant, company.pk)
    webhook_ok = subscribe_webhooks(connection)
    connected.send(sender=Connection, connection=connection)  # waiting auto-creates, the first sync
    return ConnectResult(connection=connection, switched_account=switched, webhook_ok=webhook_ok)


def subscribe_webhooks(connection: Connection) -> bool:
    """Subscribes this connection's webhook URL; keeps the secret encrypted. False if Pic-Time failed
    (the periodic sync keeps galleries current meanwhile; reconnecting subscribes again)."""
    try:
        api = connection.api()
        url = connection.webhook_url
        for existing in api.list_webhooks():
            if existing.url == url:
                api.delete_webhook(existing.id)  # its secret is only shown at creation
        subscription = api.create_webhook(url, WEBHOOK_EVENTS)
    except PicTimeError as error:
        log.warning(
            "pictime.webhook.subscribe_failed", extra={"company": connection.company_id, "error": str(error)}
        )
        # Said beside "Connected" only while this grant is the connected one (a line belongs to the
        # state it describes; connecting again clears it).
        CompanyIntegration.objects.filter(
            pk=connection.integration_id, status=CompanyIntegration.Status.CONNECTED
        ).update(last_error=f"Couldn't subscribe to Pic-Time's webhooks: {error.user_message}")
        return False
    connection.webhook_id = subscription.id
    connection.webhook_secret = subscription.secret or ""
    connection.save(update_fields=["webhook_id", "webhook_secret", "updated_at"])
    return True


def _revoke_quietly(refresh_token: str, company_id: int) -> bool:
    try:
        oauth_client(company=company_id).revoke(refresh_token)
    except PicTimeError as error:
        log.warning("pictime.revoke_failed", extra={"company": company_id, "error": str(error)})
        return False
    return True


def disconnect(connection: Connection) -> bool:
    """Revokes the grant at Pic-Time (which drops its webhook subscriptions), forgets the tokens,
    stops syncs. Links stay, inactive, until the same account connects again.

    Returns whether Pic-Time confirmed the revocation (the CRM disconnects either way).
    """
    revoked = True
    if connection.refresh_token:
        if connection.webhook_id:
            try:
                connection.api().delete_webhook(connection.webhook_id)
            except PicTimeError:
                pass  # revoking the grant deletes its subscriptions too
        revoked = _revoke_quietly(connection.refresh_token, connection.company_id)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        connection.access_token = ""
        connection.refresh_token = ""
        connection.access_token_expires_at = None
        connection.refresh_sent_at = connection.refresh_retry_until = None
        connection.webhook_id = ""
        connection.webhook_secret = ""
        # Auto-create galleries and the other settings are kept for when the same account connects
        # again (a first payment meanwhile waits for the reconnection); another account resets them.
        connection.save()
        CompanyIntegration.objects.filter(pk=connection.integration_id).update(
            status=CompanyIntegration.Status.DISCONNECTED,
            last_error="" if revoked else "Pic-Time could not be told; the grant will expire there.",
            updated_at=timezone.now(),
        )
        GalleryLink.objects.filter(company_id=connection.company_id).update(is_active=False)
        touch_company(connection.company_id)
    return revoked


def set_auto_create(connection: Connection, enabled: bool) -> Connection:
    """Turning it on records when: only projects first paid from then on get a gallery."""
    if enabled and not connection.is_connected:
        raise ValueError("Connect Pic-Time before turning on Auto-create galleries.")
    if enabled and not connection.auto_create_enabled:
        connection.auto_create_enabled_at = timezone.now()
    connection.auto_create_enabled = enabled
    connection.save(update_fields=["auto_create_enabled", "auto_create_enabled_at", "updated_at"])
    return connection


def save_gallery_defaults(
    connection: Connection, *, brand_id: str, preset_id: str, portal_intro: str
) -> Connection:
    connection.default_brand_id = brand_id
    connection.default_preset_id = preset_id
    connection.portal_intro = portal_intro
    connection.save(update_fields=["default_brand_id", "default_preset_id", "portal_intro", "updated_at"])
    return connection


def save_ready_email(
    connection: Connection, *, enabled: bool, subject: str, message: str, signoff: str
) -> Connection:
    connection.ready_email_enabled = enabled
    connection.ready_email_subject = subject
    connection.ready_email_message = message
    connection.ready_email_signoff = signoff
    connection.save(
        update_fields=[
            "ready_email_enabled",
            "ready_email_subject",
            "ready_email_message",
            "ready_email_signoff",
            "updated_at",
        ]
    )
    return connection
