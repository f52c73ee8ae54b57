"""Engine throughput and latency: events straight into `Engine.handle`, no HTTP.

    python bench/engine_bench.py --database-url postgresql+asyncpg://postgres@127.0.0.1/frontdesk_bench \
        --users 200 --messages 5 --concurrency 32

Creates (or empties) the database, migrates it, then sends `users × messages` events
(menu presses and free text) with at most `concurrency` in flight. Prints JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import FrontDesk
from bot.config import load_settings
from bot.engine.events import Event
from bot.storage.db import upgrade_schema
from bot.storage.models import Base


async def _reset(url: str) -> None:
    if url.startswith("postgresql"):
        admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default="postgresql+asyncpg://postgres@127.0.0.1/frontdesk_bench")
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--messages", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--one-by-one", action="store_true",
                   help="each event in its own transaction (Engine.handle) instead of the webhooks' group commit (Engine.intake)")
    args = p.parse_args()
    await _reset(args.database_url)
    await asyncio.to_thread(upgrade_schema, args.database_url)
    app = FrontDesk(load_settings(DATABASE_URL=args.database_url, FRONTDESK_DEMO_SEED="false"))
    await app.start(migrate=False, seed=False)
    script = [{"command": "start"}, {"text": "Ganti bahasa"}, {"button": "lang:en"}, {"text": "menu"}, {"text": "how much does it cost?"}]
    gate = asyncio.Semaphore(args.concurrency)
    latencies: list[float] = []
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
    turn = app.engine.handle if args.one_by_one else app.engine.intake.submit

    async def user(u: int) -> None:
        for i in range(args.messages):
            step = script[i % len(script)]
            async with gate:
                t0 = time.perf_counter()
                await turn(Event(channel="bench", user_id=f"u{u}", message_id=f"{u}-{i}", **step))
                latencies.append((time.perf_counter() - t0) * 1000)

    t0, cpu0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(user(u) for u in range(args.users)))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    batches = app.engine.intake.batches
    await app.close()
    lat = sorted(latencies)
    print(json.dumps({
        "events": len(lat), "seconds": round(elapsed, 2), "events_per_second": round(len(lat) / elapsed, 1),
        "cpu_ms_per_event": round(cpu / len(lat) * 1000, 2),
        "statements_per_event": round(statements / len(lat), 2),
        "events_per_transaction": round(len(lat) / batches, 1) if batches else 1,
        "latency_ms": {"p50": round(statistics.median(lat), 2), "p99": round(lat[int(len(lat) * 0.99) - 1], 2), "max": round(lat[-1], 2)},
        "database": args.database_url.split("://")[0], "concurrency": args.concurrency,
    }, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
