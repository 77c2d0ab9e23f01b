"""Process-local run state: faults, the rate limiter and counters.

The sandbox runs as ONE process (gunicorn, 1 worker, many threads; or runserver): every piece of state
here is guarded by a lock so that it is right across threads.
"""

import math
import random
import threading
import time
from collections import defaultdict

from django.conf import settings

FAULT_DEFAULTS = {
    "latency_ms": 0,  # added to every /api/v2 and /oauth/token request
    "error_rate": 0.0,  # share (0..1) of /api/v2 requests answered 500
    "fail_next": 0,  # the next N /api/v2 requests answered 500
    "rate_limit_next": 0,  # the next N /api/v2 requests answered 429
    "retry_after": 1,  # Retry-After (seconds) of those forced 429s
    "rate_limit_rate": 0.0,  # share of /api/v2 requests answered 429 with that Retry-After
    # Lost answers on /api/v2: a share of requests is carried out (a gallery is made), then the
    # client gets a 500 (lose) or the connection closed with no answer at all (drop).
    "lose_rate": 0.0,
    "drop_rate": 0.0,
    "hang_seconds": 0.0,  # EVERY /api/v2 request hangs this long before its answer
    "hang_next": 0,  # only the next N /api/v2 requests hang ...
    "hang_next_seconds": 30.0,  # ... this long
    "token_ttl": None,  # lifetime (s) of new access tokens instead of 3600
    "code_ttl": None,  # lifetime (s) of new authorization codes instead of 60
    "refresh_grace": None,  # seconds a spent refresh token gives the same pair again, instead of 30
    "token_fail_next": 0,  # the next N /oauth/token requests answered 500
    "token_error_rate": 0.0,  # share of /oauth/token requests answered 500
    "token_hang_seconds": 0.0,  # every /oauth/token request sleeps this long first
    # Lost answers on /oauth/token: the next N successful answers are carried out (a refresh rotates),
    # then the client gets a 500 (lose) or the connection closed with no answer at all (drop).
    "token_lose_next": 0,
    "token_drop_next": 0,
    # An outage of /oauth/token: for this many seconds from the next request, every request is
    # answered 500; the first one is carried out first (a refresh rotates), so its answer is lost.
    "token_down_seconds": 0.0,
}
# The /oauth/token faults, which may also be set for one account's grants only (``account_id``), so
# that another test's or studio's token requests never take them.
TOKEN_FAULTS = tuple(k for k in FAULT_DEFAULTS if k.startswith("token_") and k != "token_ttl")
_TYPES = {k: (float if isinstance(v, float) else int) for k, v in FAULT_DEFAULTS.items()}
_TYPES["token_ttl"] = int
_TYPES["code_ttl"] = int
_TYPES["refresh_grace"] = float

_lock = threading.Lock()
_faults = dict(FAULT_DEFAULTS)
_account_faults = {}  # account id -> its own TOKEN_FAULTS values
_down_until = {}  # None (every account) or an account id -> monotonic end of its token outage


def init_faults():
    set_faults(settings.SANDBOX_FAULTS)


def _scope(account_id):
    """The fault values that apply to a token request of this account (lock held)."""
    if account_id is not None and account_id in _account_faults:
        return _account_faults[account_id], account_id
    return _faults, None


def get_faults(account_id=None):
    with _lock:
        if account_id is None:
            return dict(_faults)
        return dict(
            _account_faults.get(account_id) or dict.fromkeys(TOKEN_FAULTS, 0) | {"account_id": account_id}
        )


def set_faults(values, account_id=None):
    """Merge validated values into the active faults (of one account's token requests when
    ``account_id`` is given); raise ValueError on an unknown key or bad value."""
    allowed = TOKEN_FAULTS if account_id is not None else FAULT_DEFAULTS
    clean = {}
    for key, value in (values or {}).items():
        if key not in allowed:
            raise ValueError(f"unknown fault {key!r}" + (" for an account" if key in FAULT_DEFAULTS else ""))
        if value is None:
            clean[key] = FAULT_DEFAULTS[key]
            continue
        try:
            value = _TYPES[key](value)
        except (TypeError, ValueError):
            raise ValueError(f"bad value for {key!r}") from None
        if value < 0 or (key.endswith("_rate") and value > 1):
            raise ValueError(f"bad value for {key!r}")
        clean[key] = value
    with _lock:
        if account_id is None:
            target = _faults
        else:
            target = _account_faults.setdefault(account_id, {k: FAULT_DEFAULTS[k] for k in TOKEN_FAULTS})
        target.update(clean)
        if "token_down_seconds" in clean:
            _down_until.pop(account_id, None)  # a new outage starts at the next request
        return dict(target)


def clear_faults():
    with _lock:
        _faults.clear()
        _faults.update(FAULT_DEFAULTS)
        _account_faults.clear()
        _down_until.clear()
        return dict(_faults)


def _take(counter, faults=None):
    with _lock:
        faults = _faults if faults is None else faults
        if faults[counter] > 0:
            faults[counter] -= 1
            return True
        return False


def api_fault():
    """Decide the fault of one /api/v2 request: (kind, value) or None, plus seconds to sleep."""
    f = get_faults()
    sleep = f["latency_ms"] / 1000.0
    if _take("hang_next"):
        sleep += f["hang_next_seconds"]
    else:
        sleep += f["hang_seconds"]
    if _take("rate_limit_next"):
        return ("429", max(1, f["retry_after"])), sleep
    if _take("fail_next"):
        return ("500", None), sleep
    if _chance(f["rate_limit_rate"]):
        return ("429", max(1, f["retry_after"])), sleep
    if _chance(f["error_rate"]):
        return ("500", None), sleep
    return None, sleep


def _chance(rate: float) -> bool:
    return rate > 0 and random.random() < rate


