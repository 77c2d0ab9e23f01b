"""Tells the open workspaces' event streams of one live process when their project's version moves.

Each stream waits on a future; one task a process reads the versions of every project streamed to in
one query a tick (``project_versions``) and settles the futures whose version moved. Fifty open
workspaces cost one small query every half second, where fifty polls cost the web process fifty
requests a second. Considered: PostgreSQL's LISTEN/NOTIFY or Redis pub/sub, which would save the
query but miss a change while the listener reconnects; the project's stamp is what every writer
already sets, in the same transaction as its change.
"""

import asyncio
import contextvars
import logging

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from pictime.services.live import project_versions

logger = logging.getLogger(__name__)

TICK_SECONDS = 0.5
GONE = ""  # the version of a project no longer there (or not the ticket's company's)
CLOSING = object()  # the process stops: the stream ends, and the browser opens it again elsewhere


class VersionWatch:
    def __init__(self, tick: float = TICK_SECONDS):
        self.tick = tick
        self._waiting: dict[tuple[int, int], list[tuple[str, asyncio.Future]]] = {}
        self._task: asyncio.Task | None = None
        self._failing = False

    async def changed(self, project: tuple[int, int], version: str, timeout: float) -> str | None:
        """The version of `project` (company id, project id) once it is not `version` (GONE when
        the project is gone), None after `timeout` seconds without a change, or CLOSING."""
        loop = asyncio.get_running_loop()
        entry = (version, loop.create_future())
        self._waiting.setdefault(project, []).append(entry)
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            # A context of its own: the request that starts it ends long before it does.
            self._task = loop.create_task(self._run(), context=contextvars.Context())
        try:
            return await asyncio.wait_for(entry[1], timeout)
        except TimeoutError:
            return None
        finally:
            waiting = self._waiting.get(project, [])
            waiting.remove(entry)
            if not waiting:
                self._waiting.pop(project, None)

    def close(self) -> None:
        """Ends every stream waiting now (the process stops)."""
        for waiting in self._waiting.values():
            for _, future in waiting:
                if not future.done():
                    future.set_result(CLOSING)

    def watching(self) -> int:
        """How many streams wait on this watch."""
        return sum(len(waiting) for waiting in self._waiting.values())

    async def _run(self) -> None:
        try:
            while self._waiting:
                projects = list(self._waiting)
                try:
                    versions = await sync_to_async(_read_versions)(projects)
                except Exception:  # the database is away: the streams wait, the next tick asks again
                    if not self._failing:  # once per outage, not twice a second
                        logger.exception("Could not read the open workspaces' versions; asking again")
                    self._failing = True
                else:
                    if self._failing:
                        logger.info("Reading the open workspaces' versions again")
                    self._failing = False
                    for project in projects:
                        current = versions.get(project, GONE)
                        for version, future in self._waiting.get(project, ()):
                            if version != current and not future.done():
                                future.set_result(current)
                await asyncio.sleep(self.tick)
        finally:  # no stream left (or the process stops): no database connection kept for nobody
            await sync_to_async(connections.close_all)()


def _read_versions(projects):
    # As at a request's start: a connection a database restart broke is replaced, not reused.
    close_old_connections()
    return project_versions(projects)


watch = VersionWatch()
