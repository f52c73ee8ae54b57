"""The outbox: rows commit or roll back with their change; delivery retries, orders, and stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import FrontDesk
from bot.outbox import Message, PermanentError, TransientError, cancel_pending, deferred, post, register_transport
from bot.outbox.worker import Worker
from bot.storage.models.outbox import OutboxMessage


class FlakyTransport:
    """Fails the first `failures[text]` sends of a text, then delivers; records deliveries."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}
        self.permanent: set[str] = set()
        self.delivered: list[str] = []

    async def send(self, message: OutboxMessage) -> str | None:
        text = message.payload["text"]
        if text in self.permanent:
            raise PermanentError("blocked by user")
        if self.failures.get(text, 0) > 0:
            self.failures[text] -= 1
            raise TransientError("HTTP 429", retry_after=3)
        self.delivered.append(text)
        return f"p-{len(self.delivered)}"


@pytest.fixture
def flaky() -> FlakyTransport:
    transport = FlakyTransport()
    register_transport("testchan", lambda app: transport)
    return transport


async def _rows(app: FrontDesk) -> list[OutboxMessage]:
    async with app.db.transaction() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


def _message(text: str, key: str, *, to: str = "r1", channel: str = "testchan", **kw) -> Message:  # type: ignore[no-untyped-def]
    return Message(channel, to, {"text": text}, key=key, **kw)


async def _add(app: FrontDesk, text: str, key: str, **kw) -> bool:  # type: ignore[no-untyped-def]
    async with app.db.transaction() as s:
        return await post(s, [_message(text, key, **kw)], now=app.clock.now()) == 1


async def test_rows_roll_back_with_their_transaction(app: FrontDesk) -> None:
    with pytest.raises(RuntimeError):
        async with app.db.transaction() as s:
            await post(s, [_message("x", "k")], now=app.clock.now())
            raise RuntimeError("the booking failed")
    assert await _rows(app) == []
    assert await _add(app, "x", "k") and not await _add(app, "x", "k")
    assert len(await _rows(app)) == 1


async def test_delivered_exactly_once_despite_failures_and_in_order(app: FrontDesk, flaky: FlakyTransport) -> None:
    flaky.failures = {"one": 2, "three": 1}
    for i, t in enumerate(["one", "two", "three"]):
        await _add(app, t, f"k{i}")
    await _add(app, "other", "k9", to="r2")
    worker = Worker(app)
    now = app.clock.now()
    for _ in range(12):
        await worker.deliver_once(now)
        now += timedelta(seconds=4)
    assert flaky.delivered.index("one") < flaky.delivered.index("two") < flaky.delivered.index("three")
    assert sorted(flaky.delivered) == ["one", "other", "three", "two"]
    rows = await _rows(app)
    assert {r.status for r in rows} == {"sent"}
    assert [r.attempts for r in rows] == [1, 1, 1, 1], "a rate limit (429) is no attempt"


async def test_a_rate_limit_never_fails_a_reply_nor_lets_a_later_one_overtake_it(app: FrontDesk, flaky: FlakyTransport) -> None:
    """Twelve 429s in a row: more than the attempts a transport's error is given. The reply
    waits as told, still goes out, and the one after it goes out after it."""
    flaky.failures = {"first": 12}
    await _add(app, "first", "k1")
    await _add(app, "second", "k2")
    worker = Worker(app)
    now = app.clock.now()
    for _ in range(16):
        await worker.deliver_once(now)
        now += timedelta(seconds=4)
    assert flaky.delivered == ["first", "second"]
    rows = await _rows(app)
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1), ("sent", 1)]


async def test_retry_after_is_honoured(app: FrontDesk, flaky: FlakyTransport) -> None:
    flaky.failures = {"hi": 1}
    await _add(app, "hi", "k1")
    worker, now = Worker(app), app.clock.now()
    await worker.deliver_once(now)
    await worker.deliver_once(now + timedelta(seconds=2))
    assert flaky.delivered == []
    await worker.deliver_once(now + timedelta(seconds=3))
    assert flaky.delivered == ["hi"]


