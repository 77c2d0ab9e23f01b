"""One rate limit per Pic-Time account, shared by every process of the CRM (web, workers, beat).

Pic-Time allows an account 10 requests/s with bursts of 20 (a token bucket), and a 429 blocks the
whole account until its Retry-After ends; a request sent meanwhile is refused and may push the
block further. So before every call the client asks :meth:`AccountLimit.acquire`: ``0`` means a
token was taken and the call may go; a positive number is the seconds to wait (nothing was taken).
The caller never sleeps a web request: a page says "Pic-Time is busy", a task reschedules itself.

State per account: ``tokens`` (refilled at ``rate`` up to ``burst``), ``blocked`` (the end of the
last Retry-After) and ``promised`` (the last turn given to a caller told to wait): 200 waiting jobs
are given 200 turns a token apart, and a newcomer waits behind them rather than taking the token a
returning caller was promised. For background work, ``inflight`` and ``last`` (see
:meth:`AccountLimit._spacing`).

Where it lives: Redis (one small Lua script, atomic, with Redis's clock) when the broker is Redis,
as in production; otherwise, under the embedded defaults, a database row updated under a lock.
pyrate-limiter (in the lock) was considered: its buckets only count requests, they have no
account-wide block until a Retry-After, no turns promised to waiting callers, no in-flight spacing.
A little headroom (``PICTIME_RATE_LIMIT_HEADROOM``) is kept below Pic-Time's figures: a request
delayed on its way arrives later than it was counted here, and bursts must not add up there.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

__all__ = ["AccountLimit", "for_account"]

KEY_PREFIX = "pictime:ratelimit:"
KEY_TTL_SECONDS = 3600  # an idle account's state is forgotten (a full bucket)
# No request stays on its way longer than the client's timeouts (3.05 + 10 s): one whose process died
# before its answer stops holding the account's background requests back after this long.
IN_FLIGHT_SECONDS = 15

# KEYS[1] = the account's hash; ARGV = op, rate, burst, value, ttl, spacing, returning, now. Returns
# the wait (seconds) as text.
# Times come from Redis (TIME), so every process shares one clock; a test's clock gives ARGV[8].
_SCRIPT = """
local key = KEYS[1]
local op = ARGV[1]
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local value = tonumber(ARGV[4])
local spacing = tonumber(ARGV[6])
local returning = ARGV[7] == '1'
local now = tonumber(ARGV[8])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local h = redis.call('HMGET', key, 'tokens', 'ts', 'blocked', 'promised', 'rate', 'last', 'inflight')
rate = tonumber(h[5]) or rate
local tokens = tonumber(h[1]) or burst
local ts = tonumber(h[2]) or now
local blocked = tonumber(h[3]) or 0
local promised = tonumber(h[4]) or 0
local last = tonumber(h[6]) or 0
local inflight = tonumber(h[7]) or 0
if now - last > 15 then inflight = 0 end  -- IN_FLIGHT_SECONDS: no request stays on its way longer
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if op == 'acquire' then
  if spacing > 0 and inflight > 0 then
    wait = spacing
  elseif now < blocked and returning then
    wait = blocked - now
  elseif now < blocked or (not returning and now < promised) or tokens < 1 then
    if returning then
      wait = (1 - tokens) / rate
    else  -- a turn after every one promised: the time the bucket has a token for it
      local turn = math.max(now + (1 - tokens) / rate, promised + 1 / rate, blocked)
      promised = turn
      wait = turn - now
    end
  else
    tokens = tokens - 1
    if spacing > 0 then
      last = now
      inflight = inflight + 1
    end
  end
elseif op == 'block' then
  blocked = math.max(blocked, now + value)
  tokens = 0
elseif op == 'remaining' then
  tokens = math.min(tokens, value)
elseif op == 'rate' then
  rate = value
elseif op == 'release' then
  inflight = math.max(0, inflight - 1)
end
redis.call('HSET', key, 'tokens', tokens, 'ts', now, 'blocked', blocked, 'promised', promised,
  'rate', rate, 'last', last, 'inflight', inflight)
