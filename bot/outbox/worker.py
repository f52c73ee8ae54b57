"""The delivery worker. Several can run at once (PostgreSQL `FOR UPDATE SKIP LOCKED`).

A claimed row is marked `sending` with a short lease that the running worker renews while
it holds the row; a worker that dies mid-send leaves it to be claimed again when the lease
runs out (seconds, not a minute). An outcome that cannot be recorded (the database is down)
is kept and recorded when the database returns, before this worker claims again, so a
message that went out is not sent a second time. Messages to one recipient go out in order.

A lease counts only time in which its holder could reach the database. A lease that ran out
during an outage says nothing about its holder: it may be alive, with an outcome to write
as soon as the database is back. No worker can see another's connection, so each judges by
its own: it takes over a lapsed lease only once it has itself reached the database without
a break for a whole lease (`Worker.may_take_over`). A worker that lived through the outage,
or has just started, waits that long after the database returns; meanwhile a holder that
lived through the same outage has renewed its leases (every third of a lease) and written
its outcomes (before its next claim, within a poll). This holds whether the database
restarted or the network was cut, and costs nothing in the claim: until then the worker
claims with a statement that takes only `pending` rows. A holder cut off while the others
still reach the database cannot be told from a dead one; its sends in flight may go out
twice, as after `kill -9`.

The other way round, a worker that stalled past its lease (a busy machine, a slow first
import) may find its rows taken over. A claim adds one to a row's `attempts`, so that count
tells claims apart (a fencing token): a worker renews, sends and writes the outcome of a row
only while the row is `sending` with the `attempts` of its own claim, and just before a send
whose lease has less than a third to run it renews first."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, func, literal, or_, select, tuple_, update

from bot.observability import metrics
from bot.observability.logging import masked
from bot.outbox import notify
from bot.outbox.core import PermanentError, Transport, TransientError, transport_factories
from bot.storage.models.outbox import CANCELLED, FAILED, PENDING, SENDING, SENT, OutboxMessage

if TYPE_CHECKING:
    from bot.app import FrontDesk

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=5)
"""The default lease (`OUTBOX_LEASE_SECONDS`); a running worker renews it every third of it."""
MAX_ATTEMPTS = 10
"""Tries before a message whose transport raised an unexpected error is given up. A platform's
refusal for now (`TransientError`) never gives a message up: only a permanent one does."""
MAX_BACKOFF = 600.0
RUN_PER_ROUND = 3
"""Messages to one recipient sent in one round at most (Telegram allows a burst of about 3 per chat)."""


def backoff(attempts: int) -> float:
    """Seconds before the next try: 2, 4, 8 … capped, with ±20 % jitter against thundering herds."""
    base = min(2.0**attempts, MAX_BACKOFF)
    return base * random.uniform(0.8, 1.2)


class LogTransport:
    """Writes the message to the log: the delivery channel of the embedded demo and of
    consultants who have not linked Telegram or WhatsApp yet."""

    async def send(self, message: OutboxMessage) -> str | None:
        # Names, phone numbers and what was said stay out of the log at INFO (UU PDP): the
        # recipient masked, the text only at DEBUG (a developer's terminal).
        text = (message.payload or {}).get("text", "")
        log.info("outbox %s → %s:%s (%d characters)", message.kind, message.channel, masked(message.recipient), len(text))
        log.debug("outbox %s text: %s", message.id, text)
        return None


class InboxTransport:
    """A consultant's inbox in `/admin`: the row itself is the message (the inbox page reads
    it), so delivering it only marks it sent. The log names the row, never its text: a
    notice carries the owner's name and phone."""

    async def send(self, message: OutboxMessage) -> str | None:
        log.info("outbox %s → %s:%s (ref %s)", message.kind, message.channel, masked(message.recipient), message.ref or "-")
        return None



@dataclass
class _Lease:
    attempts: int
    """The row's `attempts` as this worker's claim left it: another claim would change it."""
    until: float
    """When the lease runs out (monotonic), as far as this worker knows."""


