"""The rate limit shared by every process for one Pic-Time account: a token bucket below Pic-Time's
10/s burst 20, an account-wide block from a 429's Retry-After, and waiting callers told apart.
Each test runs on both places the limit lives: Redis (production) and the database (embedded)."""

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connections

from pictime.ratelimit import AccountLimit

BURST = 19  # Pic-Time's 20 less the 5 % headroom
RATE = 9.5


@pytest.fixture(params=["redis", "database"])
def backend(request, settings):
    if request.param == "redis":
        settings.PICTIME_RATE_LIMIT_REDIS_URL = "redis://127.0.0.1:6379/4"
    else:
        settings.PICTIME_RATE_LIMIT_REDIS_URL = ""
    return request.param


def account():
    return f"acc_{uuid.uuid4().hex[:10]}"


@pytest.mark.django_db
def test_a_burst_goes_at_once_then_the_next_waits_for_a_token(backend):
    limit = AccountLimit(account())
    started, granted = time.monotonic(), 0
    while (wait := limit.acquire()) == 0.0 and granted < 100:
        granted += 1
    elapsed = time.monotonic() - started
    assert BURST <= granted <= BURST + elapsed * RATE + 1  # the burst, and what refilled meanwhile
    assert 0 < wait <= 1.05 / RATE
    time.sleep(wait + 0.01)
    assert limit.acquire() == 0.0


@pytest.mark.django_db
def test_waiting_callers_are_given_turns_one_after_another_and_keep_them(backend):
    account_id = account()
    first = AccountLimit(account_id)
    while first.acquire() == 0.0:  # the burst, and whatever refilled meanwhile
        pass
    callers = [AccountLimit(account_id) for _ in range(4)]
    # Each turn as a moment on the clock, bracketed by when its call started and returned, so that
    # slow calls (a loaded machine) don't shrink the gaps between the turns that were given.
    turns, waits = [], []
    for caller in callers:
        before = time.monotonic()
        wait = caller.acquire()
        turns.append((before + wait, time.monotonic() + wait))
        waits.append(wait)
    for (earliest_a, latest_a), (earliest_b, latest_b) in zip(turns, turns[1:], strict=False):
        assert 0.9 / RATE < latest_b - earliest_a and earliest_b - latest_a <= 1.01 / RATE
    time.sleep(waits[0] + 0.01)
    assert AccountLimit(account_id).acquire() > 0  # a newcomer waits behind those promised
    assert callers[0].acquire() == 0.0  # the first one back gets the turn it was given


@pytest.mark.django_db
def test_a_429_blocks_the_whole_account_and_no_other(backend):
    blocked, other = AccountLimit(account()), AccountLimit(account())
    blocked.block(2)
    assert 1.8 < blocked.acquire() <= 2.0 + 1 / RATE
    assert AccountLimit(blocked.account_id).acquire() > 1.5  # every process sees it
    assert other.acquire() == 0.0


@pytest.mark.django_db
def test_pictimes_remaining_count_lowers_the_bucket(backend):
    limit = AccountLimit(account())
    limit.observe(10, 3)
    assert [limit.acquire() for _ in range(3)] == [0.0] * 3
    assert limit.acquire() > 0


@pytest.mark.django_db
def test_pictimes_stated_rate_replaces_the_default(backend):
    limit = AccountLimit(account())
    limit.observe(2, 0)
    wait = limit.acquire()
    assert 0.5 / (2 * 0.95) < wait <= 1.05 / (2 * 0.95)


# Each process takes tokens through its own Django, database connection and limiter. They are
# started as new interpreters, not forked: a fork of this threaded test process (live servers,
# browsers) can inherit a lock another thread holds, and hang.
TAKE_TOKENS = """
import sys, django
django.setup()
from pictime.ratelimit import AccountLimit
limit = AccountLimit(sys.argv[1])
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
    account_id = account()
    started = time.monotonic()
    granted = _processes_taking_tokens(account_id, 15, 4, settings)
    elapsed = time.monotonic() - started
    # 60 tries at once: the burst, and what refilled while they ran, no more.
    assert BURST <= granted <= BURST + elapsed * RATE + 1


@pytest.mark.django_db
def test_background_requests_on_their_way_at_once_are_a_token_apart_and_people_keep_the_burst(backend):
    account_id = account()
    task, other_task, person = (
        AccountLimit(account_id, background=True),
        AccountLimit(account_id, background=True),
        AccountLimit(account_id),
    )
    assert task.acquire() == 0.0
    wait = other_task.acquire()  # the bucket is full, but the first is still on its way
    assert 0 < wait <= 1.05 / RATE
    assert [person.acquire() for _ in range(5)] == [0.0] * 5  # a click is not held back
    time.sleep(wait + 0.01)
    assert other_task.acquire() == 0.0
    task.release()
    other_task.release()
    assert task.acquire() == 0.0  # one after another, once answered: no gap needed
