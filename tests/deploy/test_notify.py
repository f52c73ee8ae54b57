"""A `frontdesk worker` is woken by a web process's commit (PostgreSQL LISTEN/NOTIFY), not
only by its idle poll."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import select

from bot.app import FrontDesk
from bot.outbox import Message, post
from bot.outbox.worker import Worker, wake
from bot.storage.models import OutboxMessage
from tests.conftest import make_settings


async def test_a_commit_in_a_web_process_wakes_a_worker_in_another(postgres_url: str) -> None:
    worker_app = FrontDesk(make_settings(postgres_url))
    web_app = FrontDesk(make_settings(postgres_url))  # no worker of its own, like `run --no-worker`
    await worker_app.start(migrate=False)
    await web_app.start(migrate=False)
    stop = asyncio.Event()
    task = asyncio.create_task(Worker(worker_app).run(stop, idle=60))  # its poll would come after the test
    try:
        await asyncio.sleep(0.5)  # the worker made its first (empty) claim and now waits
        async with web_app.db.transaction() as s:
            await post(s, [Message("log", "r1", {"text": "x"}, key="notify-1")], now=web_app.clock.now())
        wake(web_app)
        deadline = time.monotonic() + 5
        status = None
        while time.monotonic() < deadline:
            async with web_app.db.transaction() as s:
                status = (await s.execute(select(OutboxMessage.status).where(OutboxMessage.idempotency_key == "notify-1"))).scalar()
            if status == "sent":
                break
            await asyncio.sleep(0.05)
        assert status == "sent"
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await worker_app.close()
        await web_app.close()
