"""Settings of the Pic-Time sandbox. Everything comes from the environment.

SANDBOX_DB_PATH            SQLite file (default var/pictime-sandbox.sqlite3)
SANDBOX_ADMIN_TOKEN        value of the X-Sandbox-Admin header for /_sandbox/ (default "sandbox-admin")
SANDBOX_OAUTH_CLIENTS      JSON list of {"client_id","client_secret","redirect_uris":[...],"name"}
                           registered at start
SANDBOX_PUBLIC_BASE_URL    base of public_url/edit_url/cover_url (default: taken from each request)
SANDBOX_RATE_PER_SEC       token bucket refill per account (default 10)
SANDBOX_RATE_BURST         token bucket size (default 20)
SANDBOX_FAULTS             JSON object of faults active at start (see sandbox/core/faults.py)
SANDBOX_LATENCY_MS, SANDBOX_ERROR_RATE, SANDBOX_HANG_SECONDS, SANDBOX_TOKEN_TTL  single faults
SANDBOX_WEBHOOK_TIMEOUT    seconds per delivery attempt (default 10)
SANDBOX_WEBHOOK_ATTEMPTS   attempts in all (default 4)
SANDBOX_WEBHOOK_BACKOFF    comma-separated waits between attempts in seconds (default "2,10,30")
SANDBOX_SECRET_KEY         Django secret key
SANDBOX_DEBUG              "1" for DEBUG
"""

import json
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "pictime-sandbox-not-secret")
DEBUG = os.environ.get("SANDBOX_DEBUG", "") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["sandbox.core"]

MIDDLEWARE = [
    "sandbox.core.middleware.BaseUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

DB_PATH = os.environ.get("SANDBOX_DB_PATH") or str(BASE_DIR / "var" / "pictime-sandbox.sqlite3")
Path(DB_PATH).parent.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DB_PATH,
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_NAME = "pictime_sessionid"
CSRF_COOKIE_NAME = "pictime_csrftoken"
SESSION_COOKIE_HTTPONLY = True

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"sandbox": {"handlers": ["console"], "level": "INFO"}},
}

SANDBOX_ADMIN_TOKEN = os.environ.get("SANDBOX_ADMIN_TOKEN", "sandbox-admin")
SANDBOX_OAUTH_CLIENTS = json.loads(os.environ.get("SANDBOX_OAUTH_CLIENTS") or "[]")
SANDBOX_PUBLIC_BASE_URL = os.environ.get("SANDBOX_PUBLIC_BASE_URL", "").rstrip("/")
SANDBOX_RATE_PER_SEC = float(os.environ.get("SANDBOX_RATE_PER_SEC", "10"))
SANDBOX_RATE_BURST = int(os.environ.get("SANDBOX_RATE_BURST", "20"))

_faults = json.loads(os.environ.get("SANDBOX_FAULTS") or "{}")
for _env, _key, _type in [
    ("SANDBOX_LATENCY_MS", "latency_ms", int),
    ("SANDBOX_ERROR_RATE", "error_rate", float),
    ("SANDBOX_HANG_SECONDS", "hang_seconds", float),
    ("SANDBOX_TOKEN_TTL", "token_ttl", int),
]:
    if os.environ.get(_env):
        _faults[_key] = _type(os.environ[_env])
SANDBOX_FAULTS = _faults

SANDBOX_WEBHOOK_TIMEOUT = float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT", "10"))
SANDBOX_WEBHOOK_ATTEMPTS = int(os.environ.get("SANDBOX_WEBHOOK_ATTEMPTS", "4"))
SANDBOX_WEBHOOK_BACKOFF = [
    float(x) for x in os.environ.get("SANDBOX_WEBHOOK_BACKOFF", "2,10,30").split(",") if x.strip()
]

PASSWORD_HASHERS = ["sandbox.core.hashers.SandboxPBKDF2PasswordHasher"]
