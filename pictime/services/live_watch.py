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
from django.db import connections

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
        self._closing_loop = None  # the event loop of a process that stops
        self._failing = False

    async def changed(self, project: tuple[int, int], version: str, timeout: float):
        """The version of `project` (company id, project id) once it is not `version` (GONE when
        the project is gone), None after `timeout` seconds without a change, or CLOSING."""
        loop = asyncio.get_running_loop()
        if self._closing_loop is loop:
            return CLOSING
        entry = (version, loop.create_future())
        self._waiting.setdefault(project, []).append(entry)
        if self._task is None or self._task.get_loop() is not loop:
            # A context of its own: the request that starts it ends long before it does.
            self._task = loop.create_task(self._run(), context=contextvars.Context())
        try:
            # asyncio.timeout, not wait_for: a cancel (the tab closed) that meets a result is
            # not swallowed (Python 3.11's wait_for would return the result, and the stream go on).
            async with asyncio.timeout(timeout):
                return await entry[1]
        except TimeoutError:
            return None
        finally:
            waiting = self._waiting.get(project, [])
            waiting.remove(entry)
            if not waiting:
                self._waiting.pop(project, None)

    def close(self) -> None:
        """Ends every stream of this process, waiting now or still to come (the process stops)."""
        self._closing_loop = asyncio.get_running_loop()
        for waiting in self._waiting.values():
            for _, future in waiting:
                if not future.done():
                    future.set_result(CLOSING)

    def watching(self) -> int:
        """How many streams wait on this watch."""
        return sum(map(len, list(self._waiting.values())))

    async def _run(self) -> None:
        try:
            while self._waiting:
                await self._tick()
                await asyncio.sleep(self.tick)
        finally:
            # No stream left (or the process stops): a stream that comes now starts the watch again
            # at once, and no database connection is kept for nobody.
            if self._task is asyncio.current_task():
                self._task = None
            await sync_to_async(connections.close_all)()

    async def _tick(self) -> None:
        projects = list(self._waiting)
        try:
            versions = await sync_to_async(project_versions)(projects)
        except Exception:  # the database is away: the streams wait, the next tick asks again
            if not self._failing:  # once per outage, not twice a second
                logger.exception("Could not read the open workspaces' versions; asking again")
            self._failing = True
            # A connection a database restart broke is replaced at the next tick, not reused.
            await sync_to_async(connections.close_all)()
            return
        if self._failing:
            logger.info("Reading the open workspaces' versions again")
        self._failing = False
        for project in projects:
            current = versions.get(project, GONE)
            for version, future in self._waiting.get(project, ()):
                if version != current and not future.done():
                    future.set_result(current)


watch = VersionWatch()
