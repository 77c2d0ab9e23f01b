"""The Pic-Time client: the only code in the CRM that speaks HTTP to Pic-Time.

- :mod:`.transport` — the one ``_request`` every API call goes through: timeouts, the mapping of
  every failure to one typed :mod:`pictime.errors` exception, the account's rate-limit handshake,
  the 401-refresh-retry and the retry policy of paged reads (:class:`RetryPolicy`);
- :mod:`.resources` — :class:`PicTimeClient`, Pic-Time's REST API (``{base_url}/api/v2``): the
  account, galleries, orders and webhooks;
- :mod:`.oauth` — :class:`PicTimeOAuth`, authorization with PKCE, code exchange, refresh and
  revocation on Authlib's requests client.

Plain Python: no Django import (the answers' URL policy reads the settings, see pictime.schemas).
"""

from .oauth import PicTimeOAuth
from .resources import MAX_IDS, MAX_LIMIT, PicTimeClient
from .transport import (
    BACKGROUND,
    DEFAULT_TIMEOUT,
    NO_RETRY,
    Limiter,
    RateLimitInfo,
    RetryPolicy,
    TokenSource,
)

__all__ = [
    "BACKGROUND",
    "DEFAULT_TIMEOUT",
    "MAX_IDS",
    "MAX_LIMIT",
    "NO_RETRY",
    "Limiter",
    "PicTimeClient",
    "PicTimeOAuth",
    "RateLimitInfo",
    "RetryPolicy",
    "TokenSource",
]