def api_answer_fault():
    """After a /api/v2 request was carried out: "lose" (answered 500), "drop" (no answer) or None."""
    f = get_faults()
    draw = random.random()
    if draw < f["lose_rate"]:
        return "lose"
    if draw < f["lose_rate"] + f["drop_rate"]:
        return "drop"
    return None


def _token_outage(faults, scope):
    """ "lose" (the outage's first request), "500" (during it) or None (lock held)."""
    seconds = faults["token_down_seconds"]
    if seconds <= 0:
        return None
    now = time.monotonic()
    until = _down_until.get(scope)
    if until is None:
        _down_until[scope] = now + seconds
        return "lose"
    if now < until:
        return "500"
    faults["token_down_seconds"] = 0.0  # over: Pic-Time answers again
    del _down_until[scope]
    return None


def token_fault(account_id=None):
    """Decide the fault of one /oauth/token request of this account's grant (None: unknown): "500"
    (not carried out), "lose" (carried out, then answered 500) or None, plus seconds to sleep."""
    with _lock:
        faults, scope = _scope(account_id)
        sleep = _faults["latency_ms"] / 1000.0 + faults["token_hang_seconds"]
        outage = _token_outage(faults, scope)
    if outage is not None:
        return outage, sleep
    if _take("token_fail_next", faults):
        return "500", sleep
    if _chance(faults["token_error_rate"]):
        return "500", sleep
    return None, sleep


def token_answer_fault(account_id=None):
    """After a successful /oauth/token: "lose", "drop" or None (the next-N counters are spent here)."""
    with _lock:
        faults, _ = _scope(account_id)
    if _take("token_lose_next", faults):
        return "lose"
    if _take("token_drop_next", faults):
        return "drop"
    return None


def access_token_ttl():
    ttl = get_faults()["token_ttl"]
    return 3600 if ttl is None else ttl


def code_ttl():
    ttl = get_faults()["code_ttl"]
    return 60 if ttl is None else ttl


def refresh_grace():
    grace = get_faults()["refresh_grace"]
    return 30.0 if grace is None else grace


# ---------------------------------------------------------------- rate limit

_rl_lock = threading.Lock()
_rate = {"per_sec": None, "burst": None}
# account_id -> [tokens, last_refill, blocked_until, block_retry_after]
_buckets = {}


def rate_config():
    with _rl_lock:
        per_sec = _rate["per_sec"] if _rate["per_sec"] is not None else settings.SANDBOX_RATE_PER_SEC
        burst = _rate["burst"] if _rate["burst"] is not None else settings.SANDBOX_RATE_BURST
    return {"per_sec": per_sec, "burst": burst}


def set_rate(per_sec=None, burst=None):
    with _rl_lock:
        _rate["per_sec"], _rate["burst"] = per_sec, burst
        _buckets.clear()
    return rate_config()


def _bucket(account_id, burst, now):
    bucket = _buckets.get(account_id)
    if bucket is None:
        bucket = _buckets[account_id] = [float(burst), now, 0.0, 0]
    return bucket


def rate_check(account_id):
    """Take one token for the account. Return (allowed, remaining, retry_after_seconds, limit, in_block).

    Any 429 blocks the whole account until its Retry-After (as Pic-Time does); a request during the
    block is refused and pushes the block a full Retry-After further, so a client that ignores it
    (or whose other processes don't know) keeps itself locked out.
    """
    cfg = rate_config()
    per_sec, burst = float(cfg["per_sec"]), int(cfg["burst"])
    now = time.monotonic()
    with _rl_lock:
        bucket = _bucket(account_id, burst, now)
        tokens, last, blocked_until, block_retry_after = bucket
        tokens = min(float(burst), tokens + (now - last) * per_sec)
        bucket[0], bucket[1] = tokens, now
        if now < blocked_until:
            bucket[2] = max(blocked_until, now + block_retry_after)
            return False, int(tokens), max(1, math.ceil(bucket[2] - now)), per_sec, True
        if tokens >= 1:
            bucket[0] = tokens - 1
            return True, int(bucket[0]), 0, per_sec, False
        wait = (1 - tokens) / per_sec if per_sec > 0 else 3600
        retry_after = max(1, math.ceil(wait))
        bucket[2], bucket[3] = now + retry_after, retry_after
        return False, 0, retry_after, per_sec, False


def block(account_id, retry_after):
    """A 429 answered for another reason (an injected one) blocks the account the same way."""
    burst = int(rate_config()["burst"])
    now = time.monotonic()
    with _rl_lock:
        bucket = _bucket(account_id, burst, now)
        bucket[2], bucket[3] = max(bucket[2], now + retry_after), retry_after


# ---------------------------------------------------------------- counters

STAT_KEYS = (
    "api_requests",
    "token_refreshes",  # successful refreshes, grace replays included
    "rate_limited",  # every 429 answered
    "refused_during_block",  # of those, requests sent while the account was blocked by an earlier 429
    "grace_replays",  # refreshes answered from the grace (a spent refresh token presented again in time)
    "refresh_reuse",  # spent refresh tokens presented after the grace: the grant was revoked
    "answers_lost",  # /api/v2 requests carried out whose answer was replaced by a 500 or dropped
)
_stats_lock = threading.Lock()
_stats = defaultdict(lambda: dict.fromkeys(STAT_KEYS, 0))


def count(account_id, key):
    with _stats_lock:
        _stats[account_id][key] += 1


def stats(account_id=None):
    with _stats_lock:
        if account_id is not None:
            return dict(_stats.get(account_id) or dict.fromkeys(STAT_KEYS, 0))
        total = dict.fromkeys(STAT_KEYS, 0)
        for values in _stats.values():
            for k, v in values.items():
                total[k] += v
        return total
