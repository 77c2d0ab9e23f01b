"""Property-based tests of every API operation from its OpenAPI schema (schemathesis), in-process
through the WSGI application, as the company's owner (token auth): no 500s, and every response
matches the schema (status code, content type, body).

The owner's company is really connected to a Pic-Time sandbox account, with a gallery linked to
its project and an order synced (tests/api/conftest.py); the operations call the real services,
which call the sandbox over HTTP. The sandbox's rate limit (10/s) is raised for the run; examples
are bounded so that it takes seconds, not minutes. Every other example uses the real ids (and a
valid Idempotency-Key), so that operations reach their success paths as well as their 404s and 400s.
"""

import uuid

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crm.wsgi import application

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# Loaded at collection, in-process: serving the schema needs no database and no login.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture
def wsgi_keeps_the_test_database_connection(db):
    """As Django's test client does: a request must not close the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Operations that call Pic-Time: the run must have reached the sandbox (not only 404s and 400s).
CALLS_PICTIME = {
    "POST /api/projects/{project_id}/galleries/",
    "POST /api/projects/{project_id}/galleries/link/",
    "GET /api/projects/{project_id}/galleries/available/",
    "POST /api/projects/{project_id}/galleries/{link_id}/sync/",
}


@pytest.fixture
def owner_world(
    request, wsgi_keeps_the_test_database_connection, sandbox, pictime_account, owner, project, order, link
):
    sandbox.set_rate_limit(1000, 1000)  # reset() by the next test's `sandbox` fixture
    _, token = AuthToken.objects.create(user=owner)
    before = sandbox.stats(pictime_account["id"])["api_requests"]
    yield {"token": token, "project_id": project.pk, "link_id": link.pk, "examples": 0}
    operation = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    made = sandbox.stats(pictime_account["id"])["api_requests"] - before
    if any(op in request.node.name for op in CALLS_PICTIME):
        assert made > 0, f"{operation}: no example reached Pic-Time"


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_api_operation_matches_its_schema(case, owner_world):
    # Every other example is aimed at the success path: the real project and link ids, and a valid
    # Idempotency-Key (most generated ones are refused with 400: spaces, non-ASCII).
    owner_world["examples"] += 1
    if owner_world["examples"] % 2 == 0:
        for name in ("project_id", "link_id"):
            if name in (case.path_parameters or {}):
                case.path_parameters[name] = owner_world[name]
        if "Idempotency-Key" in (case.headers or {}):
            case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
    case.call_and_validate(headers={"Authorization": f"Token {owner_world['token']}"}, checks=CHECKS)


def test_the_schema_has_every_api_operation():
    """So that the run above covers them all: every API URL (but the root, the schema and the docs
    pages) is an operation of the schema, with each method its view answers."""
    from django.urls import URLPattern, get_resolver

    operations = {(op.path, op.method.upper()) for op in (r.ok() for r in schema.get_all_operations())}
    expected = set()

    def walk(patterns, prefix):  # into included URLconfs too (pictime/api_urls.py nests its routes)
        for inner in patterns:
            route = prefix + str(inner.pattern)
            if not isinstance(inner, URLPattern):
                walk(inner.url_patterns, route)
            elif inner.name not in {"api-root", "api-schema", "api-docs"}:
                path = "/" + route.replace("<str:", "{").replace(">", "}")
                for method in ("get", "post", "put", "patch", "delete"):
                    if hasattr(inner.callback.cls, method):
                        expected.add((path, method.upper()))

    walk([p for p in get_resolver().url_patterns if str(p.pattern) == "api/"], "")
    assert expected and operations == expected
