"""The smallest WSGI app, 204 to every request, kept out of the access log as the CRM's unchanged
poll is: run under gunicorn as the CRM is, it measures what the server alone costs a poll (the poll
bench's floor)."""

from crm.ops.access_log import QUIET


def application(environ, start_response):
    environ[QUIET] = True
    start_response("204 No Content", [])
    return [b""]
