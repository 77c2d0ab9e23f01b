"""PicTimeClient's 401 and rate-limit handling against a network mocked with ``responses``: a 401
forces one refresh and one retry, a second 401 is reported, and the account's shared limit is asked
before anything is sent. The token source and the limit are small stand-ins of their protocols."""

import pytest

from pictime import errors
from pictime.client import PicTimeClient

BASE = "https://pictime.test"
API = BASE + "/api/v2"


@pytest.fixture
def account_json():
    return {"id": "acc_1", "name": "Jane", "email": "j@x.test", "plan": "pro", "brands": [], "presets": []}


def invalid_token():
    return {"status": 401, "json": {"error": {"code": "invalid_token", "message": "expired"}}}


class Tokens:
    def __init__(self, new_token="AT-new"):
        self.new_token = new_token
        self.refreshed, self.rejected_tokens = [], []

    def refresh(self, failed_token):
        self.refreshed.append(failed_token)
        return self.new_token

    def rejected(self, token):
        self.rejected_tokens.append(token)


class Limit:
    def __init__(self, waits=()):
        self.waits = list(waits)
        self.blocks, self.observed, self.released = [], [], 0

    def acquire(self):
        return self.waits.pop(0) if self.waits else 0.0

    def release(self):
        self.released += 1

    def block(self, seconds):
        self.blocks.append(seconds)

    def observe(self, limit, remaining):
        self.observed.append((limit, remaining))


def bearer(call):
    return call.request.headers["Authorization"]


def test_a_401_refreshes_once_and_retries_with_the_new_token(mocked, account_json):
    tokens = Tokens()
    client = PicTimeClient(BASE, "AT-old", tokens=tokens)
    mocked.get(API + "/account", **invalid_token())
    mocked.get(API + "/account", json=account_json)

    assert client.get_account().id == "acc_1"
    assert tokens.refreshed == ["AT-old"] and tokens.rejected_tokens == []
    assert [bearer(c) for c in mocked.calls] == ["Bearer AT-old", "Bearer AT-new"]
    assert client.requests_made == 2


def test_a_second_401_is_reported_and_not_retried_again(mocked):
    tokens = Tokens()
    client = PicTimeClient(BASE, "AT-old", tokens=tokens)
    mocked.get(API + "/account", **invalid_token())

    with pytest.raises(errors.NeedsReconnection):
        client.get_account()
    assert tokens.refreshed == ["AT-old"] and tokens.rejected_tokens == ["AT-new"]
    assert len(mocked.calls) == 2


def test_a_refresh_that_fails_stops_the_call(mocked):
    class Revoked(Tokens):
        def refresh(self, failed_token):
            raise errors.NeedsReconnection("invalid_grant", code="invalid_grant")

    client = PicTimeClient(BASE, "AT-old", tokens=Revoked())
    mocked.get(API + "/account", **invalid_token())
    with pytest.raises(errors.NeedsReconnection):
        client.get_account()
    assert len(mocked.calls) == 1


def test_without_a_token_source_a_401_is_needs_reconnection_at_once(mocked):
    mocked.get(API + "/account", **invalid_token())
    with pytest.raises(errors.NeedsReconnection):
        PicTimeClient(BASE, "AT-old").get_account()
    assert len(mocked.calls) == 1


def test_nothing_is_sent_while_the_shared_limit_says_wait(mocked):
    limit = Limit(waits=[0.25])
    client = PicTimeClient(BASE, "AT", limiter=limit)

    with pytest.raises(errors.Throttled) as exc:  # (nothing is mocked: a request sent would fail)
        client.get_account()
    assert exc.value.wait == 0.25 and exc.value.retry_after == 1 and not exc.value.permanent
    assert exc.value.user_message == "Pic-Time is busy, try again in 1 s."
    assert len(mocked.calls) == 0 and client.requests_made == 0


def test_a_429_blocks_the_whole_account_for_its_retry_after(mocked):
    limit = Limit()
    client = PicTimeClient(BASE, "AT", limiter=limit)
    mocked.get(
        API + "/account",
        status=429,
        json={"error": {"code": "rate_limited", "message": "slow down"}},
        headers={"Retry-After": "3"},
    )
    with pytest.raises(errors.RateLimited) as exc:
        client.get_account()
    assert limit.blocks == [3]
    assert exc.value.user_message == "Pic-Time is busy, try again in 3 s."


def test_the_limit_learns_pictimes_figures_from_the_headers(mocked, account_json):
    limit = Limit()
    client = PicTimeClient(BASE, "AT", limiter=limit)
    mocked.get(
        API + "/account",
        json=account_json,
        headers={"X-RateLimit-Limit": "12.5", "X-RateLimit-Remaining": "7"},
    )
    client.get_account()
    assert limit.observed == [(12.5, 7)] and limit.blocks == [] and limit.released == 1


def test_the_retry_after_a_refresh_asks_the_limit_again(mocked, account_json):
    limit = Limit(waits=[0.0, 0.4])
    client = PicTimeClient(BASE, "AT-old", tokens=Tokens(), limiter=limit)
    mocked.get(API + "/account", **invalid_token())
    with pytest.raises(errors.Throttled):
        client.get_account()
    assert len(mocked.calls) == 1  # the second send waits its turn
