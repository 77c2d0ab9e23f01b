"""The CRM's settings for bench/workspace_bench.py: the same app, plus a bench-only minimal view.

Production-like (DEBUG off, cached templates); static files served by the plain storage so no
collectstatic is needed; cookies over plain HTTP on loopback.
"""

from crm.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls_bench"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
