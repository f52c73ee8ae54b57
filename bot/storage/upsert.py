"""`INSERT … ON CONFLICT DO NOTHING` for both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession) -> Callable[..., Any]:
    """The `insert` construct of the session's database, which has `on_conflict_do_nothing`."""
    return pg_insert if _dialect(session) == "postgresql" else sqlite_insert


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def insert_ignoring(session: AsyncSession, table: Table, conflict: tuple[str, ...], returning: tuple[str, ...] = ()) -> Any:
    """`INSERT INTO table … ON CONFLICT (conflict) DO NOTHING [RETURNING returning]`, to be
    executed with the rows as parameters (one dict, or a list: executemany).

    Built once per database kind and kept: hot paths (the engine's batch, the outbox)
    would otherwise pay for constructing and cache-keying the statement on every call."""
    return _insert_ignoring(_dialect(session), table, conflict, returning)


@cache
def _insert_ignoring(dialect: str, table: Table, conflict: tuple[str, ...], returning: tuple[str, ...]) -> Any:
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).on_conflict_do_nothing(index_elements=list(conflict))
    return stmt.returning(*(table.c[name] for name in returning)) if returning else stmt


async def insert_ignore(session: AsyncSession, model: type, values: dict[str, Any], conflict: tuple[str, ...]) -> bool:
    """Insert a row unless one with the same `conflict` columns exists. True if inserted."""
    stmt = dialect_insert(session)(model).values(**values).on_conflict_do_nothing(index_elements=list(conflict))
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))  # a CursorResult; `execute` is typed as returning Result
