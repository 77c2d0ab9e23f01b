"""A linked gallery's pending work (its earlier orders' fetch, the gallery-ready email) counts its
failed tries on the link, not in the task's message: each failed try is retried after a longer delay,
recorded on the link; a retry whose message is lost with the broker is sent again by the beat's sweep
and carries on the count and the backoff; after the last try the work is given up, and the link (and
the project's feed, for the email) says so. Done, or recorded anew, the count starts again.

Each task run here is one try, as a worker runs it when its retry's countdown ends (Pic-Time and the
mail server are real: the sandbox's faults, an SMTP server refusing)."""

import pytest
from django.core import mail
from django.utils import timezone

from pictime.models import GalleryLink, Order
from pictime.queue import queue_link_sync
from pictime.tasks import gallery_published, run_pending_work, sync_link_task
from tests.factories import requests_at_pictime
from tests.fixtures import BrokerDown
from tests.helpers import feed, run_task, text, workspace

# The delay before the retry after the n-th failed try (index n-1): the task's base doubling, jittered
# between half and all of it (pictime.backoff).
ORDERS_BACKOFF = [(2.5, 5), (5, 10), (10, 20), (20, 40), (40, 80), (80, 160), (160, 320), (320, 640)]
EMAIL_BACKOFF = [(15, 30), (30, 60), (60, 120), (120, 240), (240, 480)]


def tried(link, work, since, settings) -> tuple[int, float | None]:
    """The link's count of failed tries of `work`, and the delay its row sets before the next one
    (seconds from `since`, less the lease the sweep waits after it); None when it is no longer due."""
    link.refresh_from_db()
    due = getattr(link, f"{work}_due_at")
    if due is None:
        return getattr(link, f"{work}_attempts"), None
    delay = (due - since).total_seconds() - settings.PICTIME_PENDING_WORK_LEASE_SECONDS
    return getattr(link, f"{work}_attempts"), delay


def assert_retried(link, work, since, settings, backoff, attempts):
    count, delay = tried(link, work, since, settings)
    low, high = backoff[attempts - 1]
    assert count == attempts
    assert low <= delay <= high + 5, (attempts, delay)  # + the try's own time


def lost_then_swept(link, work, settings):
    """The retry's message is lost (Redis restarted empty); when its time and the lease have passed,
    the broker is down again as the sweep runs, then back for the next sweep, which sends it."""
    GalleryLink.objects.filter(pk=link.pk).update(**{f"{work}_due_at": timezone.now()})
    count = getattr(GalleryLink.objects.get(pk=link.pk), f"{work}_attempts")
    with BrokerDown():
        assert run_pending_work()[work] == 1  # its send fails: due at the next sweep, not a lease later
    assert tried(link, work, timezone.now(), settings)[0] == count  # the count kept
    assert getattr(link, f"{work}_due_at") <= timezone.now()
    since = timezone.now()
    assert run_pending_work()[work] == 1
    return since


@pytest.mark.django_db
def test_an_orders_fetch_pic_time_keeps_refusing_carries_its_count_through_a_lost_message_then_is_given_up(
    link, gallery, sandbox, pictime_account, settings, django_capture_on_commit_callbacks
):
    sandbox.place_order(gallery["id"])
    sandbox.set_faults(error_rate=1.0)  # every request to Pic-Time answered 500
    asked = requests_at_pictime(sandbox, pictime_account)
    since = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        queue_link_sync(link)  # linking couldn't fetch them: handed to a worker, which tries at once
    assert_retried(link, "orders", since, settings, ORDERS_BACKOFF, 1)

    since = timezone.now()
    assert run_task(sync_link_task, link.pk) == "retrying"  # its retry, when the countdown ends
    assert_retried(link, "orders", since, settings, ORDERS_BACKOFF, 2)

    since = lost_then_swept(link, "orders", settings)
    assert_retried(link, "orders", since, settings, ORDERS_BACKOFF, 3)  # carried on, not 1

    for attempts in range(4, 9):
        since = timezone.now()
        assert run_task(sync_link_task, link.pk) == "retrying"
        assert_retried(link, "orders", since, settings, ORDERS_BACKOFF, attempts)
    assert run_task(sync_link_task, link.pk) == "failed"  # the ninth try: given up
    assert tried(link, "orders", timezone.now(), settings) == (9, None)  # not due, 9 tries failed
    assert not Order.objects.exists()
    assert run_pending_work()["orders"] == 0  # given up: the sweep sends nothing
    assert requests_at_pictime(sandbox, pictime_account) - asked == 9  # one request a try


