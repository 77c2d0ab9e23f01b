"""The one function that hands out a valid Pic-Time access token for a connection.

Refresh tokens rotate and a spent one, presented again after 30 s, revokes the whole grant; so
concurrent refreshes must not happen. The refresh runs under a row lock, re-checks expiry after
taking it (another worker may have refreshed meanwhile), and saves the rotated pair in the same
transaction. Only an `invalid_grant`, confirmed by re-reading the row, marks the connection as
needing reconnection; a timeout or a 5xx leaves it connected, to be tried again.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.errors import NeedsReconnection, NotConnected
from pictime.models import Connection
from pictime.oauth import oauth_client

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)


def _fresh(connection: Connection) -> bool:
    expires = connection.access_token_expires_at
    return bool(connection.access_token and expires and expires - REFRESH_MARGIN > timezone.now())


def _usable(connection: Connection) -> None:
    if connection.integration.status != CompanyIntegration.Status.CONNECTED or not connection.refresh_token:
        raise NotConnected.of(connection)


def get_access_token(connection_id: int) -> str:
    connection = Connection.objects.select_related("integration").get(pk=connection_id)
    _usable(connection)
    if _fresh(connection):
        return connection.access_token

    spent_refresh_token = None
    try:
        with transaction.atomic():
            connection = (
                Connection.objects.select_for_update().select_related("integration").get(pk=connection_id)
            )
            _usable(connection)
            if _fresh(connection):
                return connection.access_token  # refreshed by someone else while we waited
            spent_refresh_token = connection.refresh_token
            tokens = oauth_client(company=connection.company_id).refresh(spent_refresh_token)
            connection.access_token = tokens.access_token
            connection.refresh_token = tokens.refresh_token
            connection.access_token_expires_at = tokens.expires_at
            connection.scope = tokens.scope or connection.scope
            connection.save(
                update_fields=["access_token", "refresh_token", "access_token_expires_at", "scope"]
            )
            log.info("pictime.token.refreshed", extra={"company": connection.company_id})
            return connection.access_token
    except NeedsReconnection as error:
        _mark_needs_reconnection(connection_id, spent_refresh_token, str(error))
        raise


def _mark_needs_reconnection(connection_id, spent_refresh_token, reason):
    """Marks the grant as lost, unless the row shows it was rotated or replaced meanwhile."""
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update().select_related("integration").get(pk=connection_id)
        )
        if spent_refresh_token is None or connection.refresh_token != spent_refresh_token:
            return
        integration = connection.integration
        integration.status = CompanyIntegration.Status.NEEDS_RECONNECTION
        integration.last_error = f"Pic-Time refused the saved authorization: {reason}"[:1000]
        integration.save(update_fields=["status", "last_error", "updated_at"])
        log.warning("pictime.token.needs_reconnection", extra={"company": connection.company_id})
