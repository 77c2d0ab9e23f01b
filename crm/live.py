"""The live process: uvicorn serving crm.asgi for the open workspaces' event streams
(pictime.views.events). `python -m crm.live`, on LIVE_BIND (default 127.0.0.1:8002).

When it stops (a deploy, Ctrl-C) it first ends every stream, so each browser opens its stream again
2 s later, from the next process, and polls the web process meanwhile; uvicorn alone would wait its
graceful timeout for streams that never end, then cut them off with an error each.
"""

import os

import uvicorn

from crm.asgi import application  # sets Django up
from pictime.services.live_watch import watch


class LiveServer(uvicorn.Server):
    async def shutdown(self, sockets=None):
        watch.close()
        await super().shutdown(sockets)


def config(host: str, port: int) -> uvicorn.Config:
    # No access log: a stream's URL holds the workspace's ticket, and its line would say nothing.
    # Logs go through Django's LOGGING (log_config=None), as the web process's do.
    return uvicorn.Config(
        application,
        host=host,
        port=port,
        lifespan="off",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    host, _, port = os.environ.get("LIVE_BIND", "127.0.0.1:8002").rpartition(":")
    LiveServer(config(host, int(port))).run()
