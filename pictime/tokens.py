"""The one place that hands out and refreshes a connection's Pic-Time access token.

Refresh tokens rotate and a spent one, presented again after 30 s, revokes the whole grant; so
concurrent refreshes must not happen. The refresh (:func:`refresh`) runs under the connection's row
lock, re-checks after taking it (another worker may have refreshed meanwhile), and saves the rotated
pair in the same transaction. It is used both by the clock (60 s before the stored expiry) and by a
401 (Pic-Time ended the token early), and in the second case only if the stored token is still the
one that failed.

A refresh whose answer was lost (timeout, 5xx, reset) is sent again with the same refresh token a
few times within 20 s, inside Pic-Time's 30 s grace, which answers it with the same new pair.
Only an ``invalid_grant``, or a 401 on a token just refreshed, marks the connection as needing
reconnection (after re-reading the row); after any successful refresh, auto-creates that waited for
a reconnection run again.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.errors import BadResponse, NeedsReconnection, NotConnected, Unavailable
from pictime.models import Connection
from pictime.oauth import oauth_client

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)

sleep = time.sleep  # one place to wait between refresh attempts


def _fresh(connection: Connection) -> bool:
    expires = connection.access_token_expires_at
    return bool(connection.access_token and expires and expires - REFRESH_MARGIN > timezone.now())


def _usable(connection: Connection) -> None:
    if connection.integration.status != CompanyIntegration.Status.CONNECTED or not connection.refresh_token:
        raise NotConnected.of(connection)


def get_access_token(connection_id: int) -> str:
    """A token valid for at least a minute by the stored clock (refreshed first if not)."""
    connection = Connection.objects.select_related("integration").get(pk=connection_id)
    _usable(connection)
    if _fresh(connection):
        return connection.access_token
    return refresh(connection_id)


def refresh(connection_id: int, failed_token: str | None = None) -> str:
    """Refreshes the connection's tokens unless someone else just did, and returns the access token.

    ``failed_token``: Pic-Time refused this token (a 401): refresh even if the stored clock says it
    is fresh, unless the stored token is another one already. Without it, refresh only when the
    stored token is about to expire.
    """
    spent_refresh_token = None
    try:
        with transaction.atomic():
            connection = (
                Connection.objects.select_for_update().select_related("integration").get(pk=connection_id)
            )
            _usable(connection)
            if failed_token is not None and connection.access_token != failed_token:
                return connection.access_token  # refreshed by someone else while we waited
            if failed_token is None and _fresh(connection):
                return connection.access_token
            spent_refresh_token = connection.refresh_token
            tokens = _rotate(connection, spent_refresh_token)
            connection.access_token = tokens.access_token
            connection.refresh_token = tokens.refresh_token
            connection.access_token_expires_at = tokens.expires_at
            connection.scope = tokens.scope or connection.scope
            connection.save(
                update_fields=["access_token", "refresh_token", "access_token_expires_at", "scope"]
            )
            log.info(
                "pictime.token.refreshed",
                extra={"company": connection.company_id, "forced": failed_token is not None},
            )
            _resume_waiting_work(connection)
            return connection.access_token
    except NeedsReconnection as error:
        if spent_refresh_token is not None:
            _mark_needs_reconnection(connection_id, str(error), refresh_token=spent_refresh_token)
        raise


def _rotate(connection: Connection, refresh_token: str):
    """Presents the refresh token; a lost answer is asked again (same token) within the grace."""
    oauth = oauth_client(company=connection.company_id)
    deadline = time.monotonic() + settings.PICTIME_REFRESH_RETRY_WINDOW_SECONDS
    delays = list(settings.PICTIME_REFRESH_RETRY_DELAYS)
    while True:
        try:
            return oauth.refresh(refresh_token)
        except (Unavailable, BadResponse) as error:
            delay = delays.pop(0) if delays else None
            if delay is None or time.monotonic() + delay > deadline:
                raise
            log.warning(
                "pictime.token.refresh_retry",
                extra={"company": connection.company_id, "error": str(error), "in_seconds": delay},
            )
            sleep(delay)


def rejected(connection_id: int, token: str) -> None:
    """Pic-Time refused a token right after the refresh that gave it: the grant is unusable."""
    _mark_needs_reconnection(
        connection_id, "Pic-Time refused a freshly refreshed access token", access_token=token
    )


class ConnectionTokens:
    """The client's ``TokenSource`` for one connection (see ``PicTimeClient``)."""

    def __init__(self, connection_id: int):
        self.connection_id = connection_id

    def refresh(self, failed_token: str) -> str:
        return refresh(self.connection_id, failed_token)

    def rejected(self, token: str) -> None:
        rejected(self.connection_id, token)


def _mark_needs_reconnection(connection_id, reason, *, refresh_token=None, access_token=None):
    """Marks the grant as lost, unless the row shows it was rotated or replaced meanwhile."""
    with transaction.atomic():
        connection = (
            Connection.objects.select_for_update().select_related("integration").get(pk=connection_id)
        )
        if refresh_token is not None and connection.refresh_token != refresh_token:
            return
        if access_token is not None and connection.access_token != access_token:
            return
        integration = connection.integration
        if integration.status != CompanyIntegration.Status.CONNECTED:
            return
        integration.status = CompanyIntegration.Status.NEEDS_RECONNECTION
        integration.last_error = f"Pic-Time refused the saved authorization: {reason}"[:1000]
        integration.save(update_fields=["status", "last_error", "updated_at"])
        log.warning("pictime.token.needs_reconnection", extra={"company": connection.company_id})


def _resume_waiting_work(connection: Connection) -> None:
    """The connection works: auto-creates parked for a reconnection run now (after commit)."""
    from pictime.services.queue import resume_waiting_jobs  # it queues tasks, which import us

    resume_waiting_jobs(connection)
