"""Webhook deliveries received by the web process and applied by a real Celery worker on Redis, the
two sharing the cache as production does: bursts of events end in each gallery's newest state, every
event applied once, and a burst after the worker has drained still gets its own task."""

import pytest
from django.core.cache import cache

from pictime.models import GalleryLink, WebhookEvent
from tests.factories import deliver, event, later, link_gallery
from tests.waiting import wait_until
from tests.worker.conftest import cache_url

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url()}
    }
    cache.clear()
    yield
    cache.clear()


def test_bursts_of_deliveries_are_applied_once_in_order_by_the_worker(
    shared_cache, celery_worker_process, client, connection, project, sandbox, pictime_account
):
    account = pictime_account["id"]
    galleries = [sandbox.create_gallery(account, name=f"Wedding {n}") for n in (1, 2)]
    for gallery in galleries:
        link_gallery(connection, project, gallery)

    def burst(counts, prefix):
        for count in counts:
            for gallery in galleries:
                data = later(gallery, count, image_count=count)
                event_id = f"{prefix}-{gallery['id']}-{count}"
                response = deliver(client, connection, event("gallery.updated", data, account, event_id))
                assert response.status_code == 202

    def applied(newest):
        links = dict(GalleryLink.objects.values_list("gallery_id", "image_count"))
        queued = WebhookEvent.objects.filter(status=WebhookEvent.Status.QUEUED).exists()
        return not queued and links == {gallery["id"]: newest for gallery in galleries}

    burst([*range(1, 19), 20, 19], "first")  # 19 arrives after 20: ignored
    assert wait_until(lambda: applied(20), timeout=20), "the first burst was not applied"

    burst([21, 22], "second")  # the worker has drained: these queue a task of their own
    assert wait_until(lambda: applied(22), timeout=20), "the second burst was not applied"

    events = WebhookEvent.objects.filter(connection=connection, type="gallery.updated")
    assert events.count() == 44
    late = events.filter(event_id__startswith="first-", event_id__endswith="-19")
    assert set(late.values_list("status", flat=True)) == {WebhookEvent.Status.IGNORED}
    assert events.filter(status=WebhookEvent.Status.PROCESSED).count() == 42
