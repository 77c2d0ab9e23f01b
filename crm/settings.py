"""Settings for the photography CRM, read from the environment (django-environ).

Every default is the embedded one (SQLite, a filesystem broker) so the product runs with nothing
installed; production sets DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY and FIELD_ENCRYPTION_KEY.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("CRM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Insecure values that are only acceptable on a developer's machine (the tests set their own).
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
_DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZmllbGQtZW5jcnlwdGlvbi1rZXktMzI="  # 32 bytes, base64

SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET_KEY)
# Comma-separated Fernet keys, newest first: the first encrypts, all decrypt (MultiFernet rotation).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", default=[_DEV_ENCRYPTION_KEY])
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or _DEV_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "Set SECRET_KEY and FIELD_ENCRYPTION_KEY (or DEBUG=true on a developer's machine)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The address this CRM is reached at, for links in webhooks subscriptions and OAuth redirects.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "crm.audit.admin_config.AdminConfig",  # django.contrib.admin, its edits audited (crm/audit/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # API tokens are knox's (hashed). DRF's authtoken is not installed: its keys were moved into knox
    # (companies 0002), and the admin shows one kind of token.
    "knox",
    "axes",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_htmx",
    "django_celery_results",
    "django_celery_beat",
    "crm.companies",
    "crm.clients",
    "crm.projects",
    "crm.payments",
    "crm.portal",
    "crm.audit",
    "crm.ops",
    "integrations",
    "pictime",
]

MIDDLEWARE = [
    "crm.ops.logging.RequestIdMiddleware",
    # /healthz for load balancers: before the Host check (CommonMiddleware) and the SSL redirect.
    "crm.ops.health.HealthCheckMiddleware",
    # NUL bytes in the path or query string: 400 before any view (PostgreSQL can't store them).
    "crm.middleware.RejectNulBytesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "crm.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "crm.companies.access.CompanyLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a locked-out sign-in (django-axes) into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

TEMPLATES = [
    {
        # The CRM's own pages (templates/): Jinja2, see crm/templating.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "crm.templating.environment",
            "context_processors": [
                "crm.templating.csrf",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # The admin's and the API's browsable pages, from the installed apps.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"),
}
# Keep each thread's connection for a minute (web requests and worker tasks alike, see crm/celery.py),
# checked before reuse: opening one costs PostgreSQL more than most of our requests do.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)  # a kept connection is checked before reuse
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    # A database host that stops answering (rather than refusing) fails a connect in this many
    # seconds, not the system's ~2 minutes, for a request, a task and the live process's watch alike.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every sign-in first (lockout), then Django's own backend signs the user in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["crm.formats"]  # one date style everywhere: "Nov 29, 2026"

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: safe by default, relaxed only on a developer's machine (plain HTTP); see settings_test.
_secure = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent only on HTTPS responses, so it is harmless on plain HTTP during development.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
BEHIND_HTTPS_PROXY = env.bool("BEHIND_HTTPS_PROXY", default=False)
if BEHIND_HTTPS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Shared by every web process: API throttles and the webhook log's rate limit count here. The
# embedded default is a folder that the web workers of one machine share; production points it at
# Redis (redis://host:6379/1).
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# Sign-in lockout (django-axes), on /login/, /admin/login/ and /api/auth/login/: after
# AXES_FAILURE_LIMIT wrong passwords for one account, or from one address, sign-in is refused for
# the cool-off time, even with the right password; afterwards the right password works again.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks: per account, per address
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "crm.companies.lockout.username"
AXES_LOCKOUT_CALLABLE = "crm.companies.lockout.response"  # a page, or the API's error format
AXES_COOLOFF_MESSAGE = (
    "Too many failed sign-in attempts for this account or from this address. "
    "For your security, signing in is paused; try again later."
)
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not logged (a table that only grows)
# The client's address: the proxy's X-Forwarded-For only behind one we trust, never from the client.
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if BEHIND_HTTPS_PROXY else ["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_HTTPS_PROXY else None

# Celery: a filesystem broker by default (no server), Redis when CELERY_BROKER_URL says so.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport with atomic writes: a consumer never reads a half-written message.
    CELERY_BROKER_TRANSPORT = "crm.broker:Transport"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="django-db")
CELERY_RESULT_EXTENDED = True
# Job rows hold what people read; a task stores a result only when it says something waits for it
# (crm.ping). Those few expire after a day (beat's celery.backend_cleanup).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
# Celery's Django fixup closes the database connection before and after every task unless this is
# set; it then closes it every 2 x N tasks. Between tasks, crm/celery.py applies CONN_MAX_AGE and
# the health check instead, as Django does between requests.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# One process per core: more only make the cores switch between them (fewer jobs a second).
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=os.cpu_count() or 1)
# Tasks go to a worker; the test settings run them in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task to be run again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# Email (the "gallery ready" email to clients): SMTP when EMAIL_HOST is set, else each message is
# written to a file in var/mail (the embedded defaults of `make run`). Tests use Django's locmem.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST_USER))
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# The sending address; the studio's name is put before it and replies go to the studio.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="studio-crm@localhost")

# Payments: the processor that charges cards entered in the client portal.
PAYMENT_PROCESSOR = env.str("PAYMENT_PROCESSOR", default="crm.payments.processors.TestCardProcessor")

# Integrations offered in Company Settings > Integrations, by dotted path.
INTEGRATION_PROVIDERS = env.list("INTEGRATION_PROVIDERS", default=["pictime.provider.PicTimeProvider"])

# Where browsers reach the live process (uvicorn on crm.asgi), which tells an open workspace when
# its Pic-Time panel changed (pictime.views.events). Empty: the panel asks the web process every
# second instead, as it does while the live process can't be reached.
LIVE_URL = env.str("LIVE_URL", default="").rstrip("/")

# Pic-Time: where its API is (the sandbox in development), and this CRM's OAuth client there.
PICTIME_BASE_URL = env.str("PICTIME_BASE_URL", default="http://127.0.0.1:8001").rstrip("/")
# Where browsers reach Pic-Time's sign-in page, when it differs from where servers reach its API
# (e.g. inside docker-compose), and where Pic-Time reaches our webhook endpoint.
PICTIME_PUBLIC_URL = env.str("PICTIME_PUBLIC_URL", default="").rstrip("/")
PICTIME_WEBHOOK_BASE_URL = env.str("PICTIME_WEBHOOK_BASE_URL", default="").rstrip("/")
PICTIME_CLIENT_ID = env.str("PICTIME_CLIENT_ID", default="studio-crm")
PICTIME_CLIENT_SECRET = env.str("PICTIME_CLIENT_SECRET", default="studio-crm-dev-secret")
# (connect, read) seconds: short, because a person may be waiting behind a click.
PICTIME_TIMEOUT = (
    env.float("PICTIME_CONNECT_TIMEOUT", default=3.05),
    env.float("PICTIME_READ_TIMEOUT", default=10),
)
PICTIME_SYNC_INTERVAL_SECONDS = env.int("PICTIME_SYNC_INTERVAL_SECONDS", default=900)
PICTIME_AUTOCREATE_MAX_ATTEMPTS = env.int("PICTIME_AUTOCREATE_MAX_ATTEMPTS", default=8)
PICTIME_AUTOCREATE_MAX_BACKOFF_SECONDS = env.int("PICTIME_AUTOCREATE_MAX_BACKOFF_SECONDS", default=900)

# Links from Pic-Time (a gallery's public_url, edit_url, cover_url) become href/src: only https ones
# (and http when Pic-Time itself is reached over http: the sandbox) are kept; with hosts listed here,
# only on those hosts or their subdomains (empty: any host, as studios may use their own domain).
PICTIME_URL_HOSTS = env.list("PICTIME_URL_HOSTS", default=[])

# Content-Security-Policy (django-csp): scripts and styles from our own files only. Images may also
# come from Pic-Time (gallery covers) and forms may lead on to it (the OAuth connect redirect):
# crm.middleware.CSPMiddleware adds Pic-Time's configured addresses to img-src and form-action.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# The Galleries page's indexes include columns (pictime.Order) so PostgreSQL answers from the index
# alone; SQLite (the embedded default) builds them without those columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Celery beat (django-celery-beat copies these into its database schedule at start).
CELERY_BEAT_SCHEDULE = {
    # Keeps gallery statuses, image counts and orders current beside the webhooks.
    "pictime-sync-connections": {
        "task": "pictime.sync_all_connections",
        "schedule": float(PICTIME_SYNC_INTERVAL_SECONDS),
    },
    # Pending work whose message may be lost (the broker restarted, a worker died): auto-creates,
    # webhook events, gallery-ready emails, linked galleries' orders. Each row is sent at most once a
    # lease, and its claim lets it run once.
    "pictime-run-pending-work": {"task": "pictime.run_pending_work", "schedule": 60.0},
    # The webhook log keeps PICTIME_WEBHOOK_LOG_DAYS of deliveries, at most PICTIME_WEBHOOK_LOG_MAX rows.
    "pictime-prune-webhook-deliveries": {"task": "pictime.prune_webhook_deliveries", "schedule": 3600.0},
    # Gallery expiry reminders that are due (each sent once per gallery and expiry date).
    "pictime-send-due-reminders": {"task": "pictime.send_due_reminders", "schedule": 300.0},
}
PICTIME_WEBHOOK_LOG_DAYS = env.int("PICTIME_WEBHOOK_LOG_DAYS", default=30)
PICTIME_WEBHOOK_LOG_MAX = env.int("PICTIME_WEBHOOK_LOG_MAX", default=100_000)
# Rejected deliveries logged per connection and minute (beyond that they are answered, not stored).
PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE = env.int("PICTIME_WEBHOOK_REJECTED_LOG_PER_MINUTE", default=30)
# First retry after about this many seconds, doubling each time (with jitter, up to the maximum).
PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS = env.float("PICTIME_AUTOCREATE_BASE_BACKOFF_SECONDS", default=5)
# A run still "running" after this long is taken to be a dead worker's, and run again (an attempt
# takes at most the token's refresh and two calls to Pic-Time, each under PICTIME_TIMEOUT).
PICTIME_AUTOCREATE_LEASE_SECONDS = env.int("PICTIME_AUTOCREATE_LEASE_SECONDS", default=60)
# Pending work (an auto-create, a gallery-ready email, a linked gallery's orders) is a row written with
# the change that made it due; its message is sent after commit. A row still pending this long after
# its message was sent is sent again by the beat's sweep: the message was lost with the broker, or
# taken by a worker that died (Redis would hand it out again only after its visibility timeout).
PICTIME_PENDING_WORK_LEASE_SECONDS = env.int("PICTIME_PENDING_WORK_LEASE_SECONDS", default=60)
# One rate limit per Pic-Time account for every process (pictime/ratelimit.py): Pic-Time's figures,
# less a headroom for requests delayed on their way. Kept in Redis when there is one (the broker in
# production), else in the database (the embedded defaults).
PICTIME_RATE_LIMIT_PER_SECOND = env.float("PICTIME_RATE_LIMIT_PER_SECOND", default=10)
PICTIME_RATE_LIMIT_BURST = env.int("PICTIME_RATE_LIMIT_BURST", default=20)
PICTIME_RATE_LIMIT_HEADROOM = env.float("PICTIME_RATE_LIMIT_HEADROOM", default=0.05)
PICTIME_RATE_LIMIT_REDIS_URL = env.str(
    "PICTIME_RATE_LIMIT_REDIS_URL", default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
)
# A task whose turn under the limit is at most this far off waits for it; a later turn reschedules
# the task to come back a little before it. A web request never waits.
PICTIME_RATE_LIMIT_INLINE_WAIT_SECONDS = env.float("PICTIME_RATE_LIMIT_INLINE_WAIT_SECONDS", default=1.0)
# A refresh whose answer was lost (timeout, 5xx, reset) is sent again with the same refresh token:
# by the request after these pauses (seconds, within its window), then by a worker every
# PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS, never later than PICTIME_REFRESH_GRACE_SECONDS after its
# first send: Pic-Time replays a spent refresh token's answer for 30 s and revokes the grant after.
PICTIME_REFRESH_RETRY_DELAYS = (0.5, 1.0, 2.0)
PICTIME_REFRESH_RETRY_WINDOW_SECONDS = 5  # the request's share, then it hands over to a worker
PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS = env.float("PICTIME_REFRESH_BACKGROUND_DELAY_SECONDS", default=2.0)
PICTIME_REFRESH_GRACE_SECONDS = env.float("PICTIME_REFRESH_GRACE_SECONDS", default=25.0)

REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with "WWW-Authenticate: Token". Tokens are django-rest-knox
    # ones: only their hash is stored (POST /api/auth/login/ makes one).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Per signed-in user, per address for anonymous callers (and wrong tokens: "bad_token"); the views
    # that call Pic-Time also have a per-company limit ("pictime"), so that one member can't spend the
    # whole company's Pic-Time rate limit.
    "DEFAULT_THROTTLE_CLASSES": ["crm.api.throttling.AnonThrottle", "crm.api.throttling.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
        "bad_token": env.str("API_THROTTLE_BAD_TOKEN", default="10/min"),
        "pictime": env.str("API_THROTTLE_PICTIME", default="60/min"),
    },
    # The client's address is REMOTE_ADDR, or the proxy's X-Forwarded-For entry behind our proxy.
    "NUM_PROXIES": 1 if BEHIND_HTTPS_PROXY else 0,
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "crm.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.errors.exception_handler",
}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=90)),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Studio CRM API",
    "DESCRIPTION": "Projects, Pic-Time galleries and photo sales of a photography studio.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ loads Swagger UI from drf-spectacular-sidecar's static files (Redoc too, if served).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOG_FORMAT = env.str("LOG_FORMAT", default="text")  # "json" for one JSON object a line
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "crm.ops.logging.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "crm.ops.logging.RequestIdFilter"},
        "secret_paths": {"()": "crm.ops.access_log.SecretPathFilter"},  # no portal tokens in "Not Found: …"
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django-axes: failures and lockouts are warnings; its per-sign-in bookkeeping is not logged.
        "axes": {"level": "WARNING"},
        # On the loggers, not a handler: Django's own DEBUG console handler prints these records too.
        "django.request": {"filters": ["secret_paths"]},
        "django.server": {"filters": ["secret_paths"]},
    },
}

# Serve static files straight from the source folders when there is no collectstatic (development).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
