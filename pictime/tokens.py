"""The one place that hands out and refreshes a connection's Pic-Time access token.

Refresh tokens rotate and a spent one, presented again after 30 s, revokes the whole grant; so
concurrent refreshes must not happen. The refresh (:func:`refresh`) runs under the connection's row
lock, re-checks after taking it (another worker may have refreshed meanwhile), and saves the rotated
pair in the same transaction. It is used both by the clock (60 s before the stored expiry) and by a
401 (Pic-Time ended the token early), and in the second case only if the stored token is still the
one that failed.

Before a refresh token is first sent, the time is committed (``refresh_sent_at``): from then on it
may be spent, and it is never presented later than ``PICTIME_REFRESH_GRACE_SECONDS`` (25 s) after
that, inside Pic-Time's 30 s grace, which answers a spent token with the same new pair. A lost answer
(timeout, 5xx, reset) is asked again by the request a few times (``PICTIME_REFRESH_RETRY_DELAYS``);
if they are lost too, a worker (:func:`finish_refresh`) goes on asking until that margin is over,
and the request answers at once with ``RefreshRetrying`` ("Pic-Time is not answering, retrying"), as
does any request meanwhile. Only an ``invalid_grant``, a 401 on a token just refreshed, or a refresh
unanswered for the whole margin marks the connection as needing reconnection (after re-reading the
row); after any successful refresh, auto-creates that waited for a reconnection run again.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import CompanyIntegration
from pictime.errors import BadResponse, NeedsReconnection, NotConnected, RefreshRetrying, Unavailable
from pictime.models import Connection, touch_company
from pictime.oauth import oauth_client
from pictime.signals import grant_refreshed, refresh_unanswered

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(seconds=60)
REFUSED = "Pic-Time refused the saved authorization"
RETRYING = "A refresh whose answers were lost is being asked again"
UNANSWERED = "Pic-Time didn't answer a token refresh within its grace, so the token can't be sent again"

sleep = time.sleep  # one place to wait between refresh attempts


def _fresh(connection: Connection) -> bool:
    expires = connection.access_token_expires_at
    return bool(connection.access_token and expires and expires - REFRESH_MARGIN > timezone.now())


def _usable(connection: Connection) -> None:
    if connection.integration.status != CompanyIntegration.Status.CONNECTED or not connection.refresh_token:
        raise NotConnected.of(connection)


def _grace_ends(connection: Connection):
    """When the stored refresh token may no longer be presented (None: it was never sent)."""
    if connection.refresh_sent_at is None:
        return None
    return connection.refresh_sent_at + timedelta(seconds=settings.PICTIME_REFRESH_GRACE_SECONDS)


def access_token_of(connection: Connection) -> str:
    """The token of a connection just read (with its integration), when valid for at least a minute
    by the stored clock; else refreshed first (the refresh reads the row again, under its lock). No
    read of its own: a token rotated since the caller's read still works until it expires."""
    _usable(connection)
    if _fresh(connection):
        return connection.access_token
    return refresh(connection.pk)


def _settled(connection: Connection, failed_token: str | None, background: bool) -> str | None:
    """The access token when no refresh is needed (any more), else None."""
    if background:  # the worker finishes a refresh whose answers were lost, or nothing
        return connection.access_token if connection.refresh_sent_at is None else None
    if failed_token is not None:
        return connection.access_token if connection.access_token != failed_token else None
    return connection.access_token if _fresh(connection) else None


def _locked(connection_id: int) -> Connection:
    connection = Connection.objects.select_for_update().select_related("integration").get(pk=connection_id)
    _usable(connection)
    return connection


