"""The per-user flood limit: how many of one account's messages the engine turns.

One account (channel + platform user id) may send `burst` messages at once and then one
every `60 / per_minute` seconds; what comes faster is dropped before anything is read
(no NLU, no flow, no reply), and the first message dropped in a flood is answered with
one notice. The flood is over when the account's allowance is whole again; the next
flood gets a notice of its own.

The state is a row per account (`InboundRate`) kept as a generic cell rate algorithm
(GCRA, a token bucket held as one time): `full_at_ms`, the moment the allowance is whole
again. A message at `now` passes when `full_at_ms - now` leaves room for it within the
burst, and moves `full_at_ms` one interval on. The counting is done by the database in
one `INSERT … ON CONFLICT DO UPDATE … RETURNING` for all the accounts of a batch, inside
the batch's transaction: the row is locked from the statement to the commit, so two
processes on one PostgreSQL count one flood together and never decide on a stale read,
and a batch that rolls back counts nothing. Integers only (milliseconds, and integer
division), so SQLite and PostgreSQL compute the same.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Table, case, literal_column
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import InboundRate

log = logging.getLogger(__name__)

_TABLE = cast(Table, InboundRate.__table__)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the limit decided for one account's messages in a batch."""

    passed: int
    """The first `passed` messages (in arrival order) are turned; the rest are dropped."""
    notice: bool
    """The first dropped message opens a flood: it gets the notice."""
    dropped: int
    """Messages dropped in this flood so far, these included."""


class FloodLimit:
    def __init__(self, per_minute: float, burst: int) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a flood limit needs a positive rate and a burst of at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self.interval_ms = max(1, round(60_000 / per_minute))
        self.tolerance_ms = (burst - 1) * self.interval_ms
        self._statements: dict[str, Any] = {}

    def _first(self, count: int, now_ms: int) -> dict[str, Any]:
        """The row of an account not seen before (the same arithmetic from a whole allowance)."""
        passed = min(count, self.burst)
        return {"full_at_ms": now_ms + passed * self.interval_ms, "seen_ms": now_ms, "passed": passed,
                "dropped": count - passed}

    def _statement(self, dialect: str) -> Any:
        stmt = self._statements.get(dialect)
        if stmt is not None:
            return stmt
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        ins = insert(_TABLE)
        row, new = _TABLE.c, ins.excluded
        interval = literal_column(str(self.interval_ms), BigInteger)  # constants of this limit, in the SQL
        tolerance = literal_column(str(self.tolerance_ms), BigInteger)
        zero, one = literal_column("0", BigInteger), literal_column("1", BigInteger)
        now = new.seen_ms
        count = new.passed + new.dropped  # the new row carries the batch's count
        start = case((row.full_at_ms > now, row.full_at_ms), else_=now)
        room = now + tolerance - start
        passed = case((room < zero, zero), (room // interval + one < count, room // interval + one), else_=count)
        in_flood = (row.dropped > zero) & (row.full_at_ms > now)
        stmt = ins.on_conflict_do_update(
            index_elements=[row.channel, row.external_id],
            set_={
                "full_at_ms": start + passed * interval,
                "seen_ms": now,
                "passed": passed,
                "dropped": case((in_flood, row.dropped), else_=zero) + count - passed,
            },
        ).returning(row.channel, row.external_id, row.passed, row.dropped)
        self._statements[dialect] = stmt
        return stmt

    async def admit(self, session: AsyncSession, counts: Mapping[tuple[str, str], int], now: datetime) -> dict[tuple[str, str], Verdict]:
        """Count `counts` (messages per account arriving now) and say what passes; one
        statement for all the accounts, in a fixed order (two batches lock rows alike)."""
        if not counts:
            return {}
        now_ms = int(now.timestamp() * 1000)
        rows = [{"channel": c, "external_id": u, **self._first(n, now_ms)} for (c, u), n in sorted(counts.items())]
        dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
        result = await session.execute(self._statement(dialect), rows)
        verdicts = {}
        for channel, external_id, passed, dropped in result.all():
            key = (channel, external_id)
            over = counts[key] - passed
            verdicts[key] = Verdict(passed=passed, notice=over > 0 and dropped == over, dropped=dropped)
        return verdicts


def flood_limit(per_minute: float, burst: int) -> FloodLimit | None:
    """The limit of these settings; None when it is turned off (a rate of 0)."""
    return FloodLimit(per_minute, burst) if per_minute > 0 else None
