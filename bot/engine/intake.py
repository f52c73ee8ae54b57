"""Group commit for events that arrive together (webhooks under load).

A webhook may answer only once its event is safely stored, so each one waits for a
commit. Committing each event on its own costs a transaction per message — a dozen round
trips to the database and as many statements to build. `Intake` lets concurrent
webhooks share one: events queue here, and one task hands everything waiting to
`Engine.handle_batch`, which turns them in arrival order inside one transaction. There
is no timer: a batch is whatever arrived while the previous one was being turned, so a
lone message is handled at once and a burst is handled in a few transactions.

If a batch fails (a bug in one turn, a deadlock, the database gone), its events are
turned again one by one, each in its own transaction: one bad event gets its own error
(the webhook answers 5xx and the platform retries it) and the others go through.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING

from bot.engine.events import Event, Reply

if TYPE_CHECKING:
    from bot.engine.engine import Engine, ReplySink

log = logging.getLogger(__name__)

MAX_BATCH = 64
"""Events per transaction at most: a long batch holds its users' locks longer."""


class Intake:
    def __init__(self, engine: Engine, *, max_batch: int = MAX_BATCH) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: deque[tuple[Event, ReplySink | None, asyncio.Future[list[Reply]]]] = deque()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.events = 0

    async def submit(self, event: Event, sink: ReplySink | None = None) -> list[Reply]:
        """Turn `event` (in a batch with whatever else is waiting); returns after the commit.
        Raises what turning it raised, so the caller can answer 5xx."""
        future: asyncio.Future[list[Reply]] = asyncio.get_running_loop().create_future()
        self._queue.append((event, sink, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="frontdesk-intake")
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
            self.batches += 1
            self.events += len(batch)
            try:
                results = await self.engine.handle_batch([(event, sink) for event, sink, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][2], exc=exc)
                    continue
                log.warning("a batch of %d events failed (%r); turning them one by one", len(batch), exc)
                for event, sink, future in batch:
                    try:
                        _settle(future, result=await self.engine.handle(event, sink=sink))
                    except Exception as one:
                        _settle(future, exc=one)
                continue
            except BaseException as exc:  # cancelled: nobody waits forever
                for _, _, future in batch:
                    _settle(future, exc=exc if isinstance(exc, Exception) else RuntimeError("intake stopped"))
                raise
            for (_, _, future), replies in zip(batch, results):
                _settle(future, result=replies)


def _settle(future: asyncio.Future[list[Reply]], *, result: list[Reply] | None = None, exc: BaseException | None = None) -> None:
    if future.done():  # the webhook went away (client disconnected): nothing to tell
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result or [])