@pytest.mark.django_db
def test_an_orders_fetch_whose_retry_was_lost_is_fetched_by_the_sweep_and_its_count_cleared(
    link, gallery, sandbox, settings, django_capture_on_commit_callbacks
):
    order = sandbox.place_order(gallery["id"])
    sandbox.set_faults(fail_next=1)  # the first try answered 500
    since = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        queue_link_sync(link)
    assert_retried(link, "orders", since, settings, ORDERS_BACKOFF, 1)

    lost_then_swept(link, "orders", settings)  # Pic-Time answers the second try
    assert list(Order.objects.values_list("order_id", flat=True)) == [order["id"]]
    assert tried(link, "orders", timezone.now(), settings) == (0, None)
    assert run_pending_work()["orders"] == 0


@pytest.fixture
def refusing_smtp(settings, smtp_server_factory):
    """The mail server answers the next six emails "451 Try again later", then takes them."""
    port, handler = smtp_server_factory(refuse=6)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return handler


@pytest.mark.django_db
def test_a_ready_email_the_mail_server_refuses_carries_its_count_through_a_lost_message_then_is_given_up(
    pictime, link, project, owner_client, refusing_smtp, settings
):
    failed = "Gallery ready email to bella@example.com failed (SMTPDataError: (451, b'Try again later'))."
    since = timezone.now()
    pictime.publish()  # the worker tries at once
    assert_retried(link, "ready_email", since, settings, EMAIL_BACKOFF, 1)
    assert feed(project)[0] == f"{failed} Trying again shortly."  # the newest line
    assert link.ready_email_status == GalleryLink.ReadyEmail.FAILED

    since = timezone.now()
    assert run_task(gallery_published, link.pk) == "retrying"
    assert_retried(link, "ready_email", since, settings, EMAIL_BACKOFF, 2)

    since = lost_then_swept(link, "ready_email", settings)
    assert_retried(link, "ready_email", since, settings, EMAIL_BACKOFF, 3)  # carried on, not 1

    for attempts in (4, 5):
        since = timezone.now()
        assert run_task(gallery_published, link.pk) == "retrying"
        assert_retried(link, "ready_email", since, settings, EMAIL_BACKOFF, attempts)
    assert run_task(gallery_published, link.pk) == "failed"  # the sixth try: given up
    assert tried(link, "ready_email", timezone.now(), settings) == (6, None)
    assert feed(project).count(f"{failed} Trying again shortly.") == 5
    assert feed(project)[0] == f"{failed} It was not sent."
    panel = "Gallery ready email to bella@example.com failed: SMTPDataError: (451, b'Try again later')"
    assert panel in text(workspace(owner_client, project))
    assert run_pending_work()["ready_email"] == 0
    assert refusing_smtp.refused == 6 and refusing_smtp.messages == []

    # The gallery taken offline and published again: the email recorded anew, its count from 0, and
    # the mail server takes it now.
    pictime.take_offline()
    pictime.publish(run_tasks=False)
    assert tried(link, "ready_email", timezone.now(), settings)[0] == 0
    pictime.run_queued()
    assert [m.rcpt_tos for m in refusing_smtp.messages] == [["bella@example.com"]]
    assert tried(link, "ready_email", timezone.now(), settings) == (0, None)
    assert link.ready_email_status == GalleryLink.ReadyEmail.SENT
    assert feed(project)[0] == "Gallery ready email sent to bella@example.com"
    assert mail.outbox == []  # through the SMTP server