async def test_permanent_failure_is_recorded_and_not_retried(app: FrontDesk, flaky: FlakyTransport) -> None:
    flaky.permanent = {"bye"}
    await _add(app, "bye", "k1")
    worker, now = Worker(app), app.clock.now()
    for i in range(3):
        await worker.deliver_once(now + timedelta(hours=i))
    (row,) = await _rows(app)
    assert row.status == "failed" and row.attempts == 1 and "blocked" in (row.last_error or "")


async def test_scheduled_messages_wait_and_can_be_cancelled(app: FrontDesk, flaky: FlakyTransport) -> None:
    now = app.clock.now()
    await _add(app, "reminder-1", "r1", not_before=now + timedelta(hours=1), ref="PLUT-AAAA", kind="reminder.day_before")
    await _add(app, "reminder-2", "r2", not_before=now + timedelta(hours=2), ref="PLUT-BBBB", kind="reminder.day_before")
    await _add(app, "reply", "m1")
    worker = Worker(app)
    await worker.deliver_once(now)
    assert flaky.delivered == ["reply"], "a scheduled message neither goes early nor blocks later replies"
    async with app.db.transaction() as s:
        assert await cancel_pending(s, ref="PLUT-AAAA", kind_prefix="reminder") == 1
    await worker.deliver_once(now + timedelta(hours=3))
    assert flaky.delivered == ["reply", "reminder-2"]


async def test_unknown_channel_fails_cleanly(app: FrontDesk) -> None:
    async with app.db.transaction() as s:
        await post(s, [_message("t", "k", channel="nochannel", to="x")], now=app.clock.now())
    await Worker(app).deliver_once()
    (row,) = await _rows(app)
    assert row.status == "failed" and "no transport" in (row.last_error or "")


async def test_one_message_or_many_make_the_same_rows(app: FrontDesk) -> None:
    now = app.clock.now()
    later = now + timedelta(hours=1)
    await _add(app, "single", "s1", ref="PLUT-AAAA", kind="booking.new")
    await _add(app, "single-later", "s2", not_before=later, ref="PLUT-AAAA", kind="reminder.2h", to="r" * 80)
    async with app.db.transaction() as s:
        added = await post(s, [
            _message("single", "b1", ref="PLUT-AAAA", kind="booking.new"),
            _message("single-later", "b2", not_before=later, ref="PLUT-AAAA", kind="reminder.2h", to="r" * 80),
        ], now=now)
    assert added == 2
    one, two, many_one, many_two = await _rows(app)
    fields = ("channel", "recipient", "kind", "payload", "ref", "status", "attempts", "ordered", "next_attempt_at", "created_at",
              "sent_at", "provider_message_id", "last_error")
    assert [getattr(many_one, f) for f in fields] == [getattr(one, f) for f in fields]
    assert [getattr(many_two, f) for f in fields] == [getattr(two, f) for f in fields]
    assert not many_two.ordered and many_two.next_attempt_at == later and len(many_two.recipient) == 64


async def test_post_skips_keys_seen_before_and_rolls_back(app: FrontDesk, flaky: FlakyTransport) -> None:
    await _add(app, "old", "k1")
    async with app.db.transaction() as s:
        assert await post(s, [], now=app.clock.now()) == 0
        added = await post(s, [_message("dup", "k1"), _message("a", "k2"), _message("a-again", "k2"), _message("b", "k3")],
                           now=app.clock.now())
    assert added == 2, "a key already in the table, or earlier in the batch, adds nothing"
    with pytest.raises(RuntimeError):
        async with app.db.transaction() as s:
            await post(s, [_message("c", "k4"), _message("d", "k5")], now=app.clock.now())
            raise RuntimeError("the booking failed")
    assert [r.payload["text"] for r in await _rows(app)] == ["old", "a", "b"]
    for _ in range(3):
        await Worker(app).deliver_once()
    assert flaky.delivered == ["old", "a", "b"], "batch rows keep their order for one recipient"


