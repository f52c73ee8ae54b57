"""PostgreSQL: truly concurrent attempts at one slot, and outbox delivery with failures.

Runs on the test session's own PostgreSQL database (tests/conftest.py)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from bot.domain.booking import SlotTaken
from bot.outbox import TransientError, register_transport
from bot.outbox.worker import Worker
from bot.services import booking as svc
from bot.storage.models import Booking, OutboxMessage, User

from bot.storage.db import Database

from .conftest import NOW

pytestmark = pytest.mark.postgres
WITA = ZoneInfo("Asia/Makassar")
SLOT = datetime(2026, 11, 25, 10, 0, tzinfo=WITA)


async def _users(app, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        users = [User(channel="cli", external_id=f"racer{i}", created_at=NOW, language="id", language_locked=False) for i in range(n)]
        s.add_all(users)
        await s.flush()
        return [u.id for u in users]


def _request(uid: int) -> svc.BookingRequest:
    return svc.BookingRequest(user_id=uid, center_code="plut-maros", area="marketing", starts_at=SLOT, name=f"racer {uid}",
                              business_name=None, business_kind=None, phone=None, consent_at=NOW)


async def _attempt(db, uid: int, *, hold_first: bool) -> str:  # type: ignore[no-untyped-def]
    """One user's whole attempt in its own transaction on its own connection."""
    try:
        async with db.transaction() as s:
            if hold_first:
                await svc.hold_slot(s, user_id=uid, center_code="plut-maros", area="marketing", starts_at=SLOT, now=NOW)
            await svc.book(s, _request(uid), now=NOW)
        return "booked"
    except SlotTaken:
        return "taken"


@pytest.mark.parametrize("hold_first", [False, True])
async def test_fifty_concurrent_attempts_leave_one_booking(pg_frontdesk, hold_first: bool) -> None:  # type: ignore[no-untyped-def]
    app = pg_frontdesk
    uids = await _users(app, 50)
    # 50 connections of their own, opened before the start so the attempts really overlap.
    db = Database(app.settings.database_url, pool_size=25)
    try:
        conns = await asyncio.gather(*(db.engine.connect() for _ in range(50)))
        await asyncio.gather(*(c.close() for c in conns))
        start = asyncio.Event()

        async def racer(uid: int) -> str:
            await start.wait()
            return await _attempt(db, uid, hold_first=hold_first)

        tasks = [asyncio.create_task(racer(u)) for u in uids]
        await asyncio.sleep(0)
        start.set()
        outcomes = Counter(await asyncio.gather(*tasks))
    finally:
        await db.dispose()
    assert outcomes == {"booked": 1, "taken": 49}
    async with app.db.transaction() as s:
        active = (await s.execute(select(func.count()).select_from(Booking).where(Booking.status.in_(("pending", "confirmed"))))).scalar()
        assert active == 1
        # One consultant notification and two reminders: nothing from the losers.
        assert (await s.execute(select(func.count()).select_from(OutboxMessage))).scalar() == 3


async def test_the_partial_unique_index_is_in_the_schema(pg_frontdesk) -> None:  # type: ignore[no-untyped-def]
    async with pg_frontdesk.db.transaction() as s:
        ddl = (await s.execute(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'uq_bookings_active_slot'"))).scalar_one()
    assert "UNIQUE" in ddl and "consultant_id, starts_at" in ddl and "pending" in ddl and "confirmed" in ddl


class FlakyTransport:
    """Fails the first two tries of every message, then records the delivery."""

    def __init__(self) -> None:
        self.tries: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()

    async def send(self, message: OutboxMessage) -> str | None:
        self.tries[message.idempotency_key] += 1
        if self.tries[message.idempotency_key] <= 2:
            raise TransientError("injected failure", retry_after=1)
        await asyncio.sleep(0.001)
        self.delivered[message.idempotency_key] += 1
        return f"p{message.id}"


async def test_outbox_delivers_each_message_once_despite_failures(pg_frontdesk) -> None:  # type: ignore[no-untyped-def]
    app = pg_frontdesk
    flaky = FlakyTransport()
    register_transport("flaky", lambda _app: flaky)
    uids = await _users(app, 12)
    async with app.db.transaction() as s:
        await s.execute(text("UPDATE consultants SET channel='flaky', external_id='c-' || id"))
        await s.execute(text("UPDATE users SET channel='flaky'"))
    refs = []
    for i, uid in enumerate(uids):
        async with app.db.transaction() as s:
            slot = datetime(2026, 11, 24 + i // 6, 8 + i % 6 + (1 if i % 6 >= 4 else 0), 0, tzinfo=WITA)
            b = await svc.book(s, svc.BookingRequest(uid, "plut-maros", "marketing", slot, "x", None, None, None, NOW), now=NOW)
            refs.append(b.ref)
    async with app.db.transaction() as s:  # one cancelled booking: its reminders must never go out
        await svc.cancel_booking(s, user_id=uids[0], ref=refs[0], now=NOW)
    workers = [Worker(app), Worker(app)]
    when = NOW
    for _ in range(40):  # two workers racing, the clock moving past every retry and reminder
        when += timedelta(hours=2)
        await asyncio.gather(*(w.deliver_once(when) for w in workers))
    async with app.db.transaction() as s:
        rows = list((await s.execute(select(OutboxMessage))).scalars())
    sent = [r for r in rows if r.status == "sent"]
    assert sent and all(flaky.delivered[r.idempotency_key] == 1 for r in sent)
    assert sum(flaky.delivered.values()) == len(sent)
    assert {r.status for r in rows} <= {"sent", "cancelled"}
    stale = [r for r in rows if r.ref == refs[0] and r.kind.startswith("reminder")]
    assert stale and all(r.status == "cancelled" and flaky.delivered[r.idempotency_key] == 0 for r in stale)