def refresh(connection_id: int, failed_token: str | None = None, *, background: bool = False) -> str:
    """Refreshes the connection's tokens unless someone else just did, and returns the access token.

    ``failed_token``: Pic-Time refused this token (a 401): refresh even if the stored clock says it
    is fresh, unless the stored token is another one already. Without it, refresh only when the
    stored token is about to expire. ``background``: the worker finishing a refresh whose answers
    were lost (:func:`finish_refresh`), one attempt.
    """
    if not background:
        # A worker is asking again (and may hold the row lock for an attempt): don't wait for it.
        connection = Connection.objects.select_related("integration").get(pk=connection_id)
        if connection.refresh_retrying and _settled(connection, failed_token, background) is None:
            raise RefreshRetrying(RETRYING, code="refresh_retrying")
    with transaction.atomic():
        connection = _locked(connection_id)
        if (token := _settled(connection, failed_token, background)) is not None:
            return token
        if connection.refresh_sent_at is None:
            # Committed before the send: a crash after it still counts the token as maybe spent.
            connection.refresh_sent_at = timezone.now()
            connection.save(update_fields=["refresh_sent_at"])
    spent_refresh_token = None
    try:
        with transaction.atomic():
            connection = _locked(connection_id)
            if (token := _settled(connection, failed_token, background)) is not None:
                return token
            spent_refresh_token = connection.refresh_token
            grace_ends = _grace_ends(connection)
            if timezone.now() >= grace_ends:
                raise NeedsReconnection(UNANSWERED, code="refresh_unanswered")
            if connection.refresh_retrying and not background:
                raise RefreshRetrying(RETRYING, code="refresh_retrying")
            if background:
                tokens = _rotate(connection, spent_refresh_token, grace_ends, [])
            else:  # the request's share; a worker takes over after it
                window = timezone.now() + timedelta(seconds=settings.PICTIME_REFRESH_RETRY_WINDOW_SECONDS)
                deadline = min(grace_ends, window)
                tokens = _rotate(
                    connection, spent_refresh_token, deadline, list(settings.PICTIME_REFRESH_RETRY_DELAYS)
                )
            connection.access_token = tokens.access_token
            connection.refresh_token = tokens.refresh_token
            connection.access_token_expires_at = tokens.expires_at
            connection.scope = tokens.scope or connection.scope
            if connection.refresh_retry_until is not None:  # the panels stop saying "retrying"
                touch_company(connection.company_id)
            connection.refresh_sent_at = connection.refresh_retry_until = None
            connection.save(
                update_fields=[
                    "access_token",
                    "refresh_token",
                    "access_token_expires_at",
                    "scope",
                    "refresh_sent_at",
                    "refresh_retry_until",
                ]
            )
            log.info(
                "pictime.token.refreshed",
                extra={"company": connection.company_id, "forced": failed_token is not None},
            )
            # Auto-creates parked for a reconnection run now (pictime.receivers; queued after commit).
            grant_refreshed.send(sender=Connection, connection=connection)
            return connection.access_token
    except NeedsReconnection as error:
        if spent_refresh_token is not None:
            reason = str(error) if error.code == "refresh_unanswered" else f"{REFUSED}: {error}"
            _mark_needs_reconnection(connection_id, reason, refresh_token=spent_refresh_token)
        raise
    except (Unavailable, BadResponse) as error:
        if spent_refresh_token is None or isinstance(error, RefreshRetrying):
            raise
        _hand_to_worker(connection_id, spent_refresh_token)
        raise RefreshRetrying(f"{RETRYING}: {error}", code="refresh_retrying") from error


def _rotate(connection: Connection, refresh_token: str, grace_ends, delays: list[float]):
    """Presents the refresh token; a lost answer is asked again (same token) after each of
    ``delays``, never at or after ``grace_ends``."""
    oauth = oauth_client(company=connection.company_id)
    while True:
        try:
            return oauth.refresh(refresh_token)
        except (Unavailable, BadResponse) as error:
            delay = delays.pop(0) if delays else None
            if delay is None or timezone.now() + timedelta(seconds=delay) >= grace_ends:
                raise
            log.warning(
                "pictime.token.refresh_retry",
                extra={"company": connection.company_id, "error": str(error), "in_seconds": delay},
            )
            sleep(delay)


def _hand_to_worker(connection_id: int, refresh_token: str) -> None:
    """The request gives up: a worker asks again until the grace's margin is over (once queued)."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if connection.refresh_token != refresh_token or connection.refresh_retry_until is not None:
            return  # rotated meanwhile, or a worker has it already
        connection.refresh_retry_until = _grace_ends(connection)
        connection.save(update_fields=["refresh_retry_until"])
        touch_company(connection.company_id)  # the panels say "retrying"
        log.warning("pictime.token.refresh_handed_to_worker", extra={"company": connection.company_id})
        refresh_unanswered.send(sender=Connection, connection=connection)  # pictime.receivers


def finish_refresh(connection_id: int) -> str:
    """The worker's part: asks again with the same refresh token every
    ``PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS`` until Pic-Time answers or the grace's margin is
    over (then the connection needs reconnection: the token is never presented again)."""
    while True:
        try:
            refresh(connection_id, background=True)
        except NeedsReconnection:  # NotConnected too: disconnected meanwhile
            return "needs_reconnection"
        except (Unavailable, BadResponse) as error:
            log.warning(
                "pictime.token.refresh_retry",
                extra={"connection": connection_id, "error": str(error), "background": True},
            )
            sleep(settings.PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS)
            continue
        return "refreshed"


def rejected(connection_id: int, token: str) -> None:
    """Pic-Time refused a token right after the refresh that gave it: the grant is unusable."""
    _mark_needs_reconnection(
        connection_id, f"{REFUSED}: Pic-Time refused a freshly refreshed access token", access_token=token
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
        integration.last_error = reason[:1000]
        integration.save(update_fields=["status", "last_error", "updated_at"])
        if connection.refresh_retry_until is not None:  # nothing is retried any more
            connection.refresh_retry_until = None
            connection.save(update_fields=["refresh_retry_until"])
        touch_company(connection.company_id)  # the panels say "reconnect"
        log.warning("pictime.token.needs_reconnection", extra={"company": connection.company_id})