redis.call('EXPIRE', key, tonumber(ARGV[5]))
return tostring(math.max(0, wait))
"""


class AccountLimit:
    """The shared limit of one Pic-Time account, as the client uses it (see ``PicTimeClient``).

    ``returning``: this caller was told a turn before and comes back for it (a job rescheduled by
    the limit, the sync's next try); it is not put behind those promised after it. ``clock``: the
    seconds now, for a test (by default Redis's clock, or the database path's ``time.time``)."""

    def __init__(
        self,
        account_id: str,
        *,
        background: bool = False,
        returning: bool = False,
        clock: Callable[[], float] | None = None,
    ):
        headroom = 1 - settings.PICTIME_RATE_LIMIT_HEADROOM
        self.account_id = account_id
        self.background = background
        self.returning = returning
        self.rate = settings.PICTIME_RATE_LIMIT_PER_SECOND * headroom
        self.burst = max(1.0, math.floor(settings.PICTIME_RATE_LIMIT_BURST * headroom))
        self._headroom = headroom
        self.clock = clock

    def acquire(self) -> float:
        """Takes a token and returns 0, or returns the seconds until this caller's turn."""
        wait = self._apply("acquire", 0)
        self.returning = wait > 0  # the same caller asking again comes for the turn it was given
        return wait

    def block(self, seconds: float) -> None:
        """Pic-Time answered 429: nobody sends to this account for ``seconds``."""
        self._apply("block", float(seconds))

    def release(self) -> None:
        """The request let through by ``acquire`` is answered (or failed): no longer on its way."""
        if self.background:
            self._apply("release", 0)

    def observe(self, limit: float | None, remaining: int | None) -> None:
        """Pic-Time's own figures from ``X-RateLimit-*``: its rate, and a bucket never fuller than its."""
        if limit:
            rate = float(limit) * self._headroom
            if abs(rate - self.rate) > 1e-9:
                self.rate = rate
                self._apply("rate", rate)
        if remaining is not None and remaining < self.burst:  # our bucket never holds more than that
            self._apply("remaining", float(remaining))

    def _spacing(self) -> float:
        # While a background request of the account is on its way, the next one waits for its
        # answer (asking again a token's time later): one sent meanwhile would land in the block
        # of a 429 that answer may be, however slow the answer is. One after another (the last one
        # answered) needs no gap. People behind a click keep the burst and don't wait for tasks.
        return 1 / self.rate if self.background else 0.0

    def _apply(self, op: str, value: float) -> float:
        if _redis_url():
            return self._apply_redis(op, value)
        return self._apply_database(op, value)

    def _apply_redis(self, op: str, value: float) -> float:
        script = _redis_script(_redis_url())
        now = "" if self.clock is None else repr(self.clock())
        args = [op, self.rate, self.burst, value, KEY_TTL_SECONDS, self._spacing(), int(self.returning), now]
        return float(script(keys=[KEY_PREFIX + self.account_id], args=args))

    def _apply_database(self, op: str, value: float) -> float:
        from pictime.models import AccountRateLimit

        # Its own short transaction (SQLite serialises it; PostgreSQL locks the one row). The same
        # steps as the Lua script above.
        with transaction.atomic():
            AccountRateLimit.objects.get_or_create(
                account_id=self.account_id,
                defaults={"tokens": self.burst, "updated": (self.clock or time.time)()},
            )
            row = AccountRateLimit.objects.select_for_update().get(account_id=self.account_id)
            now = (self.clock or time.time)()
            rate = row.per_second or self.rate
            tokens = min(self.burst, row.tokens + max(0.0, now - row.updated) * rate)
            blocked, promised, last, spacing = row.blocked_until, row.promised, row.last_sent, self._spacing()
            inflight = row.in_flight if now - last <= IN_FLIGHT_SECONDS else 0
            wait = 0.0
            if op == "acquire":
                if spacing and inflight:
                    wait = spacing
                elif now < blocked and self.returning:
                    wait = blocked - now
                elif now < blocked or (not self.returning and now < promised) or tokens < 1:
                    if self.returning:
                        wait = (1 - tokens) / rate
                    else:  # a turn after every one promised: the time the bucket has a token for it
                        promised = max(now + (1 - tokens) / rate, promised + 1 / rate, blocked)
                        wait = promised - now
                else:
                    tokens -= 1
                    if spacing:
                        last, inflight = now, inflight + 1
            elif op == "block":
                blocked = max(blocked, now + value)
                tokens = 0.0
            elif op == "remaining":
                tokens = min(tokens, value)
            elif op == "rate":
                rate = value
            elif op == "release":
                inflight = max(0, inflight - 1)
            AccountRateLimit.objects.filter(pk=row.pk).update(
                tokens=tokens,
                promised=promised,
                blocked_until=blocked,
                last_sent=last,
                in_flight=inflight,
                updated=now,
                per_second=rate,
            )
        return max(0.0, wait)


def for_account(account_id: str, *, background: bool = False, returning: bool = False) -> AccountLimit | None:
    """The limit of a connected account; None before the account is known (the first call).
    ``background``: a task's calls (see ``AccountLimit._spacing``); ``returning``: see AccountLimit."""
    return AccountLimit(account_id, background=background, returning=returning) if account_id else None


def _redis_url() -> str:
    url = settings.PICTIME_RATE_LIMIT_REDIS_URL
    return url if url.startswith(("redis://", "rediss://", "unix://")) else ""


@functools.cache
def _redis_script(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).register_script(_SCRIPT)
