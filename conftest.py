"""Fixtures shared by every test: the three actors (owner, teammate, outsider) and Chromium."""

import os

import pytest

# pytest-django's live_server runs the database set-up from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["tests.fixtures", "sandbox.pytest_plugin"]


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    reason = "needs PostgreSQL (row locks, concurrent commits): `make test` runs it on PostgreSQL"
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and rate limits live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
