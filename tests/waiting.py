"""Waiting in tests for what another process or thread does (a worker, a webhook, a server)."""

import time


def wait_until(predicate, timeout=15.0, interval=0.2):
    """`predicate()`'s first true value within `timeout` seconds, else its last (false) value:
    callers assert on it, with what to show when it never came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()