async def test_reminder_cancelled_after_the_claim_is_not_sent(app: FrontDesk, flaky: FlakyTransport) -> None:
    now = app.clock.now()
    await _add(app, "stale reminder", "r1", not_before=now, ref="PLUT-CCCC", kind="reminder.2h")
    worker = Worker(app)
    (claimed,) = await worker.claim(now)
    async with app.db.transaction() as s:
        assert await cancel_pending(s, ref="PLUT-CCCC", kind_prefix="reminder") == 1
    await worker.deliver([claimed], now)
    assert flaky.delivered == []
    await worker.deliver_once(now + timedelta(minutes=5))
    (row,) = await _rows(app)
    assert row.status == "cancelled" and flaky.delivered == []


def test_a_standalone_worker_knows_the_platform_transports() -> None:
    """`frontdesk worker` imports nothing of the web server; the front desk it builds still
    registers the Telegram and WhatsApp transports."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys\n"
        "from bot.outbox.core import transport_factories\n"
        "import bot.outbox.worker as w\n"
        "assert 'telegram' not in transport_factories()\n"
        "from bot.app import FrontDesk\n"
        "from bot.config import load_settings\n"
        "w.Worker(FrontDesk(load_settings(DATABASE_URL='sqlite+aiosqlite:///unused.db')))\n"
        "assert 'bot.web.app' not in sys.modules\n"
        "print(sorted(transport_factories()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "'telegram'" in out and "'whatsapp'" in out


async def test_deferred_rows_are_written_once_at_the_end_in_queue_order(app: FrontDesk) -> None:
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            statements.append(statement)

    from sqlalchemy import event

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", seen)
    async with app.db.transaction() as s:
        async with deferred(s):
            await post(s, [_message("a", "d1"), _message("b", "d2")], now=app.clock.now())
            await post(s, [_message("c", "d3")], now=app.clock.now())
            await post(s, [_message("d", "d4")], now=app.clock.now())
            await post(s, [_message("e", "d5")], now=app.clock.now())
            assert statements == [], "held until the end of the block"
        assert len(statements) == 1
    assert [r.payload["text"] for r in await _rows(app)] == ["a", "b", "c", "d", "e"]


async def test_a_slow_send_does_not_hold_up_other_recipients(app: FrontDesk) -> None:
    """The running worker claims new messages while an earlier batch is still sending;
    the slow recipient's next message still waits for the first one."""
    import asyncio

    release = asyncio.Event()
    delivered: list[str] = []

    class Gate:
        async def send(self, message: OutboxMessage) -> str | None:
            if message.payload["text"] == "slow":
                await release.wait()
            delivered.append(message.payload["text"])
            return None

    register_transport("gatechan", lambda app: Gate())

    async def add(text: str, to: str) -> None:
        async with app.db.transaction() as s:
            await post(s, [_message(text, text, channel="gatechan", to=to)], now=app.clock.now())

    stop = asyncio.Event()
    await add("slow", "a")
    runner = asyncio.create_task(Worker(app).run(stop, idle=0.05))
    try:
        await asyncio.sleep(0.3)
        await add("a-second", "a")
        await add("b-first", "b")
        for _ in range(100):
            if "b-first" in delivered:
                break
            await asyncio.sleep(0.05)
        assert delivered == ["b-first"], "b waited for a's slow send, or a's second message overtook it"
        release.set()
        for _ in range(100):
            if len(delivered) == 3:
                break
            await asyncio.sleep(0.05)
        assert delivered == ["b-first", "slow", "a-second"]
    finally:
        release.set()
        stop.set()
        await asyncio.wait_for(runner, 10)


