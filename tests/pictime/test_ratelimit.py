"""The rate limit shared by every process for one Pic-Time account: a token bucket below Pic-Time's
10/s burst 20, an account-wide block from a 429's Retry-After, and waiting callers told apart.
Each test runs on both places the limit lives: Redis (production) and the database (embedded), on
a clock the test moves (the limit's ``clock``), so every figure is exact."""

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import connections

from pictime import ratelimit
from pictime.ratelimit import AccountLimit

BURST = 19  # Pic-Time's 20 less the 5 % headroom
RATE = 9.5
TICK = 1e-6  # a moment past a turn: floats make "exactly at" land either side


def approx(expected):
    return pytest.approx(expected, abs=1e-5)


@pytest.fixture(params=["redis", "database"])
def backend(request, settings):
    if request.param == "redis":  # the tests' own Redis database, beside the broker's
        settings.PICTIME_RATE_LIMIT_REDIS_URL = f"redis://{urlsplit(settings.CELERY_BROKER_URL).netloc}/4"
    else:
        settings.PICTIME_RATE_LIMIT_REDIS_URL = ""
    return request.param


class Clock:
    """Seconds that pass only when the test says so (small, so Redis's Lua keeps their precision)."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def account():
    return f"acc_{uuid.uuid4().hex[:10]}"


@pytest.mark.django_db
def test_a_burst_goes_at_once_then_the_next_waits_for_a_token(backend, clock):
    limit = AccountLimit(account(), clock=clock)
    granted = 0
    while (wait := limit.acquire()) == 0.0 and granted < 100:
        granted += 1
    assert granted == BURST
    assert wait == approx(1 / RATE)
    clock.advance(wait / 2)
    assert limit.acquire() == approx(wait / 2)  # not yet
    clock.advance(wait / 2 + TICK)
    assert limit.acquire() == 0.0


@pytest.mark.django_db
def test_waiting_callers_are_given_turns_one_after_another_and_keep_them(backend, clock):
    account_id = account()
    first = AccountLimit(account_id, clock=clock)
    while first.acquire() == 0.0:  # the burst
        pass
    callers = [AccountLimit(account_id, clock=clock) for _ in range(4)]
    waits = [caller.acquire() for caller in callers]
    assert waits == approx([n / RATE for n in (2, 3, 4, 5)])  # after the turn given to the first
    clock.advance(waits[0] + TICK)
    assert AccountLimit(account_id, clock=clock).acquire() == approx(4 / RATE)  # behind them
    assert callers[0].acquire() == 0.0  # the first one back gets the turn it was given


@pytest.mark.django_db
def test_a_429_blocks_the_whole_account_and_no_other(backend, clock):
    blocked, other = AccountLimit(account(), clock=clock), AccountLimit(account(), clock=clock)
    blocked.block(2)
    assert blocked.acquire() == approx(2.0)
    assert AccountLimit(blocked.account_id, clock=clock).acquire() == approx(2 + 1 / RATE)
    assert other.acquire() == 0.0
    clock.advance(2 + TICK)
    assert blocked.acquire() == 0.0


@pytest.mark.django_db
def test_pictimes_remaining_count_lowers_the_bucket(backend, clock):
    limit = AccountLimit(account(), clock=clock)
    limit.observe(10, 3)
    assert [limit.acquire() for _ in range(3)] == [0.0] * 3
    assert limit.acquire() == approx(1 / RATE)


@pytest.mark.django_db
def test_pictimes_stated_rate_replaces_the_default(backend, clock):
    limit = AccountLimit(account(), clock=clock)
    limit.observe(2, 0)
    assert limit.acquire() == approx(1 / (2 * 0.95))
    clock.advance(1 / (2 * 0.95) + TICK)
    assert limit.acquire() == 0.0


# Each process takes tokens through its own Django, database connection and limiter. They are
# started as new interpreters, not forked: a fork of this threaded test process (live servers,
# browsers) can inherit a lock another thread holds, and hang.
TAKE_TOKENS = """
import sys, django
django.setup()
from pictime.ratelimit import AccountLimit
limit = AccountLimit(sys.argv[1], clock=lambda: 1000.0)  # time stands still: no token refills
print(sum(1 for _ in range(int(sys.argv[2])) if limit.acquire() == 0.0))
"""


def _processes_taking_tokens(account_id, tries, processes, settings):
    db = connections["default"].settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings_test",
        "DATABASE_URL": "postgres://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**db),
        "PICTIME_RATE_LIMIT_REDIS_URL": settings.PICTIME_RATE_LIMIT_REDIS_URL,
    }
    command = [sys.executable, "-c", TAKE_TOKENS, account_id, str(tries)]
    children = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in range(processes)
    ]
    return sum(int(child.communicate(timeout=60)[0]) for child in children)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_processes_share_one_bucket(backend, settings):
    # 60 tries from 4 processes at one moment: the burst, no more.
    assert _processes_taking_tokens(account(), 15, 4, settings) == BURST


@pytest.mark.django_db
def test_a_background_request_waits_for_the_one_on_its_way_to_be_answered_and_people_keep_the_burst(
    backend, clock
):
    account_id = account()
    task, other_task, person = (
        AccountLimit(account_id, background=True, clock=clock),
        AccountLimit(account_id, background=True, clock=clock),
        AccountLimit(account_id, clock=clock),
    )
    assert task.acquire() == 0.0
    wait = other_task.acquire()  # the bucket is full, but the first is still on its way
    assert wait == approx(1 / RATE)
    assert [person.acquire() for _ in range(5)] == [0.0] * 5  # a click is not held back
    clock.advance(5.0)  # a slow answer: still on its way, so it may yet be a 429 (and its block)
    assert other_task.acquire() == approx(1 / RATE)
    task.release()
    assert other_task.acquire() == 0.0  # answered: the next one goes
    other_task.release()
    assert task.acquire() == 0.0  # one after another, once answered: no gap needed

    # A process that died with its request on its way holds the others back only as long as a
    # request can take (the client's timeouts), not for ever.
    clock.advance(ratelimit.IN_FLIGHT_SECONDS - 1)
    assert other_task.acquire() == approx(1 / RATE)
    clock.advance(1 + TICK)
    assert other_task.acquire() == 0.0