@dataclass
class Outcome:
    id: int
    status: str
    error: str | None = None
    provider_id: str | None = None
    retry_at: datetime | None = None
    unclaim: bool = False
    """Put back unsent, behind an earlier message to be retried: the claim was no attempt."""


class Worker:
    def __init__(self, app: FrontDesk, *, batch: int = 50, concurrency: int = 32) -> None:
        self.app = app
        self.batch = batch
        self.concurrency = concurrency
        self._transports: dict[str, Transport | None] = {}
        self.lease = timedelta(seconds=app.settings.outbox_lease_seconds)
        self._held: dict[int, _Lease] = {}
        """Rows this worker claimed whose outcome is not recorded yet: their lease is renewed."""
        self._renewing = asyncio.Lock()
        self._unwritten: list[dict[str, Any]] = []
        """Outcomes not recorded yet (the database was unreachable): recorded before the next claim."""
        self._writing = asyncio.Lock()
        """Held while outcomes are written and while claiming: a claim never overtakes a write."""
        self._renewed_at = time.monotonic()
        self._reached_since: float | None = None
        """Since when (monotonic) this worker has reached the database without a break; None
        after a failed statement and before the first one (see `may_take_over`)."""
        self._reached_at = 0.0

    @asynccontextmanager
    async def _database(self) -> AsyncIterator[Any]:
        """A connection for one statement (`single_statement`) that also keeps track of
        this worker's contact with the database: a failure breaks it, and so does a silence
        longer than a lease (the lease keeper touches the database every third of one, so
        only a stalled process is silent that long, and it may have missed an outage)."""
        try:
            async with self.app.db.single_statement() as conn:
                yield conn
        except Exception:
            self._reached_since = None
            raise
        now = time.monotonic()
        if self._reached_since is not None and now - self._reached_at > self.lease.total_seconds():
            log.warning("outbox: no statement for %.1fs; lapsed leases are not taken over for a lease",
                        now - self._reached_at)
            self._reached_since = None
        if self._reached_since is None:
            self._reached_since = now
        self._reached_at = now

    def may_take_over(self) -> bool:
        """Whether this worker may claim rows whose lease ran out (their holder died, or lost
        the database): only after it has reached the database without a break for a lease."""
        since = self._reached_since
        return since is not None and time.monotonic() - since >= self.lease.total_seconds()

    def transport(self, channel: str) -> Transport | None:
        if channel not in self._transports:
            factory = transport_factories().get(channel)
            self._transports[channel] = factory(self.app) if factory is not None else None
        return self._transports[channel]

    @cached_property
    def _claim(self) -> Any:
        return self._claim_statement(take_over=True)

    @cached_property
    def _claim_pending(self) -> Any:
        """The claim while this worker may not take over lapsed leases (see `may_take_over`)."""
        return self._claim_statement(take_over=False)

    def _claim_statement(self, *, take_over: bool) -> Any:
        """The claim, built once per worker, on its first use (`now` and the lease are parameters).

        `due` takes the first `batch` waiting rows that are due and not held back: an
        ordered row waits while an earlier ordered row to the same recipient is being sent
        or waits for a retry. Several due rows of one recipient (a turn's two replies) are
        claimed together and sent one after the other (`deliver`), so they cost one claim
        and one round, not one each. The outer condition holds back a row whose earlier
        row is waiting but was not claimed here: on PostgreSQL another worker may have it
        locked (`SKIP LOCKED` passed over it), and both would send at once."""
        t = cast(Table, OutboxMessage.__table__)
        now = bindparam("claim_now", type_=t.c.next_attempt_at.type)
        earlier = t.alias("earlier")

        def earlier_waiting(row: Any) -> Any:
            return (
                (earlier.c.channel == row.c.channel)
                & (earlier.c.recipient == row.c.recipient)
                & earlier.c.ordered.is_(True)
                & _waiting(earlier.c.status)
                & (earlier.c.id < row.c.id)
            )

        # Being sent (its lease lies ahead) or waiting for a retry.
        in_flight = select(earlier.c.id).where(earlier_waiting(t), earlier.c.next_attempt_at > now).exists()
        # Without taking over, a row whose lease lapsed stays with its holder; the rows after
        # it stay behind it (`passed_over`). `status = 'pending'` as a literal, for the partial index.
        claimable = _waiting(t.c.status) if take_over else t.c.status == literal(PENDING, literal_execute=True)
        due = (
            select(t.c.id, t.c.channel, t.c.recipient, t.c.ordered)
            .where(claimable, t.c.next_attempt_at <= now, or_(t.c.ordered.is_(False), ~in_flight))
            .order_by(t.c.id)
            .limit(self.batch)
        )
        if not self.app.db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        due_rows = due.cte("due")
        passed_over = select(earlier.c.id).where(
            earlier_waiting(due_rows), earlier.c.id.not_in(select(due_rows.c.id).scalar_subquery())
        ).exists()
        claimed = select(due_rows.c.id).where(or_(due_rows.c.ordered.is_(False), ~passed_over))
        return (
            update(t)
            .where(t.c.id.in_(claimed.scalar_subquery()))
            .values(status=SENDING, attempts=t.c.attempts + 1,
                    next_attempt_at=bindparam("claim_lease", type_=t.c.next_attempt_at.type))
            .returning(*t.c)
        )

    async def claim(self, now: datetime) -> list[Any]:
        """Mark up to `batch` due messages `sending` (with a lease) and return them, oldest
        first: one `UPDATE … RETURNING` (see `_claim`), so a round costs one
        statement, and rows come back as plain rows (the transports read the same
        attributes an `OutboxMessage` has). Messages to one recipient keep their order."""
        async with self._writing:
            # Outcomes kept through an outage, or being written by a round right now, go in
            # first; and leases that lapsed while the database was away are renewed: else
            # this claim would take back messages this worker has sent or is sending.
            await self._record_unlocked()
            if self._unwritten:
                raise RuntimeError("outcomes of sent messages are not recorded yet; no new claim")
            if self._held and time.monotonic() - self._renewed_at > self.lease.total_seconds() / 2:
                await self.renew()
            claim = self._claim if self.may_take_over() else self._claim_pending
            started = time.monotonic()
            async with self._database() as conn:
                rows = list((await conn.execute(claim, {"claim_now": now, "claim_lease": now + self.lease})).all())
        rows.sort(key=lambda r: r.id)
        until = started + self.lease.total_seconds()
        self._held.update((r.id, _Lease(r.attempts, until)) for r in rows)
        return rows

    async def _record(self) -> None:
        """Write the outcomes kept so far, in one statement; on failure they are kept again."""
        async with self._writing:
            await self._record_unlocked()

    async def _record_unlocked(self) -> None:
        if not self._unwritten:
            return
        params, self._unwritten = self._unwritten, []
        try:
            async with self._database() as conn:
                await conn.execute(_OUTCOME, params)
        except BaseException:
            self._unwritten[:0] = params
            raise
        for p in params:
            self._held.pop(p["o_id"], None)

    async def renew(self) -> int:
        """Push the lease of the rows this worker holds forward (one statement). Returns how many.

        Only a row still as this worker claimed it is renewed: `sending`, and with the
        `attempts` of its claim (every claim adds one, so it tells claims apart). A row that
        is not (cancelled, or taken over by another worker after this one stalled past its
        lease) is no longer this worker's: it is not sent, and no outcome is written for it."""
        held = [(row_id, lease.attempts) for row_id, lease in self._held.items()]
        if not held:
            if time.monotonic() - self._reached_at > self.lease.total_seconds() / 3:
                async with self._database() as conn:  # keep in touch (`may_take_over`)
                    await conn.exec_driver_sql("SELECT 1")
            self._renewed_at = time.monotonic()
            return 0
        t = cast(Table, OutboxMessage.__table__)
        stmt = (update(t).where(tuple_(t.c.id, t.c.attempts).in_(held), t.c.status == SENDING)
                .values(next_attempt_at=self.app.clock.now() + self.lease).returning(t.c.id))
        started = time.monotonic()
        async with self._database() as conn:
            kept = set((await conn.execute(stmt)).scalars())
        until = started + self.lease.total_seconds()
        for row_id, _attempts in held:
            lease = self._held.get(row_id)
            if lease is None:  # its outcome was recorded meanwhile
                continue
            if row_id in kept:
                lease.until = until
            else:
                del self._held[row_id]
        self._renewed_at = time.monotonic()
        return len(kept)

    async def _still_ours(self, row: Any) -> bool | None:
        """Just before a send: whether the row's lease still has a third of a lease to run.
        After a stall (a busy machine, a slow first import) it may have lapsed, and another
        worker may have taken the row over: the lease is renewed first. None when that
        cannot be known (the database is unreachable): the row is put back, not sent."""
        third = self.lease.total_seconds() / 3
        lease = self._held.get(row.id)
        if lease is not None and lease.until - time.monotonic() >= third:
            return True
        async with self._renewing:
            lease = self._held.get(row.id)
            if lease is not None and lease.until - time.monotonic() < third:
                try:
                    await self.renew()
                except Exception:
                    return None
            lease = self._held.get(row.id)
            return lease is not None and lease.until - time.monotonic() >= third

    async def _keep_leases(self, stop: asyncio.Event) -> None:
        every = self.lease.total_seconds() / 3
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
            try:
                await self.renew()
            except Exception as exc:  # the database is down: the rows stay ours until it returns
                log.warning("outbox lease renewal failed: %s", type(exc).__name__)

    async def _send(self, message: OutboxMessage, now: datetime, gate: asyncio.Semaphore) -> Outcome | None:
        """The outcome of sending `message`; None when it is no longer this worker's (see `renew`)."""
        transport = self.transport(message.channel)
        if transport is None:
            metrics.send_failed(message.channel, "no_transport")
            return Outcome(message.id, FAILED, f"no transport configured for channel {message.channel!r}")
        async with gate:
            ours = await self._still_ours(message)
            if ours is None:
                return _put_back(message, now)
            if not ours:
                return None
            try:
                provider_id = await transport.send(message)
            except PermanentError as exc:
                metrics.send_failed(message.channel, "permanent")
                return Outcome(message.id, FAILED, f"permanent: {exc}"[:1000])
            except TransientError as exc:
                metrics.send_failed(message.channel, "transient")
                if exc.retry_after is not None:
                    # A rate limit: the platform said when; the try was no attempt. The message
                    # keeps its place, so a later one to the same recipient waits behind it.
                    return Outcome(message.id, PENDING, str(exc)[:1000],
                                   retry_at=now + timedelta(seconds=exc.retry_after), unclaim=True)
                return Outcome(message.id, PENDING, str(exc)[:1000],
                               retry_at=now + timedelta(seconds=backoff(message.attempts)))
            except Exception as exc:  # a bug in a transport must not stop delivery of the others
                log.exception("transport %s failed on outbox row %s", message.channel, message.id)
                metrics.send_failed(message.channel, "error")
                if message.attempts >= MAX_ATTEMPTS:
                    return Outcome(message.id, FAILED, f"error: {exc!r}"[:1000])
                return Outcome(message.id, PENDING, f"error: {exc!r}"[:1000], retry_at=now + timedelta(seconds=backoff(message.attempts)))
        metrics.sent(message.channel)
        return Outcome(message.id, SENT, provider_id=provider_id)

    async def _cancelled_since_claim(self, rows: list[OutboxMessage]) -> set[int]:
        """Messages about a booking (reminders, notices) may be cancelled after the claim:
        look again, once per batch, just before sending."""
        ids = [r.id for r in rows if r.ref is not None]
        if not ids:
            return set()
        async with self._database() as conn:
            found = await conn.scalars(
                select(OutboxMessage.id).where(OutboxMessage.id.in_(ids), OutboxMessage.status == CANCELLED)
            )
            return set(found)

    async def deliver_once(self, now: datetime | None = None) -> int:
        """Claim due messages, send them, record the outcomes. Returns how many were tried."""
        now = now or self.app.clock.now()
        rows = await self.claim(now)
        if rows:
            await self.deliver(rows, now)
        return len(rows)

    async def deliver(self, rows: list[OutboxMessage], now: datetime) -> int:
        """Send claimed messages and record every outcome in one statement. Returns how
        many were put back unsent.

        Recipients are served concurrently; one recipient's ordered messages go one after
        the other. If one of them is to be retried, the ones after it are put back
        unsent (their claim does not count as an attempt) and wait behind it."""
        try:
            cancelled = await self._cancelled_since_claim(rows)
        except BaseException:  # nothing was sent: the rows come back when their lease runs out
            for r in rows:
                self._held.pop(r.id, None)
            raise
        gate = asyncio.Semaphore(self.concurrency)
        queues: dict[tuple[str, str], list[OutboxMessage]] = {}
        loose: list[OutboxMessage] = []
        for row in rows:
            if row.id in cancelled:
                continue
            if row.ordered:
                queues.setdefault((row.channel, row.recipient), []).append(row)
            else:
                loose.append(row)

        async def in_order(queue: list[OutboxMessage]) -> list[Outcome]:
            # A round takes a few of a recipient's messages at most: a long backlog to one
            # chat (rate-limited per chat) must not keep the round, and its slot, busy.
            done = [_put_back(r, now) for r in queue[RUN_PER_ROUND:]]
            queue = queue[:RUN_PER_ROUND]
            for i, row in enumerate(queue):
                outcome = await self._send(row, now, gate)
                if outcome is None:  # another worker's now: the ones after it wait behind it
                    done.extend(_put_back(r, now) for r in queue[i + 1:])
                    break
                done.append(outcome)
                if outcome.status == PENDING:
                    done.extend(_put_back(r, now) for r in queue[i + 1:])
                    break
            return done

        # An unordered message is a queue of its own: it waits for nothing.
        results = await asyncio.gather(*(in_order(q) for q in [*queues.values(), *([row] for row in loose)]))
        outcomes = [o for result in results for o in result]
        claimed = {r.id: r.attempts for r in rows}
        params = []
        for o in outcomes:
            params.append({
                "o_attempts": claimed[o.id],  # written only if the row is still as this worker claimed it
                # A platform's error may quote the request (a token in a URL): never stored.
                "o_id": o.id, "o_status": o.status, "o_error": self.app.settings.mask(o.error) if o.error else None,
                "o_sent_at": now if o.status == SENT else None, "o_provider": o.provider_id,
                "o_next": o.retry_at or now, "o_undo": 1 if o.unclaim else 0,
                # A row cancelled while it was being sent keeps `cancelled`, unless it did go out.
                "o_also": CANCELLED if o.status == SENT else SENDING,
            })
        # Not recorded in time, the messages would be claimed and sent again: an outcome that
        # cannot be written now is kept and written when the database returns.
        for row_id in cancelled:
            self._held.pop(row_id, None)
        self._unwritten.extend(params)
        try:
            await self._record()
        except Exception as exc:
            log.warning("outbox: %d outcomes kept until the database returns (%s)", len(self._unwritten), type(exc).__name__)
        return sum(1 for o in outcomes if o.unclaim)

    async def run(self, stop: asyncio.Event, *, idle: float = 0.2, rounds: int = 4) -> None:
        """Deliver until `stop`. Up to `rounds` batches are in flight at once: a new claim
        does not wait for the slowest send of the previous batch (the claim skips recipients
        with a message in flight, so order per recipient holds).

        It claims when woken (`wake`: this process committed messages), after a full batch,
        when a finished round may have left something claimable (a claim passed over its
        recipients meanwhile, it put messages back, or every round was busy), and every
        `idle` seconds (messages from other processes, retries coming due). A claim that
        can only come back empty is not made: under load those were most of the claims."""
        wake = asyncio.Event()
        self.app.outbox_wake = wake  # see `wake`
        listening = await notify.listen(self.app, wake)  # web processes without a worker wake this one
        inflight: dict[asyncio.Task[int], int] = {}  # round → claims made before it started
        claims = 0
        full = False  # a wake came while every round was busy
        leases = asyncio.create_task(self._keep_leases(stop), name="outbox-leases")

        def done(task: asyncio.Task[int]) -> None:
            nonlocal full
            claims_before = inflight.pop(task)
            failed = task.cancelled() or task.exception() is not None
            if failed and not task.cancelled():
                log.error("outbox delivery round failed", exc_info=task.exception())
            # Claims made while this round was sending may have passed over messages behind
            # it, and it may have put some back: look again. Otherwise nothing waits on it.
            if full or failed or claims > claims_before or task.result():
                full = False
                wake.set()

        try:
            while not stop.is_set():
                wake.clear()
                rows: list[Any] = []
                if len(inflight) < rounds:
                    now = self.app.clock.now()
                    try:
                        rows = await self.claim(now)
                        claims += 1
                    except Exception:
                        log.exception("outbox claim failed; retrying")
                    if rows:
                        task = asyncio.create_task(self.deliver(rows, now), name="outbox-round")
                        inflight[task] = claims
                        task.add_done_callback(done)
                        if len(rows) >= self.batch:  # a full batch: more may be due
                            continue
                else:
                    full = True
                waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
                await asyncio.wait(waits, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
                for w in waits:
                    w.cancel()
        finally:
            await notify.unlisten(listening)
            if inflight:  # let the sends in flight finish and record their outcomes
                await asyncio.wait(list(inflight), timeout=30)
            for _ in range(60):  # outcomes kept through an outage: a last chance to record them
                try:
                    await self._record()
                    break
                except Exception:
                    await asyncio.sleep(0.5)
            if self._unwritten:
                log.error("outbox: %d outcomes could not be recorded; those messages may be sent again", len(self._unwritten))
            stop.set()
            await leases


def _put_back(row: Any, now: datetime) -> Outcome:
    return Outcome(row.id, PENDING, "waiting behind an earlier message to the same recipient", retry_at=now, unclaim=True)


def _outcome_statement() -> Any:
    """The outcome of each message of a round, one executemany (the values are parameters)."""
    t = cast(Table, OutboxMessage.__table__)
    return (
        update(t)
        .where(t.c.id == bindparam("o_id"), t.c.attempts == bindparam("o_attempts"),
               t.c.status.in_([SENDING, bindparam("o_also")]))
        .values(
            status=bindparam("o_status"), last_error=bindparam("o_error"),
            attempts=t.c.attempts - bindparam("o_undo"),
            sent_at=func.coalesce(bindparam("o_sent_at", type_=t.c.sent_at.type), t.c.sent_at),
            provider_message_id=func.coalesce(bindparam("o_provider", type_=t.c.provider_message_id.type), t.c.provider_message_id),
            next_attempt_at=bindparam("o_next", type_=t.c.next_attempt_at.type),
        )
    )


_OUTCOME = _outcome_statement()


def _waiting(status: Any) -> Any:
    """`status IN ('pending', 'sending')` with the values written into the SQL, matching the
    partial indexes' predicate (see `OutboxMessage.__table_args__`)."""
    return status.in_(bindparam("waiting", [PENDING, SENDING], expanding=True, literal_execute=True))


def wake(app: FrontDesk) -> None:
    """Something was just committed to the outbox in this process: deliver now instead of
    at the next idle poll (other processes still find it by polling)."""
    event = app.outbox_wake
    if event is not None:
        event.set()
    else:  # no worker here (`frontdesk run --no-worker`): wake the `frontdesk worker` processes
        notify.poke(app)


async def run_embedded(app: FrontDesk, stop: asyncio.Event) -> None:
    """Background job of `frontdesk run`: deliver the outbox from the serving process."""
    await Worker(app).run(stop)