async def test_a_recipients_waiting_messages_go_in_one_round_in_order(app: FrontDesk, flaky: FlakyTransport) -> None:
    """A turn's replies to one user are claimed together and sent one after the other."""
    for i, t in enumerate(["first", "second", "third"]):
        await _add(app, t, f"k{i}")
    await _add(app, "elsewhere", "k9", to="r2")
    assert await Worker(app).deliver_once() == 4
    assert [t for t in flaky.delivered if t != "elsewhere"] == ["first", "second", "third"]
    assert {r.status for r in await _rows(app)} == {"sent"}


async def test_a_retry_puts_the_recipients_later_messages_back_unsent(app: FrontDesk, flaky: FlakyTransport) -> None:
    flaky.failures = {"first": 1}
    for i, t in enumerate(["first", "second"]):
        await _add(app, t, f"k{i}")
    worker, now = Worker(app), app.clock.now()
    await worker.deliver_once(now)
    assert flaky.delivered == []
    first, second = await _rows(app)
    assert (first.status, first.attempts) == ("pending", 0), "a rate limit is no attempt"
    assert (second.status, second.attempts) == ("pending", 0), "put back behind the retry; the claim was no attempt"
    assert "waiting behind" in (second.last_error or "")
    await worker.deliver_once(now + timedelta(seconds=1))
    assert flaky.delivered == [], "the second waits for the first's retry"
    await worker.deliver_once(now + timedelta(seconds=3))
    assert flaky.delivered == ["first", "second"]


@pytest.mark.postgres
async def test_a_message_held_by_another_workers_claim_holds_back_the_ones_after_it(
    postgres_url: str, flaky: FlakyTransport
) -> None:
    """Another worker is claiming the recipient's first message (its row is locked, so
    SKIP LOCKED passes over it): the second must not go out beside it."""
    import asyncpg

    from tests.conftest import make_settings

    app = FrontDesk(make_settings(postgres_url))
    await app.start(migrate=False)
    try:
        for i, t in enumerate(["first", "second"]):
            await _add(app, t, f"k{i}")
        await _add(app, "elsewhere", "k9", to="r2")
        first = (await _rows(app))[0]
        other = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            async with other.transaction():
                await other.execute("SELECT id FROM outbox WHERE id = $1 FOR UPDATE", first.id)
                claimed = await Worker(app).claim(app.clock.now())
        finally:
            await other.close()
        assert [r.payload["text"] for r in claimed] == ["elsewhere"]
    finally:
        await app.close()


async def test_a_round_sends_a_few_of_one_recipients_messages_and_keeps_the_rest(app: FrontDesk, flaky: FlakyTransport) -> None:
    from bot.outbox.worker import RUN_PER_ROUND

    texts = [f"m{i}" for i in range(RUN_PER_ROUND + 2)]
    for i, t in enumerate(texts):
        await _add(app, t, f"k{i}")
    worker = Worker(app)
    await worker.deliver_once()
    assert flaky.delivered == texts[:RUN_PER_ROUND]
    rest = [r for r in await _rows(app) if r.status != "sent"]
    assert [(r.status, r.attempts) for r in rest] == [("pending", 0)] * 2
    await worker.deliver_once()
    assert flaky.delivered == texts


async def test_the_running_worker_makes_no_claim_that_can_only_come_back_empty(app: FrontDesk) -> None:
    """Woken for one message, the worker claims once and sends it; the finished round,
    which nothing waited on, does not set off another claim."""
    import asyncio

    from sqlalchemy import event

    from bot.outbox.worker import wake

    delivered: list[str] = []

    class Quick:
        async def send(self, message: OutboxMessage) -> str | None:
            delivered.append(message.payload["text"])
            return None

    register_transport("quickchan", lambda app: Quick())
    claims: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("WITH DUE"):
            claims.append(statement)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", seen)
    stop = asyncio.Event()
    runner = asyncio.create_task(Worker(app).run(stop, idle=30))
    try:
        for _ in range(100):
            if claims:
                break
            await asyncio.sleep(0.02)
        assert len(claims) == 1, "the first look at start-up"
        async with app.db.transaction() as s:
            await post(s, [_message("hi", "q1", channel="quickchan", to="a")], now=app.clock.now())
        wake(app)
        for _ in range(100):
            if delivered:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert delivered == ["hi"]
        assert len(claims) == 2, f"{len(claims)} claims for one message"
    finally:
        stop.set()
        await asyncio.wait_for(runner, 10)


