"""Booking benchmarks.

    /work/venv/bin/python bench/booking_bench.py slots            # pure slot computation
    /work/venv/bin/python bench/booking_bench.py bookings [--url postgresql+asyncpg://postgres@127.0.0.1/frontdesk_booking_bench] [--n 2000] [--concurrency 16]

`slots`: one center, 7 consultants, 14 days, a third of the slots already booked: the time
to compute every free slot (target <= 5 ms). `bookings`: complete bookings (slot check,
insert under the unique index, consultant notification and two reminders in the outbox)
through the `book` use case, each in its own transaction, N of them over C connections
(target >= 200/s). The bookings database is wiped first.
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


async def bench_bookings(url: str, n: int, concurrency: int) -> None:
    import asyncpg

    from bot.app import FrontDesk
    from bot.config import load_settings
    from bot.services import booking as svc
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
    wib = ZoneInfo("Asia/Jakarta")
    every_day = parse_availability("Mon-Sun 07:00-19:00")
    async with app.db.transaction() as s:
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
    starts = sorted({x.starts_at for x in slots})
    # Each start has 7 consultants; spread the bookings over the starts.
    plan = [starts[i % len(starts)] for i in range(n)]
    if n > len(starts) * len(consultants):
        raise SystemExit(f"only {len(starts) * len(consultants)} slots for {n} bookings")
    gate = asyncio.Semaphore(concurrency)
    taken = 0

    async def one(uid: int, at: datetime) -> None:
        nonlocal taken
        async with gate:
            try:
                async with app.db.transaction() as s:
                    await svc.book(s, svc.BookingRequest(uid, "plut-sleman", "marketing", at, "bench", None, None, None, NOW), now=NOW)
            except svc.SlotTaken:
                taken += 1

    t0, cpu0 = clock.perf_counter(), clock.process_time()
    await asyncio.gather(*(one(u, at) for u, at in zip(user_ids, plan, strict=True)))
    elapsed, cpu = clock.perf_counter() - t0, clock.process_time() - cpu0
    async with app.db.transaction() as s:
        from sqlalchemy import func, select

        from bot.storage.models import Booking, OutboxMessage

        made = (await s.execute(select(func.count()).select_from(Booking))).scalar()
        rows = (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar()
    await app.close()
    print(f"bookings: {made} booked ({taken} lost a race) in {elapsed:.2f} s over {concurrency} connections = "
          f"{made / elapsed:.0f} bookings/s, {rows} outbox rows (target >= 200/s); "
          f"this process used {cpu / max(made, 1) * 1000:.1f} ms CPU per booking")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=["slots", "bookings", "all"])
    p.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1/frontdesk_booking_bench")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16)
    a = p.parse_args()
    if a.what in ("slots", "all"):
        bench_slots()
    if a.what in ("bookings", "all"):
        asyncio.run(bench_bookings(a.url, a.n, a.concurrency))


if __name__ == "__main__":
    main()
