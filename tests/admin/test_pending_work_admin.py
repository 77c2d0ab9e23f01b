"""Support reads a link's and an auto-create job's pending work in the admin: what waits for a
worker, how many tries failed, when it is tried again (the counts the rows keep), without a shell."""

import datetime
import re

import pytest
from django.urls import reverse

from pictime.models import AutoCreateJob
from tests.factories import make_connection, make_job, make_link
from tests.helpers import text

AT = datetime.datetime(2026, 12, 6, 10, 42, tzinfo=datetime.UTC)
LINKS = reverse("admin:pictime_gallerylink_changelist")
JOBS = reverse("admin:pictime_autocreatejob_changelist")


def row(http, url, marker, **query) -> str:
    """The text of the list's row that shows `marker` ("" when no row does)."""
    page = http.get(url, query)
    assert page.status_code == 200
    rows = [text(tr) for tr in re.findall(r"<tr.*?</tr>", page.content.decode(), re.S)]
    return next((r for r in rows if marker in r), "")


def change_page(http, obj) -> str:
    url = reverse(f"admin:pictime_{obj._meta.model_name}_change", args=[obj.pk])
    page = http.get(url)
    assert page.status_code == 200
    return text(page)


@pytest.fixture
def links(db):
    """Ours: one link whose orders wait for a worker after 2 failed tries and whose ready email was
    given up after 3, one with nothing pending; another studio's link with its orders waiting."""
    ours, theirs = make_connection(), make_connection()
    return {
        "stuck": make_link(ours, orders_due_at=AT, orders_attempts=2, ready_email_attempts=3),
        "idle": make_link(ours),
        "other": make_link(theirs, orders_due_at=AT, orders_attempts=5),
    }


WAITING = (
    "Earlier orders' fetch: waiting for a worker after 2 failed tries; "
    "sent again at 2026-12-06 10:42 if not done by then"
)
GIVEN_UP = "Gallery-ready email: given up after 3 failed tries"


def test_the_links_list_shows_what_waits_and_how_many_tries_failed(support_client, links):
    stuck = row(support_client, LINKS, links["stuck"].gallery_id)
    assert f"{WAITING}; {GIVEN_UP}" in stuck
    assert re.search(r"<th[^>]*>.*?Pending work", support_client.get(LINKS).content.decode(), re.S)
    assert "—" in row(support_client, LINKS, links["idle"].gallery_id)
    assert "waiting" not in row(support_client, LINKS, links["idle"].gallery_id)


def test_the_link_page_starts_with_its_pending_work(support_client, links):
    page = change_page(support_client, links["stuck"])
    assert f"Pending work: {WAITING}; {GIVEN_UP}" in page
    assert page.index("Pending work:") < page.index("Name: Gallery number")  # first, before the name
    assert "sent again at" not in change_page(support_client, links["idle"])
    other = change_page(support_client, links["other"])
    assert "waiting for a worker after 5 failed tries" in other and "2 failed tries" not in other


def test_support_lists_a_studios_links_with_work_waiting_or_given_up(support_client, links):
    company = links["stuck"].company_id
    waiting = support_client.get(LINKS, {"company__id__exact": company, "pending": "waiting"})
    html = waiting.content.decode()
    assert links["stuck"].gallery_id in html
    assert links["idle"].gallery_id not in html
    assert links["other"].gallery_id not in html  # another studio's, waiting too
    html = support_client.get(LINKS, {"pending": "given_up"}).content.decode()
    assert links["stuck"].gallery_id in html
    assert links["idle"].gallery_id not in html and links["other"].gallery_id not in html


def test_a_retrying_job_says_which_try_failed_and_when_the_next_is(support_client, db):
    job = make_job(make_connection(), status=AutoCreateJob.Status.RETRYING)
    AutoCreateJob.objects.filter(pk=job.pk).update(attempts=2, next_attempt_at=AT)
    other = make_job(make_connection())  # another studio's: given up after 8
    expected = "Try 2 of 8 failed; next try at 2026-12-06 10:42"
    assert expected in row(support_client, JOBS, job.project.name)
    assert "Given up after 8 tries" in row(support_client, JOBS, other.project.name)
    assert expected not in row(support_client, JOBS, other.project.name)
    page = change_page(support_client, job)
    assert f"Tries and pending work: {expected}" in page
    assert "Retry the failed auto-create" not in page


def test_a_failed_job_says_it_was_given_up_and_how_to_retry_it(support_client, db):
    job = make_job(make_connection())
    page = change_page(support_client, job)
    assert (
        "Tries and pending work: Given up after 8 tries: select it and run “Retry the failed auto-create”"
        in page
    )


def test_a_job_waiting_for_a_reconnection_counts_its_one_try(support_client, db):
    job = make_job(make_connection(), status=AutoCreateJob.Status.WAITING_RECONNECT)
    AutoCreateJob.objects.filter(pk=job.pk).update(attempts=1)
    assert "Waits for Pic-Time to be reconnected (1 try made)" in row(support_client, JOBS, job.project.name)