async def _connections(pg_url: str, *, allow: bool) -> None:
    """Open or close the database to new connections, and end the open ones when closing:
    to the program, the database is down (as in a restart or a network cut)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.conftest import PG_ADMIN_URL

    name = pg_url.rsplit("/", 1)[1]
    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
            if not allow:
                await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
    finally:
        await engine.dispose()


class _CutsTheDatabase:
    """A platform that takes every message, and cuts the database off while it takes the first:
    the outcome of that send cannot be written."""

    def __init__(self, pg_url: str, delivered: list[str]) -> None:
        self.pg_url, self.delivered = pg_url, delivered

    async def send(self, message: OutboxMessage) -> str | None:
        if not self.delivered:
            await _connections(self.pg_url, allow=False)
        self.delivered.append(message.payload["text"])
        return None


async def test_an_outcome_the_database_cannot_take_is_kept_and_the_message_not_sent_again(postgres_url: str) -> None:
    """The database goes down while replies are being sent: the platform accepted them, their
    outcome cannot be written. The worker keeps it and writes it when the database returns,
    before it claims again, long after the lease ran out: nothing goes out twice."""
    from tests.conftest import make_settings

    app = FrontDesk(make_settings(postgres_url))
    await app.start(migrate=False)
    delivered: list[str] = []

    register_transport("testchan", lambda app: _CutsTheDatabase(postgres_url, delivered))
    try:
        await _add(app, "one", "k1")
        await _add(app, "two", "k2")
        worker, now = Worker(app), app.clock.now()
        try:
            await worker.deliver_once(now)
            assert delivered == ["one", "two"]
            with pytest.raises(Exception):
                await worker.deliver_once(now + timedelta(seconds=1))  # no claim while outcomes wait
        finally:
            await _connections(postgres_url, allow=True)
        assert await worker.deliver_once(now + timedelta(minutes=5)) == 0
        assert delivered == ["one", "two"]
        assert [r.status for r in await _rows(app)] == ["sent", "sent"]
    finally:
        await app.close()


async def _in_touch(worker: Worker, now: object, seconds: float) -> None:
    """The worker polls (claims) as a running one does, every 0.2 s, for `seconds`."""
    import asyncio
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert await worker.claim(now) == []  # type: ignore[arg-type]
        await asyncio.sleep(0.2)


async def test_after_an_outage_another_worker_leaves_a_lapsed_lease_to_its_living_holder(postgres_url: str) -> None:
    """Two workers. The database goes down while one of them is sending; the platform takes
    the reply, its outcome cannot be written, its lease runs out. When the database returns,
    the other worker claims before the holder writes the outcome: it must not take the row
    and send the reply a second time."""
    from tests.conftest import make_settings

    app = FrontDesk(make_settings(postgres_url, OUTBOX_LEASE_SECONDS="1"))
    await app.start(migrate=False)
    delivered: list[str] = []

    register_transport("testchan", lambda app: _CutsTheDatabase(postgres_url, delivered))
    try:
        holder, other = Worker(app), Worker(app)
        now = app.clock.now()
        await _in_touch(other, now, 1.3)
        assert other.may_take_over(), "a lease in touch with the database: the other may take over"
        await _add(app, "one", "k1")
        later = now + timedelta(minutes=1)  # long after the lease ran out
        try:
            assert await holder.deliver_once(now) == 1
            with pytest.raises(Exception):
                await other.deliver_once(later)  # the database is down for the other worker too
        finally:
            await _connections(postgres_url, allow=True)
        await other.deliver_once(later)  # back first, before the holder
        assert delivered == ["one"], "sent a second time by the other worker"
        assert await holder.deliver_once(later) == 0
        await _in_touch(other, later, 1.3)
        assert delivered == ["one"]
        assert [r.status for r in await _rows(app)] == ["sent"]
    finally:
        await app.close()


async def test_a_dead_workers_lapsed_lease_is_taken_over_after_a_lease_in_touch(db_url: str, flaky: FlakyTransport) -> None:
    """A worker dies holding a message (kill -9). A worker just started does not take it over
    at once (it cannot tell a dead holder from one that lost the database with it), but once
    it has reached the database for a lease it does: the chat waits seconds, not minutes."""
    import asyncio
    import time

    from tests.conftest import make_settings

    app = FrontDesk(make_settings(db_url, OUTBOX_LEASE_SECONDS="1"))
    await app.start(migrate=False)
    try:
        await _add(app, "one", "k1")
        now = app.clock.now()
        assert len(await Worker(app).claim(now)) == 1  # and its worker dies
        taker, later = Worker(app), now + timedelta(seconds=5)
        start = time.monotonic()
        assert await taker.deliver_once(later) == 0, "taken over before the taker reached the database for a lease"
        while not await taker.deliver_once(later):
            assert time.monotonic() - start < 3, "never taken over"
            await asyncio.sleep(0.2)
        assert time.monotonic() - start >= 1.0
        assert flaky.delivered == ["one"]
        assert [(r.status, r.attempts) for r in await _rows(app)] == [("sent", 2)]
    finally:
        await app.close()


async def test_a_worker_that_stalled_past_its_lease_does_not_send_a_message_taken_over(
    db_url: str, flaky: FlakyTransport
) -> None:
    """A worker claims a message and stalls (a busy machine, a slow first import) past its
    lease; another takes the message over. The stalled one, going on, must see that the
    message is no longer its own (its claim's `attempts` changed): not send it, nor write
    an outcome over the other's."""
    from tests.conftest import make_settings

    app = FrontDesk(make_settings(db_url, OUTBOX_LEASE_SECONDS="1"))
    await app.start(migrate=False)
    try:
        await _add(app, "one", "k1")
        stalled, other, now = Worker(app), Worker(app), app.clock.now()
        rows = await stalled.claim(now)
        await _in_touch(other, now, 1.3)  # meanwhile the stalled worker's lease runs out
        later = now + timedelta(seconds=5)
        taken = await other.claim(later)
        assert [r.id for r in taken] == [r.id for r in rows]
        await stalled.deliver(rows, now)
        assert flaky.delivered == [], "sent by a worker whose message had been taken over"
        assert [(r.status, r.attempts) for r in await _rows(app)] == [("sending", 2)]
        await other.deliver(taken, later)
        assert flaky.delivered == ["one"]
        assert [(r.status, r.attempts) for r in await _rows(app)] == [("sent", 2)]
    finally:
        await app.close()


async def test_the_delivery_log_holds_no_name_phone_number_or_text_at_info(
    app: FrontDesk, caplog: pytest.LogCaptureFixture
) -> None:
    """A booking notice for a consultant with no linked channel goes to the delivery log:
    the log says that it went and to whom, masked, not what it said."""
    import logging

    from bot.observability.logging import masked

    phone = "6281234567890"
    notice = "Booking baru: Ibu Sari Wulandari, Warung Sari Rasa, 0812-3456-7890"
    async with app.db.transaction() as s:
        await post(s, [Message("log", phone, {"text": notice}, key="n1", kind="booking_notice")], now=app.clock.now())
    with caplog.at_level(logging.INFO):
        assert await Worker(app).deliver_once() == 1
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert masked(phone) in logged and "booking_notice" in logged
    for secret in ("Sari", "Wulandari", "Warung", phone, "0812", "3456"):
        assert secret not in logged
    assert masked(phone) == masked(int(phone)) and masked(phone) != masked("6281234567891")
