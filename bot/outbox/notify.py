"""Waking `frontdesk worker` processes when a web process commits outbox rows (PostgreSQL).

A web process started with `--no-worker` has no worker of its own to wake, and a separate
worker would otherwise find new rows only at its next idle poll (0.2 s), a claim that
comes at most five times a second, so replies queued up between polls (the scale bench:
first-reply p50 270 ms and p99 1.3 s at 300 messages/s, against 36 / 160 ms in one
process). With PostgreSQL's LISTEN/NOTIFY the web process sends `pg_notify` after its
commit and every listening worker is woken at once. Notifications are coalesced: one in
flight per process and at most one more after it, however many batches commit meanwhile.
The idle poll stays, so a lost notification (a restart, a dropped connection) costs only
the poll's delay."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

CHANNEL = "frontdesk_outbox"


class Notifier:
    """The sending side, one per process."""

    def __init__(self, app: FrontDesk) -> None:
        self.app = app
        self.again = False
        self.task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._send(), name="outbox-notify")
        else:
            self.again = True

    async def _send(self) -> None:
        while True:
            self.again = False
            try:
                async with self.app.db.single_statement() as conn:
                    await conn.exec_driver_sql(f"SELECT pg_notify('{CHANNEL}', '')")
            except Exception as exc:  # the workers' idle poll still finds the rows
                log.warning("could not notify the outbox workers: %s", type(exc).__name__)
                return
            if not self.again:
                return


def poke(app: FrontDesk) -> None:
    """Outbox rows were committed in a process without a worker: wake the workers elsewhere."""
    if app.db.is_sqlite:
        return
    notifier = app.outbox_notifier
    if notifier is None:
        notifier = app.outbox_notifier = Notifier(app)
    notifier.poke()


async def listen(app: FrontDesk, wake: asyncio.Event) -> Any:
    """Set `wake` on every notification; returns what `unlisten` closes (None on SQLite or
    when listening fails, the poll then being the only way rows are found)."""
    if app.db.is_sqlite:
        return None
    try:
        conn = await app.db.engine.connect()
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection  # asyncpg's connection (PostgreSQL only)
        await driver.add_listener(CHANNEL, lambda *_: wake.set())
    except Exception as exc:
        log.warning("outbox worker listens for no notifications (%s); it polls", type(exc).__name__)
        return None
    return conn


async def unlisten(conn: Any) -> None:
    if conn is not None:
        try:
            await conn.invalidate()  # the LISTEN ends with the connection; do not return it to the pool
        except Exception:
            pass
