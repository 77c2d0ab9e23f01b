"""Waiting in tests for what another process or thread does (a worker, a webhook, a server), and
running jobs in threads at once."""

import threading
import time

from django.db import connections


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


def at_once(*jobs, timeout=60.0):
    """Runs each job in its own thread, all released together (as concurrent requests or workers
    would be); returns (results, errors), one of each per job, None where there was none."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
            errors[i] = error
        finally:
            connections.close_all()  # this thread's database connections

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results, errors
