"""One retry delay for every kind of work: base doubling, jittered, capped, and Pic-Time's
Retry-After when it gives one (never sooner, and not the backoff's longer wait)."""

from pictime.backoff import retry_delay
from pictime.tasks import gallery_published, sync_link_task


def test_the_delay_doubles_with_jitter_up_to_the_cap():
    first = [retry_delay(1, base=5, cap=60) for _ in range(50)]
    assert all(2.5 <= d <= 5 for d in first) and len(set(first)) > 1
    assert all(20 <= retry_delay(4, base=5, cap=60) <= 40 for _ in range(20))
    assert all(30 <= retry_delay(30, base=5, cap=60) <= 60 for _ in range(20))


def test_a_retry_after_is_waited_never_less_and_not_the_longer_backoff():
    assert all(30 <= retry_delay(1, base=5, cap=60, retry_after=30) <= 33 for _ in range(20))
    assert all(1 <= retry_delay(6, base=5, cap=900, retry_after=1) <= 1.1 for _ in range(20))
    assert all(120 <= retry_delay(1, base=5, cap=60, retry_after=120) <= 132 for _ in range(20))


def test_tasks_take_their_delay_from_it_with_their_own_base_and_cap():
    assert all(2.5 <= sync_link_task.backoff(0) <= 5 for _ in range(20))
    assert all(450 <= sync_link_task.backoff(20) <= 900 for _ in range(20))
    assert all(15 <= gallery_published.backoff(0) <= 30 for _ in range(20))
    assert all(1800 <= gallery_published.backoff(10) <= 3600 for _ in range(20))
