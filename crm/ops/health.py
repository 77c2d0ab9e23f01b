"""/healthz for load balancers: is the database answering, is the broker reachable?

200 {"database": "ok", "broker": "ok"} when both are; 503 with the failing one(s) named otherwise
(e.g. {"database": "ok", "broker": "error: ConnectionRefusedError"}). It takes no session, no user,
and at most about BROKER_TIMEOUT seconds when the broker is down.

HealthCheckMiddleware answers it before CommonMiddleware (which checks the Host header against
ALLOWED_HOSTS) and before SecurityMiddleware (whose SSL redirect would send a plain-HTTP probe to
HTTPS): a load balancer probes by IP, with whatever Host it likes, over plain HTTP.
"""

import logging

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection as BrokerConnection

log = logging.getLogger(__name__)

BROKER_TIMEOUT = 1.0  # seconds


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    broker = BrokerConnection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT,
        transport_options={
            **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
            "socket_timeout": BROKER_TIMEOUT,
            "socket_connect_timeout": BROKER_TIMEOUT,
            "max_retries": 0,
        },
    )
    try:
        # Connecting opens a channel, which for Redis sends a PING: the broker has to answer.
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)
    finally:
        broker.release()


CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    results, healthy = {}, True
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            healthy = False
            results[name] = f"error: {error.__class__.__name__}"
            log.warning("healthz.%s_failed", name, extra={"error": str(error)})
        else:
            results[name] = "ok"
    return JsonResponse(results, status=200 if healthy else 503)


HEALTHZ_PATH = "/healthz"


class HealthCheckMiddleware:
    """Serves /healthz for any Host header, on HTTP or HTTPS. Nothing here reads request.get_host()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == HEALTHZ_PATH:
            return healthz(request)
        return self.get_response(request)
