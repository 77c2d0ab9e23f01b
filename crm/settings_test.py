"""Settings for the test suite: the production settings (crm/settings.py) with what tests need.

pytest uses it (pyproject.toml); the processes the tests start (the sandbox, a real Celery worker)
get what they need through environment variables, as production does.
"""

import os

# crm.settings refuses the development keys outside DEBUG: the suite has keys of its own, in the
# environment so that a worker started by a test decrypts the tokens the test stored.
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("FIELD_ENCRYPTION_KEY", "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleSE=")

from crm.settings import *  # noqa: E402, F403

# Hashing a password the production way costs ~0.3 s; the suite signs up hundreds of users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run in the test's process; the real-worker tests (tests/worker) publish to Redis instead.
CELERY_TASK_ALWAYS_EAGER = True

# Plain HTTP on loopback: no secure cookies, no HSTS; static files from the source folders.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
SECURE_SSL_REDIRECT = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
