"""Booking benchmarks.

    /work/venv/bin/python bench/booking_bench.py slots            # pure slot computation
    /work/venv/bin/python bench/booking_bench.py bookings [--url postgresql+asyncpg://postgres@127.0.0.1/frontdesk_booking_bench] [--n 2000] [--concurrency 16] [--processes 2]

`slots`: one center, 7 consultants, 14 days, a third of the slots already booked: the time
to compute every free slot (target <= 5 ms). `bookings`: complete bookings (slot check,
insert under the unique index, consultant notification and two reminders in the outbox)
through the `book` use case, each in its own transaction, N of them over C connections
(target >= 200/s). The bookings database is wiped first. With `--processes P`, P processes
(as several `frontdesk run` behind a load balancer) each book every P-th booking over C/P
connections of their own pool, starting together; the rate is all bookings over the time
from the first start to the last finish.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time as clock
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.domain.slots import ConsultantSchedule, generate_slots, parse_availability  # noqa: E402

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def bench_slots(rounds: int = 300) -> None:
    windows = parse_availability("Mon-Thu 08:00-12:00, 13:00-15:00; Fri 08:00-11:00, 13:30-15:00")
    schedules = [ConsultantSchedule(i, windows, frozenset({"marketing", "it"})) for i in range(1, 8)]
    all_slots = generate_slots(schedules, tz="Asia/Makassar", now=NOW)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for s in all_slots[::3]:
        busy.setdefault(s.consultant_id, []).append((s.starts_at, s.ends_at))
    generate_slots(schedules, tz="Asia/Makassar", now=NOW, busy=busy)  # warm the holiday cache
    times = []
    for _ in range(rounds):
        t0 = clock.perf_counter()
        out = generate_slots(schedules, tz="Asia/Makassar", now=NOW, busy=busy)
        times.append((clock.perf_counter() - t0) * 1000)
    times.sort()
    print(f"slots: 7 consultants x 14 days, {len(all_slots)} slots, {len(out)} free; "
          f"median {statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95)]:.2f} ms (target <= 5 ms)")


async def _prepare_bookings(url: str, n: int) -> list[tuple[int, datetime]]:
    """Wipe and migrate the bench database, add 7 consultants and N users: (user id, start) per booking."""
    import asyncpg

    from bot.app import FrontDesk
    from bot.config import load_settings
    from bot.services import booking as svc
    from bot.services.centers import seed_centers
    from bot.storage.models import User

    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(dsn.rsplit("/", 1)[0] + "/postgres")
    name = dsn.rsplit("/", 1)[1]
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    conn = await asyncpg.connect(dsn)
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    await conn.close()

    app = FrontDesk(load_settings(DATABASE_URL=url, FRONTDESK_NOW=NOW.isoformat()))
    await app.start(migrate=True, seed=False)
    every_day = parse_availability("Mon-Sun 07:00-19:00")
    async with app.db.transaction() as s:
        await seed_centers(s, app.content_dir)  # the shipped centers only: the bench brings its own consultants
        consultants = [
            await svc.add_consultant(s, center_code="plut-sleman", name=f"bench {i}", areas=["marketing"], windows=every_day, now=NOW)
            for i in range(7)
        ]
        users = [User(channel="bench", external_id=f"b{i}", created_at=NOW, language="id", language_locked=False) for i in range(n)]
        s.add_all(users)
        await s.flush()
        user_ids = [u.id for u in users]
    async with app.db.transaction() as s:
        slots = await svc.free_slots(s, center_code="plut-sleman", area="marketing", now=NOW)
    await app.close()
    starts = sorted({x.starts_at for x in slots})
    if n > len(starts) * len(consultants):
        raise SystemExit(f"only {len(starts) * len(consultants)} slots for {n} bookings")
    # Each start has 7 consultants; spread the bookings over the starts.
    return [(uid, starts[i % len(starts)]) for i, uid in enumerate(user_ids)]


async def _book_share(url: str, share: list[tuple[int, datetime]], concurrency: int, start_gate=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Book `share` over `concurrency` connections of this process's own pool: counts and times."""
    from sqlalchemy import event

    from bot.services import booking as svc
    from bot.storage.db import Database

    db = Database(url)
    async with db.transaction() as s:  # open one connection and warm imports before the clock starts
        await s.execute(__import__("sqlalchemy").text("SELECT 1"))
    gate = asyncio.Semaphore(concurrency)
    made = taken = statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    # Every SQL statement SQLAlchemy sends (BEGIN/COMMIT and the pool's ping go through the driver, uncounted).
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)

    async def one(uid: int, at: datetime) -> None:
        nonlocal made, taken
        async with gate:
            try:
                async with db.transaction() as s:
                    await svc.book(s, svc.BookingRequest(uid, "plut-sleman", "marketing", at, "bench", None, None, None, NOW), now=NOW)
                made += 1
            except svc.SlotTaken:
                taken += 1

    if start_gate is not None:
        await asyncio.to_thread(start_gate.wait)
    t0, cpu0 = clock.perf_counter(), clock.process_time()
    await asyncio.gather(*(one(uid, at) for uid, at in share))
    elapsed, cpu = clock.perf_counter() - t0, clock.process_time() - cpu0
    wall_end = clock.time()
    event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    await db.dispose()
    return {"made": made, "taken": taken, "statements": statements, "elapsed": elapsed, "cpu": cpu, "end": wall_end,
            "start": wall_end - elapsed}


