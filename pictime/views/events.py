"""An open workspace's event stream (server-sent events): "changed" whenever what the Pic-Time
Galleries panel or Photo sales show has changed, so the workspace fetches them then (the poll,
pictime.views.live) instead of asking every second.

Served by the live process (uvicorn on crm.asgi): a stream is held open for as long as the tab is,
which would pin one of gunicorn's threads each. There it costs no CPU while nothing changes, and an
idle thread (Django's ASGI handler keeps one for a request's sync parts, its signals and middleware,
until the request ends): 50 streams add 15 MB (bench/panel_poll_bench.py). Like the poll, it needs
only the workspace's signed ticket, and all it tells is "changed or not"; what changed is shown
after the full check of the session and the membership.
"""

from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponseForbidden, StreamingHttpResponse
from django.views.decorators.http import require_GET

from pictime.services.live import read_ticket
from pictime.services.live_watch import CLOSING, watch

HEARTBEAT_SECONDS = 20  # a comment line: keeps proxies from closing an idle stream, finds tabs gone
RETRY_MILLISECONDS = 2000  # the browser opens the stream again this long after losing it


@require_GET
async def events(request, project_pk):
    if not isinstance(request, ASGIRequest):
        raise Http404("The live process (crm.asgi) serves this stream.")
    held = read_ticket(request.GET.get("t", ""))
    if not held or held[1] != project_pk:
        return HttpResponseForbidden("This workspace's ticket is not valid: reload the page.")
    response = StreamingHttpResponse(
        _stream(held, request.GET.get("v", "")), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy (nginx) passes each event on at once
    # The workspace is served by the web process, on another origin; the ticket is the credential.
    response["Access-Control-Allow-Origin"] = "*"
    return response


async def _stream(project, version):
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    while True:
        current = await watch.changed(project, version, timeout=HEARTBEAT_SECONDS)
        if current is CLOSING:
            return
        if current is None:
            yield ":\n\n"
        else:
            version = current
            yield f"event: changed\ndata: {current}\n\n"
