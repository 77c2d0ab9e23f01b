"""The one retry delay of every kind of work that retries: tasks (through Celery's retry, see
``pictime.tasks.Task``), auto-create jobs (whose row records it) and the client's paged reads.

Plain Python (the Pic-Time client uses it too). Celery's own ``retry_backoff`` was the candidate: it
knows no Retry-After and rounds to whole seconds (the client waits fractions).
"""

import random


def retry_delay(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before retry number ``attempt`` (1 for the first): ``base`` doubling each time, at most
    ``cap``, jittered between half and all of it (many jobs that failed together don't come back
    together). When the other side said when to come back (``Retry-After``), then: never sooner, and
    not the backoff's longer wait either (a 429 is its rate limit speaking, not a failure)."""
    if retry_after:
        return float(retry_after) * random.uniform(1.0, 1.1)
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)