def _child(url: str, share: list[tuple[int, datetime]], concurrency: int, start_gate, results) -> None:  # type: ignore[no-untyped-def]
    results.put(asyncio.run(_book_share(url, share, concurrency, start_gate)))


async def _count_rows(url: str) -> tuple[int, int]:
    from sqlalchemy import func, select

    from bot.storage.db import Database
    from bot.storage.models import Booking, OutboxMessage

    db = Database(url)
    async with db.transaction() as s:
        made = (await s.execute(select(func.count()).select_from(Booking))).scalar_one()
        rows = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar_one()
    await db.dispose()
    return made, rows


def bench_bookings(url: str, n: int, concurrency: int, processes: int) -> None:
    plan = asyncio.run(_prepare_bookings(url, n))
    if processes <= 1:
        results = [asyncio.run(_book_share(url, plan, concurrency))]
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        gate, queue = ctx.Barrier(processes), ctx.Queue()
        per_process = max(1, concurrency // processes)
        children = [ctx.Process(target=_child, args=(url, plan[i::processes], per_process, gate, queue)) for i in range(processes)]
        for c in children:
            c.start()
        results = [queue.get() for _ in children]
        for c in children:
            c.join()
    made_rows, outbox_rows = asyncio.run(_count_rows(url))
    made, taken = sum(r["made"] for r in results), sum(r["taken"] for r in results)
    cpu, statements = sum(r["cpu"] for r in results), sum(r["statements"] for r in results)
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    summed = sum(r["made"] / r["elapsed"] for r in results)
    where = "one process" if processes <= 1 else (f"{processes} processes × {max(1, concurrency // processes)} connections "
                                                 f"(sum of per-process rates {summed:.0f}/s)")
    print(f"bookings: {made_rows} booked ({taken} lost a race) in {wall:.2f} s over {concurrency} connections, {where} = "
          f"{made / wall:.0f} bookings/s, {outbox_rows} outbox rows (target >= 200/s); "
          f"{cpu / max(made, 1) * 1000:.1f} ms CPU per booking in the booking process(es), "
          f"{statements / max(n, 1):.1f} SQL statements per booking (+ BEGIN/COMMIT and the pool's ping)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["slots", "bookings", "all"])
    p.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1/frontdesk_booking_bench")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16, help="connections in all (split evenly over the processes)")
    p.add_argument("--processes", type=int, default=1, help="booking processes, each with its own pool and share of the bookings")
    a = p.parse_args()
    if a.what in ("slots", "all"):
        bench_slots()
    if a.what in ("bookings", "all"):
        bench_bookings(a.url, a.n, a.concurrency, a.processes)


if __name__ == "__main__":
    main()
