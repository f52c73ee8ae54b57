"""A few seconds' in-process memory of each center's bookable schedule.

Listing free slots and booking one both need a center's zone, its active consultants with
their weekly hours, and its closures: three queries that change only when an admin edits
them. This keeps the loaded value per database engine and center for `TTL` seconds.

Staleness is bounded two ways:
- in this process, any flush or ORM insert/update/delete statement that touches a
  `Consultant`, `WeeklyAvailability`, `Closure` or `Center` drops the whole cache (and
  again when that transaction ends), so the CLI, admin pages and tests see their own
  edits at once (raw SQL text is not seen: it falls under the next point);
- another process's edits show here within `TTL` seconds. A slot offered or booked in that
  window is what the same user would have got by asking a few seconds before the edit,
  and an edit never cancelled existing bookings either. Double booking is not at stake:
  the partial unique index `uq_bookings_active_slot` guards it, and bookings and holds
  are always read fresh.

A session that has itself changed those tables in its open transaction neither reads nor
fills the cache: its view is private until it commits.
"""

from __future__ import annotations

import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.storage.models import Center, Closure, Consultant, WeeklyAvailability

TTL = 5.0
"""Seconds a loaded schedule is trusted (see the module docstring for why a few seconds)."""

_WATCHED = (Consultant, WeeklyAvailability, Closure, Center)
_DIRTY = "bot.schedule_cache.dirty"

_entries: WeakKeyDictionary[Engine, dict[str, tuple[float, Any]]] = WeakKeyDictionary()
_generation = 0
"""Bumped by every invalidation, so a load that raced one is not stored."""


def _engine(session: AsyncSession) -> Engine | None:
    if session.info.get(_DIRTY):
        return None
    bind = session.sync_session.bind
    return bind if isinstance(bind, Engine) else None


def get(session: AsyncSession, center_code: str) -> Any | None:
    """The cached value for this session's database and center, or None."""
    engine = _engine(session)
    if engine is None:
        return None
    hit = _entries.get(engine, {}).get(center_code)
    if hit is None or time.monotonic() - hit[0] > TTL:
        return None
    return hit[1]


def generation() -> int:
    """Take this before loading and hand it to `put`."""
    return _generation


def put(session: AsyncSession, center_code: str, value: Any, loaded_in_generation: int) -> None:
    engine = _engine(session)
    if engine is None or loaded_in_generation != _generation:
        return
    _entries.setdefault(engine, {})[center_code] = (time.monotonic(), value)


def invalidate() -> None:
    """Forget every cached schedule (all engines: edits are rare, reloading is cheap)."""
    global _generation
    _generation += 1
    _entries.clear()


def mark_changed(session: AsyncSession | Session) -> None:
    """This session changed schedules in its transaction (for bulk SQL the flush cannot see)."""
    session.info[_DIRTY] = True
    invalidate()


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: Any) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, _WATCHED):
        mark_changed(state.session)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if any(isinstance(obj, _WATCHED) for group in (session.new, session.dirty, session.deleted) for obj in group):
        session.info[_DIRTY] = True
        invalidate()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _after_end(session: Session) -> None:
    if session.info.pop(_DIRTY, None):
        invalidate()
